import { beneficiaries, beneficiaryVersions, payouts } from '@payouts/db';
import { waitFor } from '@payouts/testing';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiFetch, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Saved beneficiaries (docs/api.md, "Beneficiaries"): saved once, paid by id; an account change is
 * a new version a payout records; archived ones take no new payouts; the tenant's cooling-off
 * holds payouts to a freshly changed account for an approval. Security per role: security/beneficiaries.security.test.ts.
 */
let system: TestSystem;
type Tenant = Awaited<ReturnType<typeof createFundedTenant>>;
let tenant: Tenant;
let n = 0;
const key = () => ({ 'idempotency-key': `ben-${++n}-${Math.random()}` });

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'beneficiaries', 100_000_000);
});
afterAll(async () => {
  await system?.stop();
});

const employee = (overrides: Record<string, unknown> = {}) => ({
  type: 'employee',
  name: 'Asha Rao',
  email: 'asha@example.com',
  phone: '+919876543210',
  bank_account: { account_number: '123456789012', bank_code: 'HDFC0001234', bank_name: 'HDFC Bank' },
  reference_id: 'emp-001',
  metadata: { team: 'payroll' },
  ...overrides,
});
const payBy = (beneficiaryId: string, overrides: Record<string, unknown> = {}) => ({
  amount: 10_000,
  currency: 'INR',
  method: 'IMPS',
  purpose: 'salary',
  beneficiary_id: beneficiaryId,
  ...overrides,
});

async function save(body: Record<string, unknown> = employee()) {
  const res = await tenant.api('POST', '/v1/beneficiaries', body, key());
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('saving and reading', () => {
  test('POST answers 201 with a ben_ id, the account masked, version 1 by this key; a retry replays', async () => {
    const headers = key();
    const created = await tenant.api('POST', '/v1/beneficiaries', employee(), headers);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: 'beneficiary',
      type: 'employee',
      name: 'Asha Rao',
      bank_account: { account_number: '1234****9012', bank_code: 'HDFC0001234', bank_name: 'HDFC Bank' },
      upi_address: null,
      version: 1,
      version_created_by: { key_id: expect.stringMatching(/^key_/) },
      archived: false,
      reference_id: 'emp-001',
      metadata: { team: 'payroll' },
      provider_accounts: {},
    });
    expect(created.body.id).toMatch(/^ben_[0-9A-Z]{26}$/);
    expect(JSON.stringify(created.body)).not.toContain('123456789012');

    const replay = await tenant.api('POST', '/v1/beneficiaries', employee(), headers);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(created.body);
    const saved = await system.db.db.select().from(beneficiaries).where(eq(beneficiaries.tenantId, tenant.id));
    expect(saved.filter((b) => b.id === created.body.id)).toHaveLength(1);

    expect((await tenant.api('GET', `/v1/beneficiaries/${created.body.id}`)).body).toEqual(created.body);
  });

  test('a UPI address instead of a bank account', async () => {
    const upi = await save(employee({ bank_account: undefined, upi_address: 'asha@okicici', reference_id: 'emp-upi' }));
    expect(upi).toMatchObject({ bank_account: null, upi_address: 'asha@okicici' });
  });

  test('the list filters by type, reference and part of the name, and pages by cursor', async () => {
    const vendor = await save(employee({ type: 'vendor', name: 'Zed Supplies Pvt', reference_id: 'ven-77' }));
    const byType = await tenant.api('GET', '/v1/beneficiaries?type=vendor');
    expect(byType.body.data.map((b: { id: string }) => b.id)).toEqual([vendor.id]);
    const byRef = await tenant.api('GET', '/v1/beneficiaries?reference_id=ven-77');
    expect(byRef.body.data.map((b: { id: string }) => b.id)).toEqual([vendor.id]);
    const byName = await tenant.api('GET', '/v1/beneficiaries?name=zed%20sup');
    expect(byName.body.data.map((b: { id: string }) => b.id)).toEqual([vendor.id]);
    // A % in the name filter is a character, not a wildcard.
    expect((await tenant.api('GET', '/v1/beneficiaries?name=%25')).body.data).toEqual([]);

    const first = await tenant.api('GET', '/v1/beneficiaries?limit=1');
    expect(first.body).toMatchObject({ has_more: true, next_cursor: expect.any(String) });
    const second = await tenant.api('GET', `/v1/beneficiaries?limit=1&cursor=${first.body.next_cursor}`);
    expect(second.body.data[0].id < first.body.data[0].id).toBe(true);
  });

  test('bad bodies are 422 naming the field; nothing is saved', async () => {
    const before = await count();
    const cases: [Record<string, unknown>, string][] = [
      [employee({ type: 'contractor' }), 'type'],
      [employee({ name: undefined }), 'name'],
      [employee({ bank_account: undefined }), 'bank_account'],
      [employee({ upi_address: 'asha@okicici' }), 'upi_address'],
      [employee({ upi_address: 'not a vpa', bank_account: undefined }), 'upi_address'],
      [employee({ bank_account: { account_number: '12', bank_code: 'HDFC0001234' } }), 'bank_account.account_number'],
      [employee({ provider_accounts: { paypal: 'x' } }), 'provider_accounts.paypal'],
      [employee({ colour: 'red' }), ''],
    ];
    for (const [body, field] of cases) {
      const res = await tenant.api('POST', '/v1/beneficiaries', body, key());
      expect(res.status, JSON.stringify(body)).toBe(422);
      if (field) expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await count()).toBe(before);
    expect((await tenant.api('GET', '/v1/beneficiaries/ben_01JDA8Z6B9Y4X3W2V1T0S9R8Q7')).status).toBe(404);
    expect((await tenant.api('GET', '/v1/beneficiaries/po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7')).status).toBe(404);
    expect((await tenant.api('GET', '/v1/beneficiaries?type=robot')).status).toBe(400);
  });
});

describe('changes and versions', () => {
  test('contact changes keep the version; an account change makes the next one, by whom and when', async () => {
    const b = await save(employee({ reference_id: 'emp-v' }));
    const contact = await tenant.api('PATCH', `/v1/beneficiaries/${b.id}`, { email: 'rao@example.com', phone: null });
    expect(contact.status).toBe(200);
    expect(contact.body).toMatchObject({ email: 'rao@example.com', phone: null, version: 1 });

    // The same account again is no change.
    const same = await tenant.api('PATCH', `/v1/beneficiaries/${b.id}`, {
      bank_account: { account_number: '123456789012', bank_code: 'HDFC0001234', bank_name: 'HDFC Bank' },
    });
    expect(same.body.version).toBe(1);

    const moved = await tenant.api('PATCH', `/v1/beneficiaries/${b.id}`, {
      bank_account: { account_number: '998877665544', bank_code: 'ICIC0000001' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({
      version: 2,
      bank_account: { account_number: '9988****5544', bank_code: 'ICIC0000001' },
      email: 'rao@example.com',
    });
    const versions = await tenant.api('GET', `/v1/beneficiaries/${b.id}/versions`);
    expect(versions.body.data.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(versions.body.data[0].bank_account.account_number).toBe('1234****9012');
    expect(versions.body.data[1].created_by.key_id).toMatch(/^key_/);

    const bad = await tenant.api('PATCH', `/v1/beneficiaries/${b.id}`, {
      bank_account: { account_number: '123456789012', bank_code: 'HDFC0001234' },
      upi_address: 'a@ok',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('upi_address');
  });

  test('a payout records the beneficiary and the version it paid, with that version’s account', async () => {
    const b = await save(employee({ reference_id: 'emp-pay' }));
    const first = await tenant.api('POST', '/v1/payouts', payBy(b.id), key());
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toMatchObject({
      beneficiary_id: b.id,
      beneficiary_version: 1,
      beneficiary: { name: 'Asha Rao', account_number: '1234****9012', bank_code: 'HDFC0001234' },
    });
    await tenant.api('PATCH', `/v1/beneficiaries/${b.id}`, {
      bank_account: { account_number: '998877665544', bank_code: 'ICIC0000001' },
    });
    const second = await tenant.api('POST', '/v1/payouts', payBy(b.id), key());
    expect(second.body).toMatchObject({
      beneficiary_version: 2,
      beneficiary: { account_number: '9988****5544', bank_code: 'ICIC0000001' },
    });
    // The first payout still says what it paid.
    const again = await tenant.api('GET', `/v1/payouts/${first.body.id}`);
    expect(again.body).toMatchObject({ beneficiary_version: 1, beneficiary: { account_number: '1234****9012' } });
    const listed = await tenant.api('GET', `/v1/payouts?beneficiary_id=${b.id}`);
    expect(listed.body.data.map((p: { id: string }) => p.id)).toEqual([second.body.id, first.body.id]);
  });

  test('both or neither of beneficiary and beneficiary_id is 422 naming the field; nothing is created', async () => {
    const b = await save(employee({ reference_id: 'emp-both' }));
    const inline = { name: 'Asha Rao', account_number: '123456789012', bank_code: 'HDFC0001234' };
    const both = await tenant.api('POST', '/v1/payouts', payBy(b.id, { beneficiary: inline }), key());
    expect(both.status).toBe(422);
    expect(both.body.errors).toEqual([{ field: 'beneficiary_id', message: expect.stringContaining('not both') }]);
    const neither = await tenant.api('POST', '/v1/payouts', payBy(b.id, { beneficiary_id: undefined }), key());
    expect(neither.status).toBe(422);
    expect(neither.body.errors).toEqual([{ field: 'beneficiary', message: expect.stringContaining('beneficiary_id') }]);
    const unknown = await tenant.api('POST', '/v1/payouts', payBy('ben_01JDA8Z6B9Y4X3W2V1T0S9R8Q7'), key());
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('beneficiary_id');
    const made = await system.db.db.select().from(payouts).where(eq(payouts.beneficiaryId, b.id));
    expect(made).toEqual([]);
  });

  test('a provider rule on the saved details names beneficiary_id and the saved field', async () => {
    // Thai bank codes are three digits: an Indian IFSC is refused by the Thai gateway's rules.
    const b = await save(employee({ reference_id: 'emp-thb' }));
    const res = await tenant.api(
      'POST',
      '/v1/payouts',
      payBy(b.id, { currency: 'THB', method: 'bank_transfer', purpose: undefined }),
      key(),
    );
    expect(res.status).toBe(422);
    expect(res.body.errors).toContainEqual({
      field: 'beneficiary_id',
      message: expect.stringContaining("the saved beneficiary's bank_code"),
    });
  });
});

describe('archiving', () => {
  test('DELETE archives: no new payouts (422), payouts made keep it, a retry answers the same', async () => {
    const b = await save(employee({ reference_id: 'emp-arch' }));
    const paid = await tenant.api('POST', '/v1/payouts', payBy(b.id), key());
    expect(paid.status).toBe(202);
    // Paying it registers the beneficiary at the provider, which shows in its `registrations`: let
    // that finish first, so both DELETEs see the same beneficiary and only the retry is compared.
    await waitFor(
      async () => (await tenant.api('GET', `/v1/payouts/${paid.body.id}`)).body.status === 'processed' || undefined,
      { message: 'the payout to the beneficiary processed' },
    );
    const archived = await tenant.api('DELETE', `/v1/beneficiaries/${b.id}`);
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ archived: true, archived_at: expect.any(String) });
    expect((await tenant.api('DELETE', `/v1/beneficiaries/${b.id}`)).body).toEqual(archived.body);

    const refused = await tenant.api('POST', '/v1/payouts', payBy(b.id), key());
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ field: 'beneficiary_id', message: expect.stringContaining('archived') }]);
    expect((await tenant.api('GET', `/v1/payouts/${paid.body.id}`)).body.beneficiary_id).toBe(b.id);
    expect((await tenant.api('PATCH', `/v1/beneficiaries/${b.id}`, { name: 'X' })).status).toBe(409);
    const active = await tenant.api('GET', '/v1/beneficiaries?archived=false&limit=100');
    expect(active.body.data.map((x: { id: string }) => x.id)).not.toContain(b.id);
  });
});

describe('cooling-off', () => {
  test('payouts to a freshly changed account wait for an approval (beneficiary_cooling_off); once it has passed they go at once', async () => {
    const setting = await tenant.api('PATCH', '/v1/settings', { beneficiary_cooling_off_hours: 24 });
    expect(setting.body).toMatchObject({ beneficiary_cooling_off_hours: 24 });
    try {
      const b = await save(employee({ reference_id: 'emp-cool' }));
      // The account given at creation is no change: paid at once.
      const first = await tenant.api('POST', '/v1/payouts', payBy(b.id), key());
      expect(first.status).toBe(202);
      expect(first.body.status).toBe('accepted');

      const moved = await tenant.api('PATCH', `/v1/beneficiaries/${b.id}`, { upi_address: 'asha@okaxis' });
      expect(moved.body.version).toBe(2);
      const waiting = await tenant.api('POST', '/v1/payouts', payBy(b.id, { method: 'UPI' }), key());
      expect(waiting.status, JSON.stringify(waiting.body)).toBe(202);
      expect(waiting.body).toMatchObject({ status: 'pending_approval', beneficiary_version: 2 });
      const approvals = await tenant.api('GET', '/v1/approvals');
      expect(approvals.body.data).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ subject_id: waiting.body.id, reasons: ['beneficiary_cooling_off'] }),
        ]),
      );

      // A run with such a row waits as a whole (approve and reject: approvals.test.ts).
      const csv = `amount,currency,method,purpose,beneficiary_id\n100,INR,UPI,salary,${b.id}\n`;
      const run = await apiFetch(`${system.api.url}/v1/payout-batches`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'text/csv', ...key() },
        body: csv,
      });
      expect(run.status).toBe(202);
      expect(((await run.json()) as { status: string }).status).toBe('pending_approval');

      // Once the cooling-off has passed (the version made 25 hours ago), the payout goes at once.
      await system.db.db
        .update(beneficiaryVersions)
        .set({ createdAt: sql`now() - interval '25 hours'` })
        .where(and(eq(beneficiaryVersions.beneficiaryId, b.id), eq(beneficiaryVersions.version, 2)));
      const paid = await tenant.api('POST', '/v1/payouts', payBy(b.id, { method: 'UPI' }), key());
      expect(paid.status, JSON.stringify(paid.body)).toBe(202);
      expect(paid.body.status).toBe('accepted');
    } finally {
      await tenant.api('PATCH', '/v1/settings', { beneficiary_cooling_off_hours: 0 });
    }
  });

  test('the setting is 0 to 720 whole hours', async () => {
    for (const bad of [-1, 1.5, 721, '24']) {
      const res = await tenant.api('PATCH', '/v1/settings', { beneficiary_cooling_off_hours: bad });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].field).toBe('beneficiary_cooling_off_hours');
    }
  });
});

describe('batch rows by beneficiary_id', () => {
  test('JSON and CSV rows pay saved beneficiaries; an unknown or archived one is a row error naming it', async () => {
    const a = await save(employee({ reference_id: 'emp-run-a' }));
    const b = await save(employee({ reference_id: 'emp-run-b', name: 'Ravi Kumar' }));
    const archived = await save(employee({ reference_id: 'emp-run-c' }));
    await tenant.api('DELETE', `/v1/beneficiaries/${archived.id}`);

    const json = await tenant.api(
      'POST',
      '/v1/payout-batches',
      {
        mode: 'accept_valid',
        items: [payBy(a.id), payBy(b.id), payBy(archived.id), payBy('ben_01JDA8Z6B9Y4X3W2V1T0S9R8Q7')],
      },
      key(),
    );
    expect(json.status, JSON.stringify(json.body)).toBe(202);
    expect(json.body.rows).toEqual({ total: 4, accepted: 2, rejected: 2 });
    expect(json.body.errors).toEqual([
      expect.objectContaining({ row: 3, field: 'beneficiary_id', message: expect.stringContaining('archived') }),
      expect.objectContaining({ row: 4, field: 'beneficiary_id', message: expect.stringContaining('no saved') }),
    ]);

    const csv = [
      'amount,currency,method,purpose,beneficiary_id,beneficiary_name',
      `100,INR,IMPS,salary,${a.id},`,
      `200,INR,IMPS,salary,${b.id},Someone Else`,
      '300,INR,IMPS,salary,,',
    ].join('\n');
    const run = await apiFetch(`${system.api.url}/v1/payout-batches?mode=accept_valid`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'text/csv', ...key() },
      body: csv,
    });
    expect(run.status).toBe(202);
    const body = (await run.json()) as { id: string; rows: unknown; errors: { row: number; field: string }[] };
    expect(body.rows).toEqual({ total: 3, accepted: 1, rejected: 2 });
    const fields = body.errors.map((e: { row: number; field: string }) => `${e.row}:${e.field}`);
    // Row 2 names a beneficiary and sends bank details; row 3 sends neither.
    expect(fields).toContain('2:beneficiary_id');
    expect(fields.filter((f: string) => f.startsWith('3:')).length).toBeGreaterThan(0);
    const rows = await tenant.api('GET', `/v1/payout-batches/${body.id}/payouts`);
    expect(rows.body.data).toEqual([expect.objectContaining({ row: 1, beneficiary_id: a.id, beneficiary_version: 1 })]);
  });
});

async function count() {
  const [row] = await system.db.db
    .select({ n: sql<number>`count(*)::int` })
    .from(beneficiaries)
    .where(eq(beneficiaries.tenantId, tenant.id));
  return row?.n ?? 0;
}

describe('RazorpayX purposes', () => {
  const inline = { name: 'Asha Rao', account_number: '123456789012', bank_code: 'HDFC0001234' };
  test('purpose is required (no silent default); a purpose the tenant registered is accepted and recorded', async () => {
    const missing = await tenant.api(
      'POST',
      '/v1/payouts',
      { amount: 10_000, currency: 'INR', method: 'IMPS', beneficiary: inline },
      key(),
    );
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([{ field: 'purpose', message: expect.stringContaining('required') }]);

    const body = { amount: 10_000, currency: 'INR', method: 'IMPS', purpose: 'stipend', beneficiary: inline };
    const unknown = await tenant.api('POST', '/v1/payouts', body, key());
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('purpose');

    const set = await tenant.api('PATCH', '/v1/settings', { payout_purposes: ['stipend'] });
    expect(set.body.payout_purposes).toEqual(['stipend']);
    try {
      const ok = await tenant.api('POST', '/v1/payouts', body, key());
      expect(ok.status, JSON.stringify(ok.body)).toBe(202);
      expect(ok.body.purpose).toBe('stipend');
      const [row] = await system.db.db.select().from(payouts).where(eq(payouts.id, ok.body.id));
      expect(row?.purposeRegistered).toBe(true);
    } finally {
      await tenant.api('PATCH', '/v1/settings', { payout_purposes: [] });
    }
    const repeated = await tenant.api('PATCH', '/v1/settings', { payout_purposes: ['a', 'a'] });
    expect(repeated.status).toBe(422);
    expect(repeated.body.errors[0].field).toBe('payout_purposes');
  });
});
