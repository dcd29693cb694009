import { TENANT_KEY_ROLES } from '@payouts/core';
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * A tenant's approval policy (docs/api.md, "Approvals"): which payouts and batches need approvals.
 * `min_amount` is per currency, in minor units; a payout (or a batch's total) in that currency of
 * at least it needs `approvals_required` distinct approvals. No rule for a kind and currency: none.
 */
export interface ApprovalPolicy {
  rules: { kind: 'payout' | 'batch'; min_amount: Record<string, number>; approvals_required: 1 | 2 }[];
  expires_after_hours: number;
}

/**
 * A tenant's routing rules (docs/api.md, "Routing rules"): the first rule whose `match` a payout
 * that names no provider satisfies gives its ordered providers; `fallback_on` lists the confirmed
 * failure codes after which it may go to the next one. Amounts in minor units.
 */
export interface RoutingRules {
  rules: {
    match: {
      currency?: string;
      method?: string;
      amount_min?: number;
      amount_max?: number;
      /** Matches only payouts whose beneficiary has this type (`employee`, …); one without a type never. */
      beneficiary_type?: string;
    };
    providers: string[];
    fallback_on: string[];
  }[];
}

export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /**
   * When set, every request with this tenant's keys must be HMAC-signed with it (timestamp and
   * raw body). Kept in clear because verifying needs it; shown once when enabled.
   */
  requestSigningSecret: text('request_signing_secret'),
  /**
   * Refuse a payout whose `reference_id` a live payout of this tenant already has (on unless the
   * tenant turns it off: a retried refund with a new Idempotency-Key must not pay twice).
   */
  duplicateReferenceGuard: boolean('duplicate_reference_guard').notNull().default(true),
  /** Which payouts and batches need approvals before any money is held (null: none do). */
  approvalPolicy: jsonb('approval_policy').$type<ApprovalPolicy>(),
  /**
   * Hours after a saved beneficiary's bank details change during which payouts to it are held
   * back (0: off). A changed account is the classic payroll-fraud path.
   */
  beneficiaryCoolingOffHours: integer('beneficiary_cooling_off_hours').notNull().default(0),
  /**
   * Payout purposes the tenant created with its provider itself (RazorpayX allows custom purposes,
   * made on its Dashboard only), accepted beside the provider's standard ones.
   */
  payoutPurposes: jsonb('payout_purposes').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  /**
   * Rail fallback (docs/api.md, "Rail fallback"): a payout whose provider confirms its rail is
   * unavailable (RazorpayX `imps_not_allowed`) is sent again on NEFT as a second provider attempt.
   * A payout's own `rail_fallback` overrides this default.
   */
  railFallback: boolean('rail_fallback').notNull().default(false),
  /** Routing rules for payouts that name no provider (null: each currency's configured provider). */
  routingRules: jsonb('routing_rules').$type<RoutingRules>(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * API keys are stored only as a SHA-256 of the secret: the key itself is shown once, at issue.
 * Keys are high-entropy random strings, so a fast hash is enough (no password stretching needed)
 * and lets every request be authenticated by an indexed equality lookup.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    /** Null for operator keys, which are not bound to a tenant. */
    tenantId: text('tenant_id').references(() => tenants.id),
    role: text('role', { enum: ['tenant', 'operator'] }).notNull(),
    /**
     * What a tenant key may do (`admin`, `maker`, `approver`, `viewer`); null on operator keys.
     * A tenant key stored without one (issued before roles, or seeded by a script) is `admin`.
     */
    tenantRole: text('tenant_role', { enum: TENANT_KEY_ROLES }),
    /** Who holds the key ("Asha (payroll)"), shown in the history and audit trail instead of its id. */
    label: text('label'),
    /** The first characters of the key (`sk_test_ab12`), so a person can tell keys apart. */
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull().unique(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_tenant_idx').on(t.tenantId)],
);
