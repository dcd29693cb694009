import type { ProviderId } from '@payouts/core';
import { bigserial, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Inbound provider webhooks, verified and de-duplicated by the provider's event id (deliveries are
 * at least once). Only the translated facts are kept, not the raw body: it carries bank details.
 * Money never moves on a webhook alone: it triggers a lookup at the provider, whose answer is applied.
 */
export const providerEvents = pgTable(
  'provider_events',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    provider: text('provider').$type<ProviderId>().notNull(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** Our payout, when the event names one we know. */
    payoutId: text('payout_id'),
    providerPayoutId: text('provider_payout_id'),
    /** What the event claimed (outcome, raw status), for operators; not applied as such. */
    claimed: jsonb('claimed').$type<Record<string, unknown>>(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('provider_events_provider_event_idx').on(t.provider, t.eventId),
    index('provider_events_payout_idx').on(t.payoutId),
  ],
);
