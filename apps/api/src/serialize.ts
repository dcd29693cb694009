import { webhookDeliveries, type webhookEndpoints, webhookEvents } from '@payouts/db';

/**
 * The public payout object lives in @payouts/payouts, so the reconciler's outbound webhooks
 * serialize with exactly the code the API answers with; re-exported here for the routes.
 */
export { payoutResource } from '@payouts/payouts';

/** The webhook endpoint and delivery objects (docs/webhooks.md), from their rows. */
export type EndpointRow = typeof webhookEndpoints.$inferSelect;

export function endpointResource(row: EndpointRow, secret?: string) {
  const expiresAt = row.previousSecretExpiresAt;
  const overlapping = expiresAt && expiresAt > new Date();
  return {
    id: row.id,
    object: 'webhook_endpoint' as const,
    url: row.url,
    description: row.description,
    enabled_events: row.enabledEvents,
    disabled: row.disabled,
    previous_secret_expires_at: overlapping ? expiresAt.toISOString() : null,
    ...(secret ? { secret } : {}),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export const deliveryColumns = {
  delivery: webhookDeliveries,
  type: webhookEvents.type,
  subjectId: webhookEvents.subjectId,
  subjectVersion: webhookEvents.subjectVersion,
};

export function deliveryResource(
  r: {
    delivery: typeof webhookDeliveries.$inferSelect;
    type: string;
    subjectId: string;
    subjectVersion: number;
  },
  withTenant = false,
) {
  const d = r.delivery;
  return {
    id: d.id,
    object: 'webhook_delivery' as const,
    ...(withTenant ? { tenant_id: d.tenantId } : {}),
    endpoint_id: d.endpointId,
    event_id: d.eventId,
    event_type: r.type,
    subject_id: r.subjectId,
    subject_version: r.subjectVersion,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? (d.nextAttemptAt?.toISOString() ?? null) : null,
    last_attempt_at: d.lastAttemptAt?.toISOString() ?? null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}
