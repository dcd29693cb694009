import type { Currency } from '@payouts/core';
import { type Database, payouts, providerSubmissions } from '@payouts/db';
import type { CanonicalPayout } from '@payouts/providers';
import { eq, sql } from 'drizzle-orm';

export type PayoutRow = typeof payouts.$inferSelect;

export async function loadPayout(db: Database, payoutId: string): Promise<PayoutRow | null> {
  const [row] = await db.select().from(payouts).where(eq(payouts.id, payoutId));
  return row ?? null;
}

export function toCanonical(row: PayoutRow): CanonicalPayout {
  return {
    id: row.id,
    amount: row.amount,
    currency: row.currency as Currency,
    method: row.method,
    purpose: row.purpose,
    referenceId: row.referenceId,
    narration: row.narration,
    description: row.description,
    beneficiary: row.beneficiary,
    queueIfLowBalance: row.queueIfLowBalance,
    metadata: row.metadata,
    idempotencyKey: row.providerIdempotencyKey,
  };
}

/** States from which the worker may send the payout to its provider. */
const SUBMITTABLE = new Set(['reserved', 'queued']);

/**
 * Claims the payout before calling its provider, under the payout's row lock — the same lock a
 * cancel takes — so a cancel and a submission can never both win. The claim is the worker's own
 * record of calls, not payout state: that stays the reconciler's. Returns the attempt number,
 * or null when the payout may no longer be submitted (cancelled meanwhile, already further on).
 */
export async function claimSubmission(db: Database, payoutId: string): Promise<number | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ status: payouts.status, queuedReason: payouts.queuedReason })
      .from(payouts)
      .where(eq(payouts.id, payoutId))
      .for('update');
    if (!row || !SUBMITTABLE.has(row.status)) return null;
    if (row.status === 'queued' && row.queuedReason !== 'provider_low_balance') return null;
    const [claim] = await tx
      .insert(providerSubmissions)
      .values({ payoutId })
      .onConflictDoUpdate({
        target: providerSubmissions.payoutId,
        set: { attempts: sql`${providerSubmissions.attempts} + 1`, lastAt: sql`now()` },
      })
      .returning({ attempts: providerSubmissions.attempts });
    return claim?.attempts ?? 1;
  });
}
