import { type Database, payouts, providerSubmissions, rowsOf } from '@payouts/db';
import { type PayoutRow, submittableSql } from '@payouts/payouts';
import { eq, sql } from 'drizzle-orm';

/** Whether a submission of the payout was ever claimed: something may have been sent for it. */
export async function everClaimed(db: Database, payoutId: string): Promise<boolean> {
  const [found] = await db
    .select({ payoutId: providerSubmissions.payoutId })
    .from(providerSubmissions)
    .where(eq(providerSubmissions.payoutId, payoutId));
  return found !== undefined;
}

export async function loadPayout(db: Database, payoutId: string): Promise<PayoutRow | null> {
  const [row] = await db.select().from(payouts).where(eq(payouts.id, payoutId));
  return row ?? null;
}

/**
 * The payouts of these ids that exist, by id. The ids go as one array parameter: one statement
 * whatever their number, prepared once per connection (a list of N parameters would be a new
 * statement for every N, each read first in two round trips).
 */
export async function loadPayouts(db: Database, ids: string[]): Promise<Map<string, PayoutRow>> {
  const rows = await db
    .select()
    .from(payouts)
    .where(sql`${payouts.id} = any(${sql.param(ids)}::text[])`);
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * Claims the payout before calling its provider, under the payout's row lock — the same lock a
 * cancel takes — so a cancel and a submission can never both win. The claim is the worker's own
 * record of calls, not payout state: that stays the reconciler's. Returns the attempt number,
 * or null when the payout may no longer be submitted (cancelled meanwhile, already further on).
 * One statement: the row lock is held from the check to the insert, as a transaction would, in
 * one round trip instead of four. `provider` is the one the caller is about to call: a payout the
 * reconciler moved to another provider meanwhile (routing rules) is not claimed.
 */
export async function claimSubmission(db: Database, payoutId: string, provider: string): Promise<number | null> {
  const [claim] = rowsOf<{ attempts: number }>(
    await db.execute(sql`
      with p as (
        select id from payouts
        where id = ${payoutId} and provider = ${provider} and ${submittableSql}
        for update
      )
      insert into provider_submissions (payout_id) select id from p
      on conflict (payout_id) do update
        set attempts = provider_submissions.attempts + 1, last_at = now()
      returning attempts`),
  );
  return claim?.attempts ?? null;
}
