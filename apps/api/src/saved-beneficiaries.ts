import { type FieldIssue, maskAccountNumber, type ProviderId } from '@payouts/core';
import {
  type BeneficiaryRecord,
  beneficiaries,
  beneficiaryRegistrations,
  beneficiaryVersions,
  type Executor,
  tenants,
} from '@payouts/db';
import { and, asc, eq, sql } from 'drizzle-orm';

/**
 * Saved beneficiaries as payouts use them (docs/api.md, "Beneficiaries"): a payout naming
 * `beneficiary_id` pays the beneficiary's current version, copied into the payout at acceptance
 * so that what was paid never changes afterwards, and recorded by id and version.
 */
export type BeneficiaryRow = typeof beneficiaries.$inferSelect;
export type BeneficiaryVersionRow = typeof beneficiaryVersions.$inferSelect;
export type BeneficiaryRegistrationRow = typeof beneficiaryRegistrations.$inferSelect;

/** What is registered at providers for these beneficiaries, oldest version first, by beneficiary. */
export async function registrationsOf(db: Executor, ids: string[]): Promise<Map<string, BeneficiaryRegistrationRow[]>> {
  const out = new Map<string, BeneficiaryRegistrationRow[]>();
  if (ids.length === 0) return out;
  const rows = await db
    .select()
    .from(beneficiaryRegistrations)
    .where(
      sql`${beneficiaryRegistrations.beneficiaryId} in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`,
    )
    .orderBy(asc(beneficiaryRegistrations.version), asc(beneficiaryRegistrations.provider));
  for (const row of rows) out.set(row.beneficiaryId, [...(out.get(row.beneficiaryId) ?? []), row]);
  return out;
}

export interface SavedBeneficiary {
  beneficiary: BeneficiaryRow;
  version: BeneficiaryVersionRow;
  /** The tenant's `beneficiary_cooling_off_hours` when it was read. */
  coolingOffHours: number;
}

/**
 * The beneficiaries these payouts name, with their current versions, in one query whatever the
 * number (a payroll run of 100,000 rows names them all at once). Another tenant's is absent,
 * exactly like one that does not exist.
 */
export async function loadSavedBeneficiaries(
  db: Executor,
  tenantId: string,
  ids: Iterable<string>,
): Promise<Map<string, SavedBeneficiary>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const [rows, [tenant]] = await Promise.all([
    db
      .select({ beneficiary: beneficiaries, version: beneficiaryVersions })
      .from(beneficiaries)
      .innerJoin(
        beneficiaryVersions,
        and(
          eq(beneficiaryVersions.beneficiaryId, beneficiaries.id),
          eq(beneficiaryVersions.version, beneficiaries.currentVersion),
        ),
      )
      .where(
        and(
          eq(beneficiaries.tenantId, tenantId),
          // One jsonb parameter, whatever the number of ids (Postgres binds at most 65,535).
          sql`${beneficiaries.id} in (select jsonb_array_elements_text(${JSON.stringify(wanted)}::jsonb))`,
        ),
      ),
    db.select({ hours: tenants.beneficiaryCoolingOffHours }).from(tenants).where(eq(tenants.id, tenantId)),
  ]);
  const coolingOffHours = tenant?.hours ?? 0;
  return new Map(rows.map((r) => [r.beneficiary.id, { ...r, coolingOffHours }]));
}

/**
 * What a payout to this beneficiary may do now. Its account changed less than the tenant's
 * cooling-off ago: it waits for an approval (docs/api.md, "Approvals"), created in
 * `pending_approval` with an approval request whose reasons say `beneficiary_cooling_off` —
 * the same request, routes and maker ≠ checker rule as a payout the approval policy caught. The
 * account given at creation is not a change (a payroll team saves its employees and pays them
 * the same day). This is the one place that decides it.
 */
export type CoolingOffDecision = { kind: 'pay' } | { kind: 'approval'; endsAt: Date };

export function coolingOffDecision(saved: SavedBeneficiary, now: Date): CoolingOffDecision {
  if (saved.coolingOffHours <= 0 || saved.version.version <= 1) return { kind: 'pay' };
  const endsAt = new Date(saved.version.createdAt.getTime() + saved.coolingOffHours * 3_600_000);
  return endsAt > now ? { kind: 'approval', endsAt } : { kind: 'pay' };
}

/** Why a payout may not name this id at all (unknown, another tenant's, archived), or null. */
export function unpayableIssue(id: string, saved: SavedBeneficiary | undefined): FieldIssue | null {
  if (!saved) return { path: 'beneficiary_id', message: `no saved beneficiary ${id} exists` };
  if (saved.beneficiary.archivedAt) {
    return {
      path: 'beneficiary_id',
      message: `beneficiary ${id} is archived (${saved.beneficiary.archivedAt.toISOString()}); no new payouts go to it`,
    };
  }
  return null;
}

/**
 * The bank details a payout through `provider` carries: the beneficiary's contact details, its
 * current account, and the account the tenant registered at that provider, if any.
 */
export function payoutBeneficiaryOf(saved: SavedBeneficiary, provider: ProviderId): BeneficiaryRecord {
  const b = saved.beneficiary;
  const account = saved.version.account;
  const record: BeneficiaryRecord = {
    name: b.name,
    first_name: b.firstName ?? undefined,
    last_name: b.lastName ?? undefined,
    email: b.email ?? undefined,
    phone: b.phone ?? undefined,
    country: b.country ?? undefined,
    account_number: account.account_number,
    bank_code: account.bank_code,
    bank_name: account.bank_name,
    account_type: account.account_type,
    upi_address: account.upi_address,
    address: b.address ?? undefined,
    provider_account_id: b.providerAccounts[provider],
  };
  // No undefined keys: the record is stored as jsonb and answered as it is.
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as BeneficiaryRecord;
}

/**
 * A provider's issue about the copied bank details (`beneficiary.name`), said of the field the
 * client sent (`beneficiary_id`), naming the saved field it is about.
 */
export function asSavedBeneficiaryIssue(issue: FieldIssue): FieldIssue {
  if (!issue.path.startsWith('beneficiary.')) return issue;
  return {
    path: 'beneficiary_id',
    message: `the saved beneficiary's ${issue.path.slice('beneficiary.'.length)} ${issue.message}`,
  };
}

function accountResource(account: BeneficiaryVersionRow['account']) {
  return {
    bank_account:
      account.account_number === undefined && account.bank_code === undefined
        ? null
        : {
            account_number: maskAccountNumber(account.account_number),
            bank_code: account.bank_code ?? null,
            bank_name: account.bank_name ?? null,
            account_type: account.account_type ?? null,
          },
    upi_address: account.upi_address ?? null,
  };
}

export function beneficiaryVersionResource(v: BeneficiaryVersionRow) {
  return {
    version: v.version,
    ...accountResource(v.account),
    created_by: { key_id: v.createdByKeyId, label: v.createdByLabel },
    created_at: v.createdAt.toISOString(),
  };
}

/** The public beneficiary object: the account number masked, as on a payout. */
export function beneficiaryResource(
  b: BeneficiaryRow,
  v: BeneficiaryVersionRow,
  registrations: BeneficiaryRegistrationRow[] = [],
) {
  return {
    id: b.id,
    object: 'beneficiary' as const,
    type: b.type,
    name: b.name,
    first_name: b.firstName,
    last_name: b.lastName,
    email: b.email,
    phone: b.phone,
    country: b.country,
    address: (b.address as Record<string, string> | null) ?? null,
    reference_id: b.referenceId,
    metadata: b.metadata ?? {},
    ...accountResource(v.account),
    version: v.version,
    version_created_by: { key_id: v.createdByKeyId, label: v.createdByLabel },
    version_created_at: v.createdAt.toISOString(),
    provider_accounts: b.providerAccounts as Record<string, string>,
    registrations: registrations.map((r) => ({
      provider: r.provider,
      version: r.version,
      contact_id: r.contactId,
      account_id: r.accountId,
      created_at: r.createdAt.toISOString(),
    })),
    archived: b.archivedAt !== null,
    archived_at: b.archivedAt?.toISOString() ?? null,
    created_at: b.createdAt.toISOString(),
    updated_at: b.updatedAt.toISOString(),
  };
}
