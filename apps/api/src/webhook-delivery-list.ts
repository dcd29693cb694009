import { webhookDeliveries, webhookEvents } from '@payouts/db';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { ApiDeps } from './deps.ts';
import { decodeCursor } from './pagination.ts';
import { deliveryColumns } from './serialize.ts';

/**
 * One page of deliveries, newest first, each with its event's type and subject (one row more than
 * `limit`, for `page()` to tell whether there is a next). The tenant's list for one endpoint and the
 * operator's list across tenants differ only in their filters.
 */
export function deliveriesPage(db: ApiDeps['db'], filters: SQL[], cursor: string | undefined, limit: number) {
  const where = cursor ? [...filters, lt(webhookDeliveries.id, decodeCursor(cursor, 'webhookDelivery'))] : filters;
  return db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(and(...where))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1);
}
