import { chainedPayoutEvent, type Executor, insertRowsSql, type PayoutEventContent, payouts } from '@payouts/db';
import { type SQL, sql } from 'drizzle-orm';
import type { NewPayout } from './rows.ts';

/**
 * "A new payout and its first event" (its first state is the row's: `accepted`; `scheduled` for a
 * payout created with a `scheduled_for`; `pending_approval` when an approval policy caught it),
 * written one way for a single payout and a batch run
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
  detail: AcceptedDetail,
  options: { where?: SQL; now?: Date } = {},
): SQL[] {
  const createdAt = options.now ?? new Date();
  const detailOf = typeof detail === 'function' ? detail : () => detail;
  // Rows of their own details may carry their own times (requests written together by the API's
  // group commit): each first event then has its payout's time, as when written alone.
  const eventAt = (row: NewPayout) =>
    typeof detail === 'function' && row.createdAt instanceof Date ? row.createdAt : createdAt;
  const chained = rows.map((row) => ({
    ...row,
    historyHash: chainedPayoutEvent(firstEvent(row, detailOf(row), eventAt(row)), null).hash,
  }));
  const inserted = insertRowsSql(payouts, chained, {
    returning: ['id', 'status', 'history_hash'],
    where: options.where,
  });
  if (typeof detail === 'function') {
    // Rows whose first events differ (the rail `method: "auto"` chose, or requests written
    // together): each row's detail and time go in one jsonb parameter beside the rows, joined by id.
    const details = JSON.stringify(
      rows.map((row) => ({ id: row.id, detail: detailOf(row), created_at: eventAt(row).toISOString() })),
    );
    return [
      sql`accepted_payouts as (${inserted})`,
      sql`accepted_events as (
        insert into payout_events (payout_id, from_status, to_status, applied, source, detail, created_at, prev_hash, hash)
        select a.id, null, a.status, true, 'api', d.detail, d.created_at, null, a.history_hash
        from accepted_payouts a
        join jsonb_to_recordset(${details}::jsonb) as d(id text, detail jsonb, created_at timestamptz) on d.id = a.id
        order by a.id)`,
    ];
  }
  return [
    sql`accepted_payouts as (${inserted})`,
    sql`accepted_events as (
      insert into payout_events (payout_id, from_status, to_status, applied, source, detail, created_at, prev_hash, hash)
      select id, null, status, true, 'api', ${JSON.stringify(detail)}::jsonb, ${createdAt.toISOString()}::timestamptz,
             null, history_hash
      from accepted_payouts order by id)`,
  ];
}

/** The first event's detail: one for every row, or each row's own. */
export type AcceptedDetail = Record<string, unknown> | ((row: NewPayout) => Record<string, unknown>);

/** The first history row of a payout, as the statement above writes it. */
function firstEvent(row: NewPayout, detail: Record<string, unknown>, createdAt: Date): PayoutEventContent {
  return {
    payoutId: row.id,
    fromStatus: null,
    toStatus: row.status ?? 'accepted',
    applied: true,
    source: 'api',
    detail,
    createdAt,
  };
}

/** Inserts accepted payouts and their first events in one statement (see `acceptedPayoutsCtes`). */
export async function insertAcceptedPayouts(db: Executor, rows: NewPayout[], detail: AcceptedDetail): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`with ${sql.join(acceptedPayoutsCtes(rows, detail), sql`, `)} select 1`);
}
