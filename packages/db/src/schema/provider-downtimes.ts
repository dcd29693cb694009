import type { ProviderId } from '@payouts/core';
import { sql } from 'drizzle-orm';
import { bigserial, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * A provider's downtime for some of its modes (rails): announced by the provider (RazorpayX's
 * `payout.downtime.started|resolved` webhooks) or declared by an operator. While one covers a
 * payout's method, the payout waits in `queued` (`queued_reason: provider_downtime`) instead of
 * being sent; when it ends (resolved, or its `ends_at` passed) the waiting payouts go on, oldest first.
 */
export const providerDowntimes = pgTable(
  'provider_downtimes',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    provider: text('provider').$type<ProviderId>().notNull(),
    /** The methods it covers, as the public API spells them (`IMPS`, `NEFT`, …). */
    modes: text('modes').array().notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    /** When it is expected to end; null: until resolved. */
    endsAt: timestamp('ends_at', { withTimezone: true }),
    /** `webhook` (the provider said so) or `operator`. */
    source: text('source').$type<'webhook' | 'operator'>().notNull(),
    /** The provider's own id for it (RazorpayX `poutd_…`), so its resolution finds it. */
    externalId: text('external_id'),
    /** Who declared it: the operator key, or the provider's event id. */
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('provider_downtimes_external_idx').on(t.provider, t.externalId),
    index('provider_downtimes_open_idx').on(t.provider).where(sql`resolved_at is null`),
  ],
);
export type ProviderDowntime = typeof providerDowntimes.$inferSelect;
