import type { Currency, ProviderId } from '@payouts/core';
import { sql } from 'drizzle-orm';
import { bigint, bigserial, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Ledger accounts. `key` names the account uniquely, e.g. `wallet:ten_…:INR:available`,
 * `clearing:razorpayx:INR`. `balance` is the sum of the account's entries, maintained in the same
 * transaction as the entries (checked by `verifyLedger`), so a hold can be decided without a scan.
 */
export const ledgerAccounts = pgTable('ledger_accounts', {
  id: text('id').primaryKey(),
  key: text('key').notNull().unique(),
  kind: text('kind', {
    enum: ['wallet_available', 'wallet_held', 'provider_clearing', 'provider_float', 'fees', 'tax', 'external_funding'],
  }).notNull(),
  tenantId: text('tenant_id'),
  provider: text('provider').$type<ProviderId>(),
  currency: text('currency').$type<Currency>().notNull(),
  balance: bigint('balance', { mode: 'bigint' }).notNull().default(sql`0`),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One balanced set of entries. `idempotency_key` is unique, e.g. `po_…:hold`: each (payout, kind)
 * can be posted at most once, whatever retries or concurrent reconcilers do.
 */
export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ['funding', 'provider_funding', 'hold', 'post', 'void', 'reverse'] }).notNull(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    payoutId: text('payout_id'),
    tenantId: text('tenant_id'),
    currency: text('currency').$type<Currency>().notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // No index on payout_id: nothing looks a payout's transactions up by it (a payout's own keys,
  // `po_…:hold` and so on, are found through the unique idempotency_key), and every index here is
  // written by each of the reconciler's group commits.
);

/**
 * Append-only. A positive amount raises the account's balance, a negative one lowers it.
 *
 * `transaction_id` and `account_id` carry no foreign keys: entries are written only by
 * `postTransactions`, which takes both ids in the same database transaction from the
 * transaction rows it has just inserted (in the same statement) and the account rows it read,
 * whose ids never change, and neither table is ever deleted from. The two per-row checks were more than half of the cost of a group commit's
 * entries insert (2,500 entries: 74 ms with them, 31 ms without, measured for issue 17);
 * `verifyLedger` reports any entry whose transaction or account does not exist.
 *
 * Nor indexes on them: no query looks entries up by account or by transaction (`verifyLedger`
 * reads them all, by joins that scan), and on a hot wallet the index on `account_id` was one key
 * taking every entry. Without them a group commit's entries cost the heap and the primary key only
 * (2,500 entries: 16.6 ms with both indexes, 8.6 ms without, best of four in psql; docs/benchmarks.md).
 * A reader that needs one (an account statement) adds the index it reads by.
 */
export const ledgerEntries = pgTable('ledger_entries', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  transactionId: text('transaction_id').notNull(),
  accountId: text('account_id').notNull(),
  amount: bigint('amount', { mode: 'bigint' }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
