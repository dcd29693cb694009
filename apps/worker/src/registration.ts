import { must } from '@payouts/core';
import { beneficiaries, beneficiaryRegistrations, type Database, type RegisteredContactDetails } from '@payouts/db';
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

  const [saved] = await db
    .select({
      type: beneficiaries.type,
      name: beneficiaries.name,
      email: beneficiaries.email,
      phone: beneficiaries.phone,
    })
    .from(beneficiaries)
    .where(eq(beneficiaries.id, beneficiaryId));
  const current = must(saved, `beneficiary ${beneficiaryId} of payout ${row.id}`);
  const details: RegisteredContactDetails = {
    name: current.name,
    email: current.email,
    phone: current.phone,
    type: current.type,
  };

  let registration = await read();
  if (registration?.accountId) {
    await keepContactCurrent(db, adapter, registration, details, payout);
    return registration.accountId;
  }

  if (!registration) {
    // A new account is not a new person: an earlier version's contact is kept.
    const [earlier] = await db
      .select({
        contactId: beneficiaryRegistrations.contactId,
        contactDetails: beneficiaryRegistrations.contactDetails,
      })
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
    let contactDetails = earlier?.contactDetails ?? null;
    if (!contactId) {
      contactId = await registrar.contact({ beneficiaryId, kind: current.type, beneficiary: payout.beneficiary });
      contactDetails = contactDetailsOf(payout, current.type);
    }
    // Two workers registering at once: the first row stands (the provider answered both the same).
    await db
      .insert(beneficiaryRegistrations)
      .values({ beneficiaryId, version, provider: adapter.id, contactId, contactDetails })
      .onConflictDoNothing();
    registration = must(await read(), `the registration of ${beneficiaryId} v${version} at ${adapter.id}`);
  }
  await keepContactCurrent(db, adapter, registration, details, payout);

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

type Registration = typeof beneficiaryRegistrations.$inferSelect;

/** The contact details a payout carries (copied from the beneficiary when it was accepted). */
function contactDetailsOf(payout: CanonicalPayout, type: RegisteredContactDetails['type']): RegisteredContactDetails {
  const b = payout.beneficiary;
  return { name: b.name ?? '', email: b.email ?? null, phone: b.phone ?? null, type };
}

function sameDetails(a: RegisteredContactDetails | null, b: RegisteredContactDetails): boolean {
  return a !== null && a.name === b.name && a.email === b.email && a.phone === b.phone && a.type === b.type;
}

/**
 * A beneficiary's name, email, phone or type edited after its contact was made: the contact is
 * updated (RazorpayX `PATCH /v1/contacts/{id}`) lazily, by the next payout to it, and what it was
 * given is stored on every registration sharing the contact. Only a payout carrying the
 * beneficiary's current details updates it (those details passed the provider's rules when the
 * payout was accepted); an older payout accepted before the edit leaves the contact as it is, so
 * payouts sent out of order never turn it back. Repeating the update is harmless: it sets the same
 * values again, so a crash between the call and the store only repeats it.
 */
async function keepContactCurrent(
  db: Database,
  adapter: ProviderAdapter,
  registration: Registration,
  current: RegisteredContactDetails,
  payout: CanonicalPayout,
): Promise<void> {
  const registrar = must(adapter.registrar, 'the registrar');
  if (sameDetails(registration.contactDetails, current)) return;
  if (!sameDetails(contactDetailsOf(payout, current.type), current)) return;
  await registrar.updateContact({
    contactId: registration.contactId,
    kind: current.type,
    details: { name: current.name, email: current.email, phone: current.phone },
  });
  await db
    .update(beneficiaryRegistrations)
    .set({ contactDetails: current, updatedAt: sql`now()` })
    .where(
      and(
        eq(beneficiaryRegistrations.beneficiaryId, registration.beneficiaryId),
        eq(beneficiaryRegistrations.provider, registration.provider),
        eq(beneficiaryRegistrations.contactId, registration.contactId),
      ),
    );
}
