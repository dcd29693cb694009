import { createHash } from 'node:crypto';
import { type Currency, newId } from '@payouts/core';
import { appendOperatorActions, type Database, ledgerTransactions } from '@payouts/db';
import { postTransactions, providerFundingTransaction, providerFundingTransactionKey } from '@payouts/ledger';
import type { ReconcilerJobData } from '@payouts/queue';
import { eq, sql } from 'drizzle-orm';
import type { EventResult } from './apply-events.ts';

/** First key of the advisory locks that serialise provider fundings by reference. */
const PROVIDER_FUNDING_LOCK_SPACE = 0x50464e44; // "PFND"

/**
 * An operator's funding of a provider (our float there), in one transaction with its operator
 * record: external → float. Once per reference: the same reference again with the same amount and
 * currency changes nothing (`funded: false`); with another, it is refused. It touches no wallet and
 * no payout, so it runs outside the payout batches; its two accounts are locked in key order like
 * every posting's, and the operator chain's head last.
 */
export async function applyProviderFunding(
  db: Database,
  data: ReconcilerJobData<'provider.fund'>,
): Promise<EventResult> {
  const currency = data.currency as Currency;
  const amount = BigInt(data.amount);
  const key = providerFundingTransactionKey(data.provider, data.reference);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PROVIDER_FUNDING_LOCK_SPACE}, ${lockOf(key)})`);
    const [existing] = await tx
      .select({ currency: ledgerTransactions.currency, metadata: ledgerTransactions.metadata })
      .from(ledgerTransactions)
      .where(eq(ledgerTransactions.idempotencyKey, key));
    if (existing) {
      const before = String(existing.metadata?.amount ?? '0');
      const same = existing.currency === currency && before === amount.toString();
      return same
        ? { outcome: 'unchanged', funded: false, amount: before, currency: existing.currency }
        : { outcome: 'refused', reason: 'funding_reference_reused', amount: before, currency: existing.currency };
    }
    await postTransactions(tx, [providerFundingTransaction(data.provider, currency, amount, data.reference)]);
    await appendOperatorActions(tx, [
      {
        id: newId('operatorAction'),
        actor: data.actor,
        action: 'provider.fund',
        target: data.provider,
        params: { currency, amount: amount.toString(), reference: data.reference },
        result: { funded: true },
        createdAt: new Date(),
      },
    ]);
    return { outcome: 'applied', funded: true, amount: amount.toString(), currency };
  });
}

function lockOf(key: string): number {
  return createHash('sha256').update(key).digest().readInt32BE(0);
}
