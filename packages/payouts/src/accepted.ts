import { chainedPayoutEvent, type Executor, insertRowsSql, type PayoutEventContent, payouts } from '@payouts/db';
import { type SQL, sql } from 'drizzle-orm';
import type { NewPayout } from './rows.ts';

/**
 * "A new payout and its first event" (`accepted`, or `scheduled` for a payout created with a
 * `scheduled_for`), written one way for a single payout and a batch run
 * alike: the payouts are inserted set-based (one jsonb parameter, see `insertRowsSql`), and their
 * first history entries are made from what was inserted, in the same statement. Returned as
 * common table expressions so a caller can put them in a larger statement (the single route
 * writes them with its Idempotency-Key record, guarded by `where`).
 *
 * The first event starts the payout's audit chain (`packages/db/src/audit-chain.ts`): its hash is
 * computed here, before the statement, and goes in with the payout as its `history_hash`, from
 * which the event takes it, so the batch path stays one statement however many rows it has. No
 * lock is needed: nobody else can see the payout before this statement commits.
 */
export function acceptedPayoutsCtes(
  rows: NewPayout[],
  detail: Record<string, unknown>,
  options: { where?: SQL; now?: Date } = {},
): SQL[] {
  const createdAt = options.now ?? new Date();
  // A scheduled payout's first event is `scheduled`, as its row says (the caller's `detail` names
  // its time: the rows of one call share it).
  const chained = rows.map((row) => ({
    ...row,
    historyHash: chainedPayoutEvent(firstEvent(row, detail, createdAt), null).hash,
  }));
  const inserted = insertRowsSql(payouts, chained, {
    returning: ['id', 'status', 'history_hash'],
    where: options.where,
  });
  return [
    sql`accepted_payouts as (${inserted})`,
    sql`accepted_events as (
      insert into payout_events (payout_id, from_status, to_status, applied, source, detail, created_at, prev_hash, hash)
      select id, null, status, true, 'api', ${JSON.stringify(detail)}::jsonb, ${createdAt.toISOString()}::timestamptz,
             null, history_hash
      from accepted_payouts order by id)`,
  ];
}

/** The first history row of a payout, as the statement above writes it. */
function firstEvent(row: NewPayout, detail: Record<string, unknown>, createdAt: Date): PayoutEventContent {
  return {
    payoutId: row.id,
    fromStatus: null,
    toStatus: row.status,
    applied: true,
    source: 'api',
    detail,
    createdAt,
  };
}

/** Inserts accepted payouts and their first events in one statement (see `acceptedPayoutsCtes`). */
export async function insertAcceptedPayouts(
  db: Executor,
  rows: NewPayout[],
  detail: Record<string, unknown>,
): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`with ${sql.join(acceptedPayoutsCtes(rows, detail), sql`, `)} select 1`);
}
