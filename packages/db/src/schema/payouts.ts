import {
  type Currency,
  FINAL_STATUSES,
  PAYOUT_STATUSES,
  type PayoutStatus,
  type ProviderId,
  type QueuedReason,
  type TransitionSource,
} from '@payouts/core';
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { BeneficiaryType } from './beneficiaries.ts';
import { tenants } from './tenants.ts';

/** Bank details as accepted by the API. Lives only in Postgres: job payloads carry ids. */
export interface BeneficiaryRecord {
  name?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  phone?: string;
  country?: string;
  account_number?: string;
  bank_code?: string;
  bank_name?: string;
  account_type?: string;
  address?: { line1?: string; line2?: string; city?: string; postal_code?: string; country?: string };
  provider_account_id?: string;
  /** A UPI address (VPA), for a saved beneficiary paid by UPI. */
  upi_address?: string;
}

/**
 * The final states as an SQL list literal, `('processed','failed',…)` in the table's order: written
 * out rather than bound, so a query's `status not in` is the very text of the partial index's
 * predicate below, which Postgres must see to use the index.
 */
export const FINAL_STATUS_LIST = sql.raw(
  `(${PAYOUT_STATUSES.filter((s) => FINAL_STATUSES.has(s))
    .map((s) => `'${s}'`)
    .join(',')})`,
);

/**
 * The states that free a payout's `reference_id` for another payout (it moved no money and never
 * will): the duplicate guard ignores payouts in them. Written out like `FINAL_STATUS_LIST`.
 */
export const REFERENCE_RELEASING_STATUSES = [
  'failed',
  'rejected',
  'cancelled',
] as const satisfies readonly PayoutStatus[];
const RELEASED_REFERENCE_STATUS_LIST = sql.raw(`(${REFERENCE_RELEASING_STATUSES.map((s) => `'${s}'`).join(',')})`);
/** The unique index a duplicate reference violates (the API maps it to `409 duplicate_reference`). */
export const LIVE_REFERENCE_INDEX = 'payouts_live_reference_idx';

export const payouts = pgTable(
  'payouts',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    status: text('status').$type<PayoutStatus>().notNull(),
    /** Why the payout waits in `queued`: the tenant's wallet or the provider's float. */
    queuedReason: text('queued_reason').$type<QueuedReason>(),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    currency: text('currency').$type<Currency>().notNull(),
    provider: text('provider').$type<ProviderId>().notNull(),
    method: text('method').notNull(),
    purpose: text('purpose'),
    /** The purpose is one the tenant registered with the provider (`payout_purposes`), not a standard one. */
    purposeRegistered: boolean('purpose_registered').notNull().default(false),
    referenceId: text('reference_id'),
    /**
     * Whether the tenant's duplicate-reference guard was on when the payout was created: only such
     * payouts take part in the unique index of live references below, so turning the guard off
     * lets later payouts repeat a reference, and turning it back on never fails on them.
     */
    referenceGuarded: boolean('reference_guarded').notNull().default(false),
    narration: text('narration'),
    description: text('description'),
    beneficiary: jsonb('beneficiary').$type<BeneficiaryRecord>().notNull(),
    /**
     * The saved beneficiary paid (`ben_…`) and its version: the account in `beneficiary` is a copy
     * of that version's, taken at acceptance. Null for a payout with inline bank details.
     */
    beneficiaryId: text('beneficiary_id'),
    beneficiaryVersion: integer('beneficiary_version'),
    /**
     * Who the beneficiary is to the tenant (`employee`, `vendor`, …), taken at acceptance: the saved
     * beneficiary's type, or the inline beneficiary's `type`. Routing rules match on it
     * (`match.beneficiary_type`) and searches filter by it. Null: an inline beneficiary sent without one.
     */
    beneficiaryType: text('beneficiary_type').$type<BeneficiaryType>(),
    queueIfLowBalance: boolean('queue_if_low_balance').notNull().default(false),
    metadata: jsonb('metadata').$type<Record<string, string>>(),
    batchId: text('batch_id'),
    /** The payout's row in its batch upload (1-based), for the per-row results export. */
    batchRow: integer('batch_row'),
    /**
     * When a payout created with a `scheduled_for` (docs/api.md) enters the normal flow: it waits
     * in `scheduled` until then, nothing held, nothing sent. Kept after the release, as asked.
     */
    scheduledFor: timestamp('scheduled_for', { withTimezone: true }),
    /**
     * The key every call to the provider carries for this payout. Minted once at ingestion and
     * never changed, so a retry or replay can never create a second payout at the provider.
     */
    providerIdempotencyKey: text('provider_idempotency_key').notNull(),
    /**
     * The payout's current provider attempt (1 for its first). `provider`, `method`,
     * `provider_idempotency_key` and the provider's answer on this row are those of this attempt;
     * earlier ones, each confirmed failed before the next began, are in `provider_attempts`.
     * The key of attempt n > 1 is derived from the payout id and n (`attemptIdempotencyKey`), so a
     * retry of an attempt always sends the same key.
     */
    attempt: integer('attempt').notNull().default(1),
    /**
     * How many times the payout was replayed out of `failed` (a systemic failure, proven absent at
     * its provider: docs/operations.md). Each replay places a new hold, so the ledger transactions of
     * the n-th replay carry `:replay<n>` after their kind (`po_…:hold:replay1`): the earlier hold and
     * its release stay as they were, and each cycle's keys are its own.
     */
    replays: integer('replays').notNull().default(0),
    /**
     * The payout's own rail fallback choice (`rail_fallback` in the create request); null follows
     * the tenant's setting at the time the provider confirms the rail unavailable.
     */
    railFallback: boolean('rail_fallback'),
    /**
     * Provider routing (docs/api.md, "Routing rules"): the ordered providers this payout may go to,
     * chosen at creation by the tenant's first matching rule and cut to those whose rules it
     * satisfies; `provider` is the current one. Null for a payout that named its provider (or was
     * created before routing rules): it stays with that provider.
     */
    route: text('route').array(),
    /**
     * The confirmed failure codes after which the payout may go to the next provider of its route
     * (the matched rule's `fallback_on`, kept with the payout so a later rule change does not move it).
     */
    routeFallbackOn: text('route_fallback_on').array(),
    providerPayoutId: text('provider_payout_id'),
    providerStatus: text('provider_status'),
    utr: text('utr'),
    /** Fees excluding tax, and the tax on them, as the provider charged them. */
    fees: bigint('fees', { mode: 'bigint' }),
    tax: bigint('tax', { mode: 'bigint' }),
    /** Held on top of the amount to cover fees not known until the provider processes it. */
    feeReserve: bigint('fee_reserve', { mode: 'bigint' }).notNull().default(sql`0`),
    failureCode: text('failure_code'),
    failureMessage: text('failure_message'),
    /** Incremented on every applied transition; compare-and-set guard and a cheap change marker. */
    version: integer('version').notNull().default(0),
    /**
     * The hash of the payout's newest history row (`payout_events.hash`): the head of its audit
     * chain, so a writer chains the next row without reading the last one, and a verifier sees a
     * deleted tail. Null until the payout's first hashed row.
     */
    historyHash: text('history_hash'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('payouts_tenant_id_idx').on(t.tenantId, t.id),
    index('payouts_tenant_reference_idx').on(t.tenantId, t.referenceId),
    // `GET /v1/payouts?status=`: a state few payouts are in (rejected, reversed) would otherwise
    // read the tenant's whole history, newest first, to find none.
    index('payouts_tenant_status_idx').on(t.tenantId, t.status, t.id),
    // The duplicate guard: one live payout per reference and tenant. A constraint rather than a
    // check before the insert, so two concurrent creates cannot both pass it.
    uniqueIndex(LIVE_REFERENCE_INDEX)
      .on(t.tenantId, t.referenceId)
      .where(sql`reference_guarded and status not in ${RELEASED_REFERENCE_STATUS_LIST}`),
    index('payouts_batch_row_idx').on(t.batchId, t.batchRow),
    index('payouts_tenant_beneficiary_idx').on(t.tenantId, t.beneficiaryId, t.id),
    // The sweeper's scan: unfinished payouts by age.
    index('payouts_unfinished_idx').on(t.status, t.updatedAt).where(sql`status not in ${FINAL_STATUS_LIST}`),
    // The sweeper's reversal-watch scan and the daily late-reversal re-check: processed payouts by
    // when they were processed (without it, both scanned the whole table every pass).
    index('payouts_processed_idx').on(t.updatedAt).where(sql`status = 'processed'`),
    // First-in-first-out release of payouts waiting for a wallet to be funded.
    index('payouts_wallet_queue_idx')
      .on(t.tenantId, t.currency, t.id)
      .where(sql`status = 'queued' and queued_reason = 'wallet_low_balance'`),
    index('payouts_provider_ref_idx').on(t.provider, t.providerPayoutId),
    // The release of due scheduled payouts, in time order: a scan every second reads only what is due.
    index('payouts_scheduled_idx').on(t.scheduledFor, t.id).where(sql`status = 'scheduled'`),
  ],
);

/**
 * Every transition the reconciler was asked to make, applied or not: a stale or illegal one is
 * kept with `applied = false` so an operator can see what a provider or webhook said.
 */
export const payoutEvents = pgTable(
  'payout_events',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    payoutId: text('payout_id')
      .notNull()
      .references(() => payouts.id),
    fromStatus: text('from_status').$type<PayoutStatus>(),
    toStatus: text('to_status').$type<PayoutStatus>().notNull(),
    applied: boolean('applied').notNull(),
    source: text('source').$type<TransitionSource>().notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * The payout's audit chain (`packages/db/src/audit-chain.ts`): `prev_hash` is the hash of the
     * payout's previous row (null for its first), `hash` the SHA-256 of this row's content and
     * `prev_hash`. Both null on rows written before the chain existed.
     */
    prevHash: text('prev_hash'),
    hash: text('hash'),
  },
  (t) => [index('payout_events_payout_idx').on(t.payoutId, t.id)],
);

/**
 * The worker's claim before it calls a provider. A payout with a claim may already exist at the
 * provider, so a client cancel is refused from then on (the reconciler checks this row under the
 * payout's row lock; the worker writes it under the same lock). Not payout state: a log of calls.
 */
export const providerSubmissions = pgTable('provider_submissions', {
  payoutId: text('payout_id')
    .primaryKey()
    .references(() => payouts.id),
  attempts: integer('attempts').notNull().default(1),
  firstAt: timestamp('first_at', { withTimezone: true }).notNull().defaultNow(),
  lastAt: timestamp('last_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A payout's earlier provider attempts, each ended by a failure the provider confirmed (never an
 * unknown outcome) whose reason let the payout try again: another rail (IMPS → NEFT). The current
 * attempt lives on the payout row. The ledger holds once for the payout, never per attempt.
 */
export const providerAttempts = pgTable(
  'provider_attempts',
  {
    payoutId: text('payout_id')
      .notNull()
      .references(() => payouts.id),
    attempt: integer('attempt').notNull(),
    provider: text('provider').$type<ProviderId>().notNull(),
    method: text('method').notNull(),
    /** The key every call of this attempt carried (the payout's own for attempt 1). */
    idempotencyKey: text('idempotency_key').notNull(),
    providerPayoutId: text('provider_payout_id'),
    providerStatus: text('provider_status'),
    /** How the attempt ended: the state the provider confirmed (`failed`, `rejected`). */
    outcome: text('outcome').$type<PayoutStatus>().notNull(),
    failureCode: text('failure_code'),
    failureMessage: text('failure_message'),
    endedAt: timestamp('ended_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('provider_attempts_payout_attempt_idx').on(t.payoutId, t.attempt),
    index('provider_attempts_provider_ref_idx').on(t.provider, t.providerPayoutId),
  ],
);
