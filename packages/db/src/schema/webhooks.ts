import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { tenants } from './tenants.ts';

/**
 * A tenant's endpoint for outbound webhooks (Standard Webhooks). The secret is kept in clear
 * because signing needs it; it is shown in full only when created or rotated. During a rotation
 * the previous secret keeps signing (a second `v1,` signature) until `previousSecretExpiresAt`,
 * so receivers can switch without a window where every signature fails.
 *
 * Delivery health, kept by the deliverer: an endpoint whose attempts keep failing opens its
 * circuit (`circuitOpenUntil`): none of its deliveries is claimed until then, and then a single
 * one probes it. `lastClaimedAt` orders endpoints in a claim, least recently served first.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    url: text('url').notNull(),
    description: text('description'),
    /** Event types delivered to this endpoint; null means every type. */
    enabledEvents: jsonb('enabled_events').$type<string[] | null>(),
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
    disabled: boolean('disabled').notNull().default(false),
    /** Attempts in a row that failed in a way worth retrying (5xx, 408, 429, timeout, network). */
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    /** Set while the circuit is open (and while its probe is in flight); null when closed. */
    circuitOpenUntil: timestamp('circuit_open_until', { withTimezone: true }),
    lastClaimedAt: timestamp('last_claimed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoints_tenant_idx').on(t.tenantId)],
);

/**
 * One event for a tenant (the outbox): written in the same transaction as the state change it
 * reports, so an event exists exactly when the change committed. `id` is the `webhook-id`.
 * `subjectVersion` is the payout's (or batch's) version at that change: a receiver, and the
 * deliverer, can tell an older event from a newer one.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    type: text('type').notNull(),
    subjectId: text('subject_id').notNull(),
    subjectVersion: integer('subject_version').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_events_subject_version_uq').on(t.subjectId, t.subjectVersion, t.type),
    index('webhook_events_tenant_created_idx').on(t.tenantId, t.createdAt),
  ],
);

/**
 * One event to one endpoint: its attempts, outcome and next try. `cancelled`: its endpoint was
 * disabled (or deleted) while it was pending; an operator can still replay it.
 *
 * A pending delivery with `nextAttemptAt` null waits for an earlier version of its subject to the
 * same endpoint (version order; the chain is `webhook_deliveries_chain_idx`); the one that
 * finishes that earlier delivery gives it a time. So
 * every row in `webhook_deliveries_ready_idx` can be sent when its time comes, and a claim reads
 * only the rows it takes, however many wait behind them.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => webhookEvents.id),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    tenantId: text('tenant_id').notNull(),
    /**
     * The event's subject and version, copied here so that a version chain is one index range:
     * set on every delivery written since migration 0006, and on those pending then.
     */
    subjectId: text('subject_id'),
    subjectVersion: integer('subject_version'),
    status: text('status', { enum: ['pending', 'succeeded', 'failed', 'cancelled'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_endpoint_uq').on(t.eventId, t.endpointId),
    index('webhook_deliveries_due_idx').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
    index('webhook_deliveries_ready_idx')
      .on(t.endpointId, t.nextAttemptAt)
      .where(sql`status = 'pending' and next_attempt_at is not null`),
    // Also every pending delivery of an endpoint (its leading column): cancelling, the sweep.
    index('webhook_deliveries_chain_idx')
      .on(t.endpointId, t.subjectId, t.subjectVersion)
      .where(sql`status = 'pending'`),
  ],
);
