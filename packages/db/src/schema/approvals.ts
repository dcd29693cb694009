import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { tenants } from './tenants.ts';

export const APPROVAL_REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalRequestStatus = (typeof APPROVAL_REQUEST_STATUSES)[number];

/**
 * Why a payout or batch waits: the tenant's approval policy caught its amount, and/or it pays a
 * saved beneficiary whose bank details changed within the tenant's cooling-off.
 */
export const APPROVAL_REASONS = ['approval_policy', 'beneficiary_cooling_off'] as const;
export type ApprovalReason = (typeof APPROVAL_REASONS)[number];

/**
 * One row per payout or batch a policy caught: the decision, kept in Postgres (the truth). The API
 * decides (approvals counted under this row's lock); the reconciler applies a decision to the
 * payouts (`pending_approval` → `accepted` or `cancelled`), and the sweeper expires what is past
 * `expires_at` and re-drives decided payouts whose job was lost.
 */
export const approvalRequests = pgTable(
  'approval_requests',
  {
    /** The payout (`po_…`) or batch (`batch_…`) waiting for approval. */
    subjectId: text('subject_id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    kind: text('kind', { enum: ['payout', 'batch'] }).notNull(),
    status: text('status', { enum: APPROVAL_REQUEST_STATUSES }).notNull(),
    approvalsRequired: integer('approvals_required').notNull(),
    /** Why it waits (APPROVAL_REASONS); requests made before reasons were kept say `approval_policy`. */
    reasons: text('reasons', { enum: APPROVAL_REASONS }).array().notNull().default(sql`'{approval_policy}'::text[]`),
    /** The key that created the subject, and its label: neither may approve it (maker ≠ checker). */
    makerKeyId: text('maker_key_id').notNull(),
    makerLabel: text('maker_label'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
  },
  (t) => [
    // The sweeper's expiry scan.
    index('approval_requests_pending_idx').on(t.expiresAt).where(sql`status = 'pending'`),
    index('approval_requests_tenant_idx').on(t.tenantId, t.status),
  ],
);

/**
 * Every approval or rejection given, with the key and its label (a person, not a key id). One
 * per key and subject: the same approver twice counts once.
 */
export const approvalDecisions = pgTable(
  'approval_decisions',
  {
    subjectId: text('subject_id')
      .notNull()
      .references(() => approvalRequests.subjectId),
    keyId: text('key_id').notNull(),
    keyLabel: text('key_label'),
    decision: text('decision', { enum: ['approve', 'reject'] }).notNull(),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.subjectId, t.keyId] })],
);

/**
 * A bulk replay waiting for a second operator (`OPERATOR_APPROVALS=on`, docs/operations.md): the
 * request as sent, run only when another operator key approves it.
 */
export const replayRequests = pgTable('replay_requests', {
  id: text('id').primaryKey(),
  /** The operator key that asked for the replay. */
  requestedBy: text('requested_by').notNull(),
  /** The `POST /v1/admin/replays` body, as validated. */
  body: jsonb('body').$type<Record<string, unknown>>().notNull(),
  status: text('status', { enum: ['pending', 'approved'] }).notNull(),
  approvedBy: text('approved_by'),
  /** What the replay did when it ran: `{matched, replayed}`. */
  result: jsonb('result').$type<Record<string, unknown>>(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  decidedAt: timestamp('decided_at', { withTimezone: true }),
});
