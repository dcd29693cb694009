import { type Database, payouts, providerSubmissions, rowsOf } from '@payouts/db';
import { type PayoutRow, submittableSql } from '@payouts/payouts';
import { eq, sql } from 'drizzle-orm';
import { Batched } from './batched.ts';

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
 * `provider` is the one the caller is about to call: a payout the reconciler moved to another
 * provider meanwhile (routing rules) is not claimed.
 */
export async function claimSubmission(db: Database, payoutId: string, provider: string): Promise<number | null> {
  return (await claimSubmissions(db, [payoutId], provider)).get(payoutId) ?? null;
}

/**
 * `claimSubmission` for several payouts in one statement and one commit: the attempt number of
 * each one claimed; absent, one that may no longer be submitted. The ids must be distinct (each
 * claim counts one attempt). One statement: the row locks are held from the check to the insert,
 * as a transaction would, and are taken in id order, the order the reconciler locks payouts in.
 */
export async function claimSubmissions(
  db: Database,
  payoutIds: string[],
  provider: string,
): Promise<Map<string, number>> {
  const claims = rowsOf<{ payout_id: string; attempts: number }>(
    await db.execute(sql`
      with p as (
        select id from payouts
        where id = any(${sql.param(payoutIds)}::text[]) and provider = ${provider} and ${submittableSql}
        order by id
        for update
      )
      insert into provider_submissions (payout_id) select id from p
      on conflict (payout_id) do update
        set attempts = provider_submissions.attempts + 1, last_at = now()
      returning payout_id, attempts`),
  );
  return new Map(claims.map((c) => [c.payout_id, c.attempts]));
}

/**
 * The claims of the submissions that start together, one statement (and one commit) per provider
 * instead of one per payout: a burst of submissions used to queue its claims on the pool, each
 * waiting for its own commit. A payout asked for twice at once is claimed twice, one after the
 * other, so each attempt keeps its own number.
 */
export class SubmissionClaims {
  private readonly byProvider = new Map<string, Batched<string, number>>();

  constructor(private readonly db: Database) {}

  async claim(payoutId: string, provider: string): Promise<number | null> {
    let batch = this.byProvider.get(provider);
    if (!batch) {
      batch = new Batched((ids) => claimSubmissions(this.db, ids, provider), {
        maxKeys: MAX_CLAIMS_PER_STATEMENT,
        repeat: 'next',
      });
      this.byProvider.set(provider, batch);
    }
    return (await batch.get(payoutId)) ?? null;
  }
}

/** Claims in one statement: a larger burst is claimed in several. */
const MAX_CLAIMS_PER_STATEMENT = 500;
