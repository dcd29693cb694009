DROP INDEX "ledger_entries_account_idx";--> statement-breakpoint
DROP INDEX "ledger_entries_tx_idx";--> statement-breakpoint
DROP INDEX "ledger_transactions_payout_idx";