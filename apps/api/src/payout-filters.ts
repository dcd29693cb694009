import { idAtTime } from '@payouts/core';
import { payouts } from '@payouts/db';
import { eq, gte, inArray, lt, lte, type SQL } from 'drizzle-orm';
import type { PayoutFilters } from './schemas.ts';

/**
 * A time window also bounds the id, whose first characters are the time it was minted: the list is
 * ordered by id, and Postgres, not knowing that ids and `created_at` grow together, reads the id
 * index newest first and filters, which for a day of a large tenant's history a year back meant
 * reading every younger payout (1.1 s on 600,000 payouts; 0.7 ms with the id bound). The bounds
 * are loose on purpose and only narrow the scan: an id is minted before its row is written, by at
 * most the time a batch upload takes to arrive and be read (ID_MINTED_BEFORE_MS), and the API's
 * and the database's clocks may differ a little (CLOCK_SKEW_MS).
 */
const ID_MINTED_BEFORE_MS = 24 * 3600_000;
const CLOCK_SKEW_MS = 3600_000;

/**
 * The where-clauses of a payout search (`GET /v1/payouts` and its CSV export), always scoped to the
 * tenant. Times: `from` inclusive, `to` exclusive, so consecutive windows never share a payout.
 */
export function payoutFilterSql(tenantId: string, q: PayoutFilters): SQL[] {
  const filters: SQL[] = [eq(payouts.tenantId, tenantId)];
  if (q.status) {
    const [only, ...more] = q.status;
    filters.push(
      only !== undefined && more.length === 0 ? eq(payouts.status, only) : inArray(payouts.status, q.status),
    );
  }
  if (q.provider) filters.push(eq(payouts.provider, q.provider));
  if (q.currency) filters.push(eq(payouts.currency, q.currency));
  if (q.method) filters.push(eq(payouts.method, q.method));
  if (q.batch_id) filters.push(eq(payouts.batchId, q.batch_id));
  if (q.beneficiary_id) filters.push(eq(payouts.beneficiaryId, q.beneficiary_id));
  if (q.beneficiary_type) filters.push(eq(payouts.beneficiaryType, q.beneficiary_type));
  if (q.reference_id) filters.push(eq(payouts.referenceId, q.reference_id));
  if (q.created_from) {
    filters.push(gte(payouts.createdAt, q.created_from));
    filters.push(gte(payouts.id, idAtTime('payout', q.created_from.getTime() - ID_MINTED_BEFORE_MS)));
  }
  if (q.created_to) {
    filters.push(lt(payouts.createdAt, q.created_to));
    filters.push(lt(payouts.id, idAtTime('payout', q.created_to.getTime() + CLOCK_SKEW_MS)));
  }
  if (q.updated_from) filters.push(gte(payouts.updatedAt, q.updated_from));
  if (q.updated_to) {
    filters.push(lt(payouts.updatedAt, q.updated_to));
    // Changed before `to` means created before it too.
    filters.push(lt(payouts.id, idAtTime('payout', q.updated_to.getTime() + CLOCK_SKEW_MS)));
  }
  if (q.amount_min !== undefined) filters.push(gte(payouts.amount, q.amount_min));
  if (q.amount_max !== undefined) filters.push(lte(payouts.amount, q.amount_max));
  return filters;
}
