import { must } from '@payouts/core';
import { type Executor, LIVE_REFERENCE_INDEX, payouts, REFERENCE_RELEASING_STATUSES } from '@payouts/db';
import { and, eq, notInArray, sql } from 'drizzle-orm';
import { HttpProblem } from './problem.ts';

/**
 * The duplicate guard (docs/api.md, "Duplicate references"): a tenant's `reference_id` belongs to
 * at most one live payout (not failed, rejected or cancelled), so a backend that retries a refund
 * with a new Idempotency-Key cannot pay it twice. The unique index `payouts_live_reference_idx`
 * decides; these helpers find the payout that holds a reference and say so.
 */

/** Whether an error (or its `cause`: drizzle wraps driver errors) is a violation of the guard's index. */
export function isDuplicateReference(error: unknown): boolean {
  for (
    let e = error, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    // postgres-js names the index `constraint_name`; PGlite (pg-protocol) names it `constraint`.
    const { code, constraint_name, constraint } = e as Record<string, unknown>;
    if (code === '23505' && (constraint_name === LIVE_REFERENCE_INDEX || constraint === LIVE_REFERENCE_INDEX)) {
      return true;
    }
  }
  return false;
}

/** The live, guarded payouts holding any of these references: reference → payout id. */
export async function livePayoutsByReference(
  db: Executor,
  tenantId: string,
  references: string[],
): Promise<Map<string, string>> {
  if (references.length === 0) return new Map();
  const rows = await db
    .select({ id: payouts.id, referenceId: payouts.referenceId })
    .from(payouts)
    .where(
      and(
        eq(payouts.tenantId, tenantId),
        // One jsonb parameter, whatever the number of references (a run of 100,000 rows): drizzle
        // would bind each element of an `in` list on its own, and Postgres allows 65,535.
        sql`${payouts.referenceId} in (select jsonb_array_elements_text(${JSON.stringify(references)}::jsonb))`,
        eq(payouts.referenceGuarded, true),
        notInArray(payouts.status, [...REFERENCE_RELEASING_STATUSES]),
      ),
    );
  return new Map(rows.map((r) => [must(r.referenceId, 'the reference_id of a payout matched by it'), r.id]));
}

export function duplicateReference(reference: string, existingId: string): HttpProblem {
  return new HttpProblem(
    409,
    'duplicate_reference',
    `Payout ${existingId} already has reference_id "${reference}" and is not failed, rejected or cancelled; nothing was created. Look that payout up instead of paying again.`,
    [{ path: 'reference_id', message: `is the reference of payout ${existingId}` }],
    { existing_payout_id: existingId },
  );
}

export function duplicateReferenceMessage(existingId: string): string {
  return `is the reference of payout ${existingId}, which is not failed, rejected or cancelled`;
}
