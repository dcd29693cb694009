import { beneficiaryRegistrations } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { RAZORPAYX_DEFAULT_CREDENTIALS } from '@payouts/sandbox';
import { must, waitFor } from '@payouts/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Saved beneficiaries through the sandbox: registered at RazorpayX once (a contact per
 * beneficiary, a fund account per version), paid by fund account id from then on; a bank change
 * is a new fund account for the same contact; a registration interrupted by a crash is resumed,
 * never doubled; a refused registration fails the payout with RazorpayX's reason.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let n = 0;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'payroll', 100_000_000);
});
afterAll(async () => {
  await system?.stop();
});

const auth = `Basic ${Buffer.from(`${RAZORPAYX_DEFAULT_CREDENTIALS.keyId}:${RAZORPAYX_DEFAULT_CREDENTIALS.keySecret}`).toString('base64')}`;

async function atRazorpayx<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${system.sandbox.url}/razorpayx${path}`, {
    ...init,
    headers: { authorization: auth, 'content-type': 'application/json', ...init.headers },
  });
  return (await res.json()) as T;
}

interface Contact {
  id: string;
  type: string;
  reference_id: string | null;
  name: string;
}
interface FundAccount {
  id: string;
  contact_id: string;
  bank_account?: { account_number: string };
}

async function contactsOf(beneficiaryId: string): Promise<Contact[]> {
  const all = await atRazorpayx<{ items: Contact[] }>('/v1/contacts');
  return all.items.filter((c) => c.reference_id === beneficiaryId);
}
async function fundAccountsOf(contactId: string): Promise<FundAccount[]> {
  return (await atRazorpayx<{ items: FundAccount[] }>(`/v1/fund_accounts?contact_id=${contactId}`)).items;
}

async function save(overrides: Record<string, unknown> = {}) {
  const res = await tenant.api(
    'POST',
    '/v1/beneficiaries',
    {
      type: 'employee',
      name: 'Asha Rao',
      email: 'asha@example.com',
      phone: '+919876543210',
      bank_account: { account_number: '123456789012', bank_code: 'HDFC0001234' },
      ...overrides,
    },
    { 'idempotency-key': `e2e-ben-${++n}` },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

async function pay(beneficiaryId: string, overrides: Record<string, unknown> = {}) {
  const res = await tenant.api(
    'POST',
    '/v1/payouts',
    { amount: 25_000, currency: 'INR', method: 'IMPS', purpose: 'salary', beneficiary_id: beneficiaryId, ...overrides },
    { 'idempotency-key': `e2e-pay-${++n}` },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body as { id: string };
}

async function settled(id: string, status = 'processed') {
  return waitFor(
    async () => {
      const res = await tenant.api('GET', `/v1/payouts/${id}`);
      return res.body.status === status ? res.body : undefined;
    },
    { message: `payout ${id} to reach ${status}` },
  );
}

async function fundAccountPaid(providerPayoutId: string): Promise<string> {
  return (await atRazorpayx<{ fund_account_id: string }>(`/v1/payouts/${providerPayoutId}`)).fund_account_id;
}

describe('a saved beneficiary paid through RazorpayX', () => {
  test('a name, email or phone edited after registration updates the same contact at the next payout', async () => {
    const ben = await save({ name: 'Kavya Iyer', email: 'kavya@example.com', phone: '+919800000001' });
    await settled((await pay(ben.id)).id);
    const [before] = await contactsOf(ben.id);
    expect(before).toMatchObject({ name: 'Kavya Iyer' });

    const edited = await tenant.api('PATCH', `/v1/beneficiaries/${ben.id}`, {
      name: 'Kavya Menon',
      email: 'kavya.menon@example.com',
      phone: '+919800000002',
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    // Contact details are no bank change: still version 1, still the same fund account.
    expect(edited.body.version).toBe(1);
    const paid = await settled((await pay(ben.id)).id);

    const contacts = await contactsOf(ben.id);
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toMatchObject({
      id: must(before, 'the contact').id,
      name: 'Kavya Menon',
      email: 'kavya.menon@example.com',
      contact: '+919800000002',
    });
    expect(await fundAccountsOf(must(before, 'the contact').id)).toHaveLength(1);
    expect(await fundAccountPaid(paid.provider_payout_id)).toBe(
      must((await fundAccountsOf(must(before, 'the contact').id))[0], 'the fund account').id,
    );
    const [registration] = await system.db.db
      .select()
      .from(beneficiaryRegistrations)
      .where(eq(beneficiaryRegistrations.beneficiaryId, ben.id));
    expect(registration?.contactDetails).toEqual({
      name: 'Kavya Menon',
      email: 'kavya.menon@example.com',
      phone: '+919800000002',
      type: 'employee',
    });
  });

  test('paid twice: one contact (typed as the beneficiary) and one fund account at RazorpayX', async () => {
    const ben = await save({ type: 'employee' });
    const first = await settled((await pay(ben.id)).id);
    const second = await settled((await pay(ben.id)).id);

    const contacts = await contactsOf(ben.id);
    expect(contacts).toHaveLength(1);
    expect(must(contacts[0], 'the contact')).toMatchObject({ type: 'employee', name: 'Asha Rao' });
    const accounts = await fundAccountsOf(must(contacts[0], 'the contact').id);
    expect(accounts).toHaveLength(1);
    const fa = must(accounts[0], 'the fund account').id;
    expect(await fundAccountPaid(first.provider_payout_id)).toBe(fa);
    expect(await fundAccountPaid(second.provider_payout_id)).toBe(fa);

    const saved = await tenant.api('GET', `/v1/beneficiaries/${ben.id}`);
    expect(saved.body.registrations).toEqual([
      {
        provider: 'razorpayx',
        version: 1,
        contact_id: must(contacts[0], 'the contact').id,
        account_id: fa,
        created_at: expect.any(String),
      },
    ]);
  });

  test('a run of rows naming the same new beneficiary registers it once', async () => {
    const ben = await save({ type: 'vendor', name: 'Zed Supplies' });
    const run = await tenant.api(
      'POST',
      '/v1/payout-batches',
      {
        items: [1, 2, 3, 4].map((i) => ({
          amount: 10_000 + i,
          currency: 'INR',
          method: 'NEFT',
          purpose: 'vendor bill',
          beneficiary_id: ben.id,
        })),
      },
      { 'idempotency-key': `e2e-run-${++n}` },
    );
    expect(run.status, JSON.stringify(run.body)).toBe(202);
    const rows = await tenant.api('GET', `/v1/payout-batches/${run.body.id}/payouts`);
    for (const p of rows.body.data) await settled(p.id);
    const contacts = await contactsOf(ben.id);
    expect(contacts.map((c) => c.type)).toEqual(['vendor']);
    expect(await fundAccountsOf(must(contacts[0], 'the contact').id)).toHaveLength(1);
  });

  test('a bank change is a new version: the next payout goes to a new fund account of the same contact', async () => {
    const ben = await save();
    const before = await settled((await pay(ben.id)).id);
    const changed = await tenant.api('PATCH', `/v1/beneficiaries/${ben.id}`, {
      bank_account: { account_number: '556677889900', bank_code: 'ICIC0000001' },
    });
    expect(changed.body.version).toBe(2);
    const after = await settled((await pay(ben.id)).id);
    expect(after).toMatchObject({ beneficiary_version: 2, beneficiary: { account_number: '5566****9900' } });

    const contacts = await contactsOf(ben.id);
    expect(contacts).toHaveLength(1);
    const accounts = await fundAccountsOf(must(contacts[0], 'the contact').id);
    expect(accounts.map((a) => a.bank_account?.account_number).sort()).toEqual(['123456789012', '556677889900']);
    const paidBefore = await fundAccountPaid(before.provider_payout_id);
    const paidAfter = await fundAccountPaid(after.provider_payout_id);
    expect(paidAfter).not.toBe(paidBefore);
    expect(accounts.find((a) => a.id === paidAfter)?.bank_account?.account_number).toBe('556677889900');
  });

  test('a UPI address is registered as a vpa fund account and paid by UPI', async () => {
    const ben = await save({ bank_account: undefined, upi_address: 'asha.rao@okicici', name: 'Asha R' });
    const done = await settled((await pay(ben.id, { method: 'UPI' })).id);
    const contacts = await contactsOf(ben.id);
    const accounts = await fundAccountsOf(must(contacts[0], 'the contact').id);
    expect(accounts).toHaveLength(1);
    expect(await fundAccountPaid(done.provider_payout_id)).toBe(must(accounts[0], 'the fund account').id);
  });
});

describe('crashes and refusals', () => {
  test('a registration interrupted after the contact (stored) or before storing it is resumed, never doubled', async () => {
    // Interrupted before the contact was stored: RazorpayX has it, we do not. The same details
    // sent again answer that contact.
    const ben = await save({ name: 'Crash Before', email: 'cb@example.com', phone: '+919000090000' });
    const made = await atRazorpayx<{ id: string }>('/v1/contacts', {
      method: 'POST',
      body: JSON.stringify({
        name: 'Crash Before',
        email: 'cb@example.com',
        contact: '+919000090000',
        type: 'employee',
        reference_id: ben.id,
      }),
    });
    await settled((await pay(ben.id)).id);
    expect((await contactsOf(ben.id)).map((c) => c.id)).toEqual([made.id]);

    // Interrupted after the contact was stored, before the fund account: resumed from the contact.
    const other = await save({ name: 'Crash After' });
    const contact = await atRazorpayx<{ id: string }>('/v1/contacts', {
      method: 'POST',
      body: JSON.stringify({
        name: 'Crash After',
        email: 'asha@example.com',
        contact: '+919876543210',
        type: 'employee',
        reference_id: other.id,
      }),
    });
    await system.db.db
      .insert(beneficiaryRegistrations)
      .values({ beneficiaryId: other.id, version: 1, provider: 'razorpayx', contactId: contact.id });
    await settled((await pay(other.id)).id);
    expect((await contactsOf(other.id)).map((c) => c.id)).toEqual([contact.id]);
    expect(await fundAccountsOf(contact.id)).toHaveLength(1);
    const [row] = await system.db.db
      .select()
      .from(beneficiaryRegistrations)
      .where(and(eq(beneficiaryRegistrations.beneficiaryId, other.id), eq(beneficiaryRegistrations.version, 1)));
    expect(row?.accountId).toMatch(/^fa_/);
  });

  test('a registration RazorpayX refuses fails the payout with its reason; the hold is released', async () => {
    const ben = await save({ name: 'Gone Contact' });
    // A contact id RazorpayX does not know (as after it was removed there): the fund account is refused.
    await system.db.db
      .insert(beneficiaryRegistrations)
      .values({ beneficiaryId: ben.id, version: 1, provider: 'razorpayx', contactId: 'cont_00000000000000' });
    const failed = await settled((await pay(ben.id)).id, 'failed');
    expect(failed.failure).toEqual({ code: 'BAD_REQUEST_ERROR', message: 'The id provided does not exist' });
    expect(failed).toMatchObject({ fees: 0, tax: 0 });
    await waitFor(async () => {
      const balances = await tenant.api('GET', '/v1/balances');
      return balances.body.data.find((b: { currency: string }) => b.currency === 'INR')?.held === 0 || undefined;
    });
    expect((await verifyLedger(system.db.db)).ok).toBe(true);
  });
});
