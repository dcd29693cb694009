import { must } from '@payouts/core';
import { beneficiaries, beneficiaryRegistrations, type Database } from '@payouts/db';
import type { PayoutRow } from '@payouts/payouts';
import type { CanonicalPayout, ProviderAdapter } from '@payouts/providers';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';

/**
 * Saved beneficiaries registered once per provider (docs/providers.md, "Saved beneficiaries"): the
 * first payout of a beneficiary version through a provider with a registrar (RazorpayX) creates
 * the contact (once per beneficiary) and the account (once per version) there; every later payout
 * goes by the stored account id. Each step is stored before the next call, and a repeated step is
 * answered by the provider with the record it already has, so a registration interrupted by a
 * crash is resumed, never doubled. Bank details stay in Postgres; only ids pass through here.
 *
 * Returns the provider's account id to pay, or null when the payout needs no registration (inline
 * bank details, a provider without a registrar, or an account the tenant registered itself).
 */
export async function registeredAccount(
  db: Database,
  adapter: ProviderAdapter,
  row: PayoutRow,
  payout: CanonicalPayout,
): Promise<string | null> {
  const { registrar } = adapter;
  const { beneficiaryId, beneficiaryVersion: version } = row;
  if (!registrar || beneficiaryId === null || version === null || payout.beneficiary.provider_account_id) return null;
  const key = and(
    eq(beneficiaryRegistrations.beneficiaryId, beneficiaryId),
    eq(beneficiaryRegistrations.provider, adapter.id),
    eq(beneficiaryRegistrations.version, version),
  );
  const read = async () => (await db.select().from(beneficiaryRegistrations).where(key))[0];

  let registration = await read();
  if (registration?.accountId) return registration.accountId;

  if (!registration) {
    // A new account is not a new person: an earlier version's contact is kept.
    const [earlier] = await db
      .select({ contactId: beneficiaryRegistrations.contactId })
      .from(beneficiaryRegistrations)
      .where(
        and(
          eq(beneficiaryRegistrations.beneficiaryId, beneficiaryId),
          eq(beneficiaryRegistrations.provider, adapter.id),
        ),
      )
      .orderBy(desc(beneficiaryRegistrations.version))
      .limit(1);
    let contactId = earlier?.contactId;
    if (!contactId) {
      const [saved] = await db
        .select({ type: beneficiaries.type })
        .from(beneficiaries)
        .where(eq(beneficiaries.id, beneficiaryId));
      contactId = await registrar.contact({
        beneficiaryId,
        kind: must(saved, `beneficiary ${beneficiaryId} of payout ${row.id}`).type,
        beneficiary: payout.beneficiary,
      });
    }
    // Two workers registering at once: the first row stands (the provider answered both the same).
    await db
      .insert(beneficiaryRegistrations)
      .values({ beneficiaryId, version, provider: adapter.id, contactId })
      .onConflictDoNothing();
    registration = must(await read(), `the registration of ${beneficiaryId} v${version} at ${adapter.id}`);
  }

  const accountId = await registrar.account({
    contactId: registration.contactId,
    beneficiary: payout.beneficiary,
    method: payout.method,
  });
  await db
    .update(beneficiaryRegistrations)
    .set({ accountId, updatedAt: sql`now()` })
    .where(and(key, isNull(beneficiaryRegistrations.accountId)));
  return must((await read())?.accountId, `the account of ${beneficiaryId} v${version} at ${adapter.id}`);
}
