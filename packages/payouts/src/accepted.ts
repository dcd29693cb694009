import { type Executor, insertRowsSql, payouts } from '@payouts/db';
import { type SQL, sql } from 'drizzle-orm';
import type { NewPayout } from './rows.ts';

/**
 * "An accepted payout and its first event", written one way for a single payout and a batch run
 * alike: the payouts are inserted set-based (one jsonb parameter, see `insertRowsSql`), and their
 * `accepted` history entries are made from what was inserted, in the same statement. Returned as
 * common table expressions so a caller can put them in a larger statement (the single route
 * writes them with its Idempotency-Key record, guarded by `where`).
 */
export function acceptedPayoutsCtes(
  rows: NewPayout[],
  detail: Record<string, unknown>,
  options: { where?: SQL } = {},
): SQL[] {
  const inserted = insertRowsSql(payouts, rows, { returning: ['id'], ...options });
  return [
    sql`accepted_payouts as (${inserted})`,
    sql`accepted_events as (
      insert into payout_events (payout_id, from_status, to_status, applied, source, detail)
      select id, null, 'accepted', true, 'api', ${JSON.stringify(detail)}::jsonb from accepted_payouts order by id)`,
  ];
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
