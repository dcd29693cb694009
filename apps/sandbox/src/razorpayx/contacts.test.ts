import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { requestJson } from '../../test/common/test-support.ts';
import { BASIC_AUTH, payoutBody, type RazorpayXTestClient, startRazorpayX } from '../../test/razorpayx/test-support.ts';

/**
 * RazorpayX's Contacts and Fund Accounts, as its "Create a Contact" and "Create a Fund Account"
 * pages document them: Basic auth, strict bodies, one error at a time naming the field, and the
 * existing record answered (200) when every identifying detail is sent again (201 when new).
 */
let client: RazorpayXTestClient;
beforeAll(async () => {
  client = await startRazorpayX();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

const post = (path: string, body: unknown, auth: string | null = BASIC_AUTH) =>
  requestJson<Record<string, unknown> & { error?: { field: string | null; description: string } }>(
    `${client.base}${path}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(body),
    },
  );
const patch = (path: string, body: unknown, auth: string | null = BASIC_AUTH) =>
  requestJson<Record<string, unknown> & { error?: { field: string | null; description: string } }>(
    `${client.base}${path}`,
    {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(body),
    },
  );
const list = (path: string) =>
  requestJson<{ count: number; items: { id: string }[] }>(`${client.base}${path}`, {
    headers: { authorization: BASIC_AUTH },
  });

const contact = (overrides: Record<string, unknown> = {}) => ({
  name: 'Gaurav Kumar',
  email: 'gaurav.kumar@example.com',
  contact: '9000090000',
  type: 'employee',
  reference_id: 'Acme Contact ID 12345',
  notes: { notes_key_1: 'Tea, Earl Grey, Hot' },
  ...overrides,
});

describe('contacts', () => {
  test('the page example is created (201); the same details again answer the same contact (200)', async () => {
    const first = await post('/v1/contacts', contact());
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      id: expect.stringMatching(/^cont_/),
      entity: 'contact',
      name: 'Gaurav Kumar',
      type: 'employee',
      reference_id: 'Acme Contact ID 12345',
      active: true,
      batch_id: null,
    });
    const again = await post('/v1/contacts', contact());
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    // Any identifying detail different: a new contact.
    const other = await post('/v1/contacts', contact({ type: 'vendor' }));
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
    expect((await list('/v1/contacts')).body.count).toBe(2);
  });

  test.each([
    ['name', contact({ name: undefined }), 'The name field is required.'],
    ['name', contact({ name: 'Al' }), 'at least 3'],
    ['name', contact({ name: 'a'.repeat(51) }), 'greater than 50'],
    ['name', contact({ name: 'Gaurav Kumar!' }), 'may only contain'],
    ['name', contact({ name: 'Gaurav Kumar-' }), 'cannot end with a special character'],
    ['email', contact({ email: 'not-an-email' }), 'valid email'],
    ['contact', contact({ contact: '1234567890123456' }), 'greater than 15'],
    ['contact', contact({ contact: '98765-43210' }), 'phone number'],
    ['type', contact({ type: 'contractor' }), 'Invalid type'],
    ['reference_id', contact({ reference_id: 'r'.repeat(41) }), 'greater than 40'],
    ['colour', contact({ colour: 'red' }), 'should not be sent'],
  ])('%s: %j is refused naming the field', async (field, body, description) => {
    const res = await post('/v1/contacts', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'BAD_REQUEST_ERROR',
      field,
      description: expect.stringContaining(description),
    });
    expect((await list('/v1/contacts')).body.count).toBe(0);
  });

  test('the boundaries pass: a 3 and a 50 character name ending in a dot, a 15 character phone', async () => {
    expect((await post('/v1/contacts', contact({ name: 'Abc' }))).status).toBe(201);
    expect(
      (await post('/v1/contacts', contact({ name: `${'a'.repeat(49)}.`, contact: '+12345678901234' }))).status,
    ).toBe(201);
  });

  test('the key is required', async () => {
    expect((await post('/v1/contacts', contact(), null)).status).toBe(401);
  });
});

describe('fund accounts', () => {
  const bank = (contactId: string, overrides: Record<string, unknown> = {}) => ({
    contact_id: contactId,
    account_type: 'bank_account',
    bank_account: { name: 'Gaurav Kumar', ifsc: 'HDFC0000053', account_number: '765432123456789', ...overrides },
  });

  test('a bank account and a VPA; the same details again answer the same fund account', async () => {
    const c = (await post('/v1/contacts', contact())).body.id as string;
    const first = await post('/v1/fund_accounts', bank(c));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      id: expect.stringMatching(/^fa_/),
      entity: 'fund_account',
      contact_id: c,
      account_type: 'bank_account',
      bank_account: { ifsc: 'HDFC0000053', name: 'Gaurav Kumar', account_number: '765432123456789' },
      active: true,
    });
    const again = await post('/v1/fund_accounts', bank(c));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const vpa = await post('/v1/fund_accounts', {
      contact_id: c,
      account_type: 'vpa',
      vpa: { address: 'gaurav@okicici' },
    });
    expect(vpa.status).toBe(201);
    expect(vpa.body).toMatchObject({ account_type: 'vpa', vpa: { address: 'gaurav@okicici', handle: 'okicici' } });
    expect((await list(`/v1/fund_accounts?contact_id=${c}`)).body.count).toBe(2);
  });

  test.each([
    ['contact_id', (c: string) => ({ ...bank(c), contact_id: 'cont_00000000000000' }), 'does not exist'],
    ['bank_account.ifsc', (c: string) => bank(c, { ifsc: 'HDFC000005' }), 'ifsc'],
    ['bank_account.account_number', (c: string) => bank(c, { account_number: '1234' }), '5 to 35'],
    ['bank_account.account_number', (c: string) => bank(c, { account_number: '1'.repeat(36) }), '5 to 35'],
    ['bank_account.name', (c: string) => bank(c, { name: 'a'.repeat(121) }), 'greater than 120'],
    ['bank_account', (c: string) => ({ contact_id: c, account_type: 'bank_account' }), 'required'],
    ['vpa.address', (c: string) => ({ contact_id: c, account_type: 'vpa', vpa: { address: 'nope' } }), 'invalid'],
  ])('%s is refused naming the field', async (field, body, description) => {
    const c = (await post('/v1/contacts', contact())).body.id as string;
    const res = await post('/v1/fund_accounts', body(c));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ field, description: expect.stringContaining(description) });
    expect((await list('/v1/fund_accounts')).body.count).toBe(0);
  });

  test('a payout by a fund account created here is paid to its account (its last digits decide)', async () => {
    const c = (await post('/v1/contacts', contact())).body.id as string;
    // 0001: fails at the beneficiary bank (docs/sandbox.md).
    const fa = (await post('/v1/fund_accounts', bank(c, { account_number: '765432120001' }))).body.id as string;
    const payout = await client.created(payoutBody({ fund_account_id: fa, mode: 'IMPS' }));
    expect(payout.fund_account_id).toBe(fa);
    await client.waitForStatus(payout.id, 'failed');
  });
});

describe('updating a contact (PATCH /v1/contacts/:id)', () => {
  test("the fields sent replace the contact's; a create with the new details answers it; the create rules apply", async () => {
    const created = await post('/v1/contacts', contact());
    const id = created.body.id as string;
    const updated = await patch(`/v1/contacts/${id}`, { name: 'Gaurav K Sharma', contact: '+919000090001' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      id,
      name: 'Gaurav K Sharma',
      contact: '+919000090001',
      email: 'gaurav.kumar@example.com',
      type: 'employee',
    });
    const again = await post('/v1/contacts', contact({ name: 'Gaurav K Sharma', contact: '+919000090001' }));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(id);

    const badName = await patch(`/v1/contacts/${id}`, { name: 'G' });
    expect(badName.status).toBe(400);
    expect(badName.body.error?.field).toBe('name');
    const unknownField = await patch(`/v1/contacts/${id}`, { nickname: 'G' });
    expect(unknownField.status).toBe(400);
    const unknown = await patch('/v1/contacts/cont_doesnotexist', { name: 'Gaurav Kumar' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.description).toBe('The id provided does not exist');
    expect((await patch(`/v1/contacts/${id}`, { name: 'Gaurav Kumar' }, null)).status).toBe(401);
  });
});
