import type { ProviderId } from '@payouts/core';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { tenants } from './tenants.ts';

/** Who a beneficiary is to the tenant; RazorpayX's contact `type` follows it. */
export const BENEFICIARY_TYPES = ['employee', 'vendor', 'customer', 'self'] as const;
export type BeneficiaryType = (typeof BENEFICIARY_TYPES)[number];

/** Where a beneficiary is paid: a bank account or a UPI address (one per version). */
export interface BeneficiaryAccount {
  account_number?: string;
  bank_code?: string;
  bank_name?: string;
  account_type?: string;
  upi_address?: string;
}

export interface BeneficiaryAddress {
  line1?: string;
  line2?: string;
  city?: string;
  postal_code?: string;
  country?: string;
}

/**
 * A saved payee (docs/api.md, "Beneficiaries"): contact details here, the account it is paid to
 * in `beneficiary_versions`, so that a payout can name the exact account it paid and a change of
 * bank details (the classic payroll-fraud path) is a new, attributable version, never an edit.
 */
export const beneficiaries = pgTable(
  'beneficiaries',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    type: text('type').$type<BeneficiaryType>().notNull(),
    name: text('name').notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    email: text('email'),
    phone: text('phone'),
    country: text('country'),
    address: jsonb('address').$type<BeneficiaryAddress>(),
    /** Accounts the tenant registered at a provider itself (DRUO's `acc_…`): provider → id. */
    providerAccounts: jsonb('provider_accounts').$type<Partial<Record<ProviderId, string>>>().notNull(),
    referenceId: text('reference_id'),
    metadata: jsonb('metadata').$type<Record<string, string>>(),
    /** The newest version in `beneficiary_versions`: the account the next payout pays. */
    currentVersion: integer('current_version').notNull().default(1),
    /** Set by DELETE: no new payouts; payouts already made keep pointing here. */
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('beneficiaries_tenant_idx').on(t.tenantId, t.id),
    index('beneficiaries_tenant_reference_idx').on(t.tenantId, t.referenceId),
  ],
);

/**
 * Every account a beneficiary has had, append-only: version 1 at creation, one more on each change
 * of the account or UPI address, with the key that made it. Payouts record the version they paid.
 */
export const beneficiaryVersions = pgTable(
  'beneficiary_versions',
  {
    beneficiaryId: text('beneficiary_id')
      .notNull()
      .references(() => beneficiaries.id),
    version: integer('version').notNull(),
    account: jsonb('account').$type<BeneficiaryAccount>().notNull(),
    /** The API key that created this version, and its label at the time. */
    createdByKeyId: text('created_by_key_id').notNull(),
    createdByLabel: text('created_by_label'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.beneficiaryId, t.version] })],
);

/**
 * What is registered for a beneficiary at a provider that pays registered accounts (RazorpayX):
 * one row per version paid there. `contact_id` is the beneficiary at the provider (the same on
 * every version: a new account is not a new person); `account_id` is this version's account
 * there, null until it is created. Written step by step, each step before the next call, so a
 * registration interrupted by a crash resumes where it stopped; the provider answers a repeated
 * step with the record it already has, so nothing is registered twice.
 */
/** A saved beneficiary's contact details as a provider's contact holds them. */
export interface RegisteredContactDetails {
  name: string;
  email: string | null;
  phone: string | null;
  type: BeneficiaryType;
}

export const beneficiaryRegistrations = pgTable(
  'beneficiary_registrations',
  {
    beneficiaryId: text('beneficiary_id')
      .notNull()
      .references(() => beneficiaries.id),
    version: integer('version').notNull(),
    provider: text('provider').$type<ProviderId>().notNull(),
    contactId: text('contact_id').notNull(),
    accountId: text('account_id'),
    /**
     * The contact details the provider's contact was last given (created or updated with); the
     * worker updates the contact when the beneficiary's differ. Null: not known (registered before
     * they were kept), so the next payout sends them once.
     */
    contactDetails: jsonb('contact_details').$type<RegisteredContactDetails>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.beneficiaryId, t.provider, t.version] })],
);
