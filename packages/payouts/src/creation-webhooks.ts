import { newId, type WebhookEventType } from '@payouts/core';
import { type Executor, type webhookDeliveries, webhookEndpoints, type webhookEvents } from '@payouts/db';
import { and, eq } from 'drizzle-orm';

type EventInsert = typeof webhookEvents.$inferInsert;
type DeliveryInsert = typeof webhookDeliveries.$inferInsert;

/**
 * The outbound webhook events a create sends (`payout.scheduled`, `batch.scheduled`: docs/webhooks.md),
 * one per subject, with a delivery to each enabled endpoint of the tenant that wants the type.
 * Built here and written by the caller in the transaction (or statement) that creates the
 * subjects, so an event exists exactly when its payout or run does. A subject's creation is its
 * version 0: nothing comes before it in its version chain, so every delivery is due at once.
 * Null when no endpoint wants the type (nothing to write: the common case costs one read).
 */
export async function creationWebhooks(
  db: Executor,
  tenantId: string,
  type: WebhookEventType,
  subjects: readonly { id: string; data: unknown }[],
  now: Date,
): Promise<{ events: EventInsert[]; deliveries: DeliveryInsert[] } | null> {
  if (subjects.length === 0) return null;
  const endpoints = (
    await db
      .select({ id: webhookEndpoints.id, enabledEvents: webhookEndpoints.enabledEvents })
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.disabled, false)))
  ).filter((e) => e.enabledEvents === null || e.enabledEvents.includes(type));
  if (endpoints.length === 0) return null;
  const events: EventInsert[] = [];
  const deliveries: DeliveryInsert[] = [];
  for (const subject of subjects) {
    const eventId = newId('webhookEvent');
    events.push({
      id: eventId,
      tenantId,
      type,
      subjectId: subject.id,
      subjectVersion: 0,
      payload: { type, timestamp: now.toISOString(), data: subject.data },
      createdAt: now,
    });
    for (const endpoint of endpoints)
      deliveries.push({
        id: newId('webhookDelivery'),
        eventId,
        endpointId: endpoint.id,
        tenantId,
        subjectId: subject.id,
        subjectVersion: 0,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      });
  }
  return { events, deliveries };
}
