import { type Database, payoutEvents } from '@payouts/db';
import { asc, eq } from 'drizzle-orm';

/**
 * A payout's history, oldest first: every state it went through, with who moved it and what they
 * saw. The same answer for its tenant (`GET /v1/payouts/{id}/events`) and an operator
 * (`GET /v1/admin/payouts/{id}/events`).
 */
export async function payoutHistory(db: Database, payoutId: string) {
  const rows = await db
    .select()
    .from(payoutEvents)
    .where(eq(payoutEvents.payoutId, payoutId))
    .orderBy(asc(payoutEvents.id));
  return rows.map((e) => ({
    from_status: e.fromStatus,
    to_status: e.toStatus,
    applied: e.applied,
    source: e.source,
    detail: e.detail,
    created_at: e.createdAt.toISOString(),
  }));
}
