import { createHttpClient, createThaiGatewayClient, ProviderError } from '@payouts/providers';
import {
  DRUO_DEFAULT_CREDENTIALS,
  KRAYON_DEFAULT_CREDENTIALS,
  RAZORPAYX_DEFAULT_CREDENTIALS,
  THAI_GATEWAY_DEFAULT_CREDENTIALS,
} from '@payouts/sandbox';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * The provider's rules at the door: every boundary value of a field we send is judged the same by
 * our API (which must refuse, naming OUR field, what the provider would refuse) and by the
 * sandbox (which refuses what the provider's pages say it refuses). One table per provider: a
 * value, the field of our request it goes in, and where it lands in the provider's wire request.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let n = 0;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'rules', { INR: 100_000_000, USD: 10_000_000, THB: 100_000_000 });
});
afterAll(async () => {
  await system?.stop();
});

interface Case {
  /** Our request's field (a dotted path), as the API's 422 names it. */
  field: string;
  value: string;
  /** Where the same value goes in the provider's request (every place it is copied to). */
  wire: string[];
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = target;
  for (const p of parts.slice(0, -1)) at = at[p] as Record<string, unknown>;
  at[parts.at(-1) as string] = value;
}

async function ourAnswer(body: Record<string, unknown>) {
  return tenant.api('POST', '/v1/payouts', body, { 'idempotency-key': `rules-${++n}` });
}

const razorpayxAuth = `Basic ${Buffer.from(`${RAZORPAYX_DEFAULT_CREDENTIALS.keyId}:${RAZORPAYX_DEFAULT_CREDENTIALS.keySecret}`).toString('base64')}`;

async function razorpayxAnswer(wire: Record<string, unknown>) {
  const res = await fetch(`${system.sandbox.url}/razorpayx/v1/payouts`, {
    method: 'POST',
    headers: {
      authorization: razorpayxAuth,
      'content-type': 'application/json',
      'X-Payout-Idempotency': `rules-${++n}`,
    },
    body: JSON.stringify(wire),
  });
  return { status: res.status, body: (await res.json()) as { error?: { field: string } } };
}

describe('RazorpayX: our API and the sandbox agree on every boundary', () => {
  const ours = () => ({
    amount: 10_000,
    currency: 'INR',
    method: 'IMPS',
    purpose: 'salary',
    // Unique: the duplicate guard would refuse a second payout with one reference.
    reference_id: `rules-${++n}`,
    narration: 'Salary March',
    beneficiary: {
      name: 'Asha Rao',
      phone: '9876543210',
      account_number: '123456789012',
      bank_code: 'HDFC0001234',
    },
  });
  // The composite payout the adapter sends for `ours()` (the name goes to the contact and the account holder).
  const theirs = () => ({
    account_number: RAZORPAYX_DEFAULT_CREDENTIALS.accountNumber,
    amount: 10_000,
    currency: 'INR',
    mode: 'IMPS',
    purpose: 'salary',
    queue_if_low_balance: false,
    reference_id: 'rules',
    narration: 'Salary March',
    fund_account: {
      account_type: 'bank_account',
      bank_account: { name: 'Asha Rao', ifsc: 'HDFC0001234', account_number: '123456789012' },
      contact: { name: 'Asha Rao', contact: '9876543210', type: 'vendor' },
    },
    notes: {},
  });
  const name = ['fund_account.bank_account.name', 'fund_account.contact.name'];
  const cases: Case[] = [
    ...[
      'Abc',
      'Ab',
      'a'.repeat(50),
      'a'.repeat(51),
      `${'a'.repeat(49)}.`,
      'Asha Rao-',
      "Rao, Asha (O'Neil)",
      'José',
    ].map((value) => ({ field: 'beneficiary.name', value, wire: name })),
    ...['12345', '1234', '1'.repeat(34)].map((value) => ({
      field: 'beneficiary.account_number',
      value,
      wire: ['fund_account.bank_account.account_number'],
    })),
    ...['HDFC0001234', 'HDFC1001234', 'hdfc0001234', 'HDFC000123'].map((value) => ({
      field: 'beneficiary.bank_code',
      value,
      wire: ['fund_account.bank_account.ifsc'],
    })),
    ...['123456789012345', '+12345678901234', '+123456789012345'].map((value) => ({
      field: 'beneficiary.phone',
      value,
      wire: ['fund_account.contact.contact'],
    })),
    ...['a'.repeat(30), 'a'.repeat(31), 'Salary, March', 'Salary-March'].map((value) => ({
      field: 'narration',
      value,
      wire: ['narration'],
    })),
    ...['salary', 'vendor bill', 'Salary', 'gift'].map((value) => ({ field: 'purpose', value, wire: ['purpose'] })),
    ...['IMPS', 'NEFT', 'RTGS', 'imps', 'SWIFT'].map((value) => ({ field: 'method', value, wire: ['mode'] })),
    ...['r'.repeat(39), 'q'.repeat(40), 'r'.repeat(41)].map((value) => ({
      field: 'reference_id',
      value,
      wire: ['reference_id'],
    })),
  ];

  test.each(cases.map((c) => [`${c.field} = ${JSON.stringify(c.value)}`, c] as const))('%s', async (_name, c) => {
    const request = ours();
    setPath(request, c.field, c.value);
    const wire = theirs();
    for (const path of c.wire) setPath(wire, path, c.value);

    const api = await ourAnswer(request);
    const sandbox = await razorpayxAnswer(wire);
    const apiAccepts = api.status === 202;
    const sandboxAccepts = sandbox.status === 200;
    expect(
      { api: apiAccepts, sandbox: sandboxAccepts },
      `api ${api.status} ${JSON.stringify(api.body.errors ?? '')}; sandbox ${sandbox.status} ${JSON.stringify(sandbox.body.error ?? '')}`,
    ).toEqual({ api: sandboxAccepts, sandbox: sandboxAccepts });
    if (!apiAccepts) {
      // Refused naming OUR field, never the provider's.
      expect(api.status).toBe(422);
      expect(api.body.errors.map((e: { field: string }) => e.field)).toContain(c.field);
    }
  });
});

describe('Krayon: our API and the sandbox agree on every boundary', () => {
  const ours = () => ({
    amount: 50_000,
    currency: 'INR',
    provider: 'krayon',
    method: 'IMPS',
    description: 'first payout',
    reference_id: `krayon-rules-${++n}`,
    beneficiary: {
      first_name: 'elon',
      last_name: 'mush',
      email: 'elon@example.com',
      phone: '919895270111',
      country: 'IN',
      account_number: '123456789012',
      bank_code: 'HDFC0001234',
      address: { line1: 'MG Road', country: 'IN' },
    },
  });
  // The withdrawal the adapter sends for `ours()`.
  const theirs = () => ({
    amount: '500',
    reference_id: `po_rules_${++n}`,
    description: 'first payout',
    currency: 'INR',
    customer: {
      reference_id: `po_rules_${n}`,
      country_code: 'IN',
      email: 'elon@example.com',
      first_name: 'elon',
      last_name: 'mush',
      phone: '919895270111',
      account_number: '123456789012',
    },
    billing_address: { country_code: 'IN', address_line1: 'MG Road' },
    additional_parameters: { bank_code: 'HDFC0001234' },
    payment_method: 'IMPS',
    type: 'WITHDRAWAL',
  });
  const cases: Case[] = [
    ...['919895270', '9198952701', '919895270111234', '9198952701112345', '+919895270111'].map((value) => ({
      field: 'beneficiary.phone',
      value,
      wire: ['customer.phone'],
    })),
    ...['a@b.co', 'not-an-email', 'a@b'].map((value) => ({
      field: 'beneficiary.email',
      value,
      wire: ['customer.email'],
    })),
    ...['HDFC0001234', 'KKBK00000000', 'HDFC000123', 'hdfc0001234'].map((value) => ({
      field: 'beneficiary.bank_code',
      value,
      wire: ['additional_parameters.bank_code'],
    })),
    ...['d'.repeat(255), 'd'.repeat(256)].map((value) => ({ field: 'description', value, wire: ['description'] })),
    ...['IN', 'in', 'IND'].map((value) => ({ field: 'beneficiary.country', value, wire: ['customer.country_code'] })),
  ];

  async function krayonAnswer(wire: Record<string, unknown>) {
    const res = await fetch(`${system.sandbox.url}/krayon/main/api/v1/deposits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KRAYON_DEFAULT_CREDENTIALS.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(wire),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  test.each(cases.map((c) => [`${c.field} = ${JSON.stringify(c.value)}`, c] as const))('%s', async (_name, c) => {
    const request = ours();
    setPath(request, c.field, c.value);
    const wire = theirs();
    for (const path of c.wire) setPath(wire, path, c.value);

    const api = await ourAnswer(request);
    const sandbox = await krayonAnswer(wire);
    const apiAccepts = api.status === 202;
    const sandboxAccepts = sandbox.status >= 200 && sandbox.status < 300;
    expect(
      { api: apiAccepts, sandbox: sandboxAccepts },
      `api ${api.status} ${JSON.stringify(api.body.errors ?? '')}; sandbox ${sandbox.status} ${JSON.stringify(sandbox.body)}`,
    ).toEqual({ api: sandboxAccepts, sandbox: sandboxAccepts });
    if (!apiAccepts) {
      expect([400, 422]).toContain(api.status);
      expect(api.body.errors.map((e: { field: string }) => e.field)).toContain(c.field);
    }
  });
});

describe('DRUO: our API and the sandbox agree on every boundary', () => {
  const account = 'acc_b7c41206-afb4-4954-a15c-dbcd59355000';
  const ours = () => ({
    amount: 5_000,
    currency: 'USD',
    method: 'bank_account',
    description: 'invoice',
    reference_id: `druo-${++n}`,
    beneficiary: { provider_account_id: account },
  });
  // The payout the adapter sends for `ours()` (our reference goes in `secondary_reference`).
  const theirs = () => ({
    tenant_id: DRUO_DEFAULT_CREDENTIALS.tenantId,
    amount: 5_000,
    destination_account_id: account,
    currency: 'USD',
    description: 'invoice',
    primary_reference: `po_rules_${++n}`,
    secondary_reference: `druo-${n}`,
  });
  const cases: Case[] = [
    ...[`acc_${'a'.repeat(64)}`, `acc_${'a'.repeat(65)}`, 'acc_x!y', 'fa_123', 'acc_'].map((value) => ({
      field: 'beneficiary.provider_account_id',
      value,
      wire: ['destination_account_id'],
    })),
    ...['r'.repeat(40), 'r'.repeat(41)].map((value) => ({
      field: 'reference_id',
      value,
      wire: ['secondary_reference'],
    })),
    ...['d'.repeat(255), 'd'.repeat(256)].map((value) => ({ field: 'description', value, wire: ['description'] })),
  ];

  async function druoAnswer(wire: Record<string, unknown>) {
    const res = await fetch(`${system.sandbox.url}/druo/payouts/create`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${DRUO_DEFAULT_CREDENTIALS.accessToken}`,
        'content-type': 'application/json',
        'DRUO-Version': '2021-11-22',
      },
      body: JSON.stringify(wire),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  test.each(cases.map((c) => [`${c.field} = ${JSON.stringify(c.value)}`, c] as const))('%s', async (_name, c) => {
    const request = ours();
    setPath(request, c.field, c.value);
    const wire = theirs();
    for (const path of c.wire) setPath(wire, path, c.value);

    const api = await ourAnswer(request);
    const sandbox = await druoAnswer(wire);
    const apiAccepts = api.status === 202;
    const sandboxAccepts = sandbox.status >= 200 && sandbox.status < 300;
    expect(
      { api: apiAccepts, sandbox: sandboxAccepts },
      `api ${api.status} ${JSON.stringify(api.body.errors ?? '')}; sandbox ${sandbox.status} ${JSON.stringify(sandbox.body)}`,
    ).toEqual({ api: sandboxAccepts, sandbox: sandboxAccepts });
    if (!apiAccepts) {
      expect([400, 422]).toContain(api.status);
      expect(api.body.errors.map((e: { field: string }) => e.field)).toContain(c.field);
    }
  });
});

describe('Thai gateway: our API and the sandbox agree on every boundary', () => {
  const ours = (): Record<string, unknown> => ({
    amount: 100_000,
    currency: 'THB',
    method: 'bank_account',
    reference_id: `thai-rules-${++n}`,
    beneficiary: { name: 'Somchai Jaidee', account_number: '1234564242', bank_code: '004' },
  });
  // The withdraw the adapter sends for `ours()` (our reference rides in metadata).
  const theirs = (): Record<string, unknown> => ({
    amount: '1000.00',
    currency: 'THB',
    referenceId: `po_rules_${++n}`,
    destinationType: 'bank_account',
    customerBankAccountName: 'Somchai Jaidee',
    customerBankAccountNumber: '1234564242',
    customerBankCode: '004',
    metadata: { reference_id: `thai-rules-${n}` },
    idempotencyKey: `po_rules_${n}`,
  });
  interface ThaiCase extends Case {
    /** The wire value, when the adapter converts ours (an amount in satang becomes baht). */
    wireValue?: string;
    /** Our own limit is tighter than the gateway's: we refuse, it would accept. Said, not hidden. */
    stricter?: true;
  }
  const cases: ThaiCase[] = [
    ...[
      { value: 1, wireValue: '0.01' },
      { value: 0, wireValue: '0.00' },
      { value: 123_456, wireValue: '1234.56' },
    ].map((c) => ({ field: 'amount', value: c.value as unknown as string, wireValue: c.wireValue, wire: ['amount'] })),
    ...['bank_account', 'wallet', 'BANK_ACCOUNT', 'promptpay'].map((value) => ({
      field: 'method',
      value,
      wire: ['destinationType'],
    })),
    ...['S', 'a'.repeat(140)].map((value) => ({
      field: 'beneficiary.name',
      value,
      wire: ['customerBankAccountName'],
    })),
    // The gateway takes 255; our API keeps every beneficiary name to 140, for every provider.
    { field: 'beneficiary.name', value: 'a'.repeat(141), wire: ['customerBankAccountName'], stricter: true },
    ...['12345', '123456', '1'.repeat(20), '1'.repeat(21), '12345a'].map((value) => ({
      field: 'beneficiary.account_number',
      value,
      wire: ['customerBankAccountNumber'],
    })),
    ...['004', '04', '0044', 'KBK'].map((value) => ({
      field: 'beneficiary.bank_code',
      value,
      wire: ['customerBankCode'],
    })),
    ...['d'.repeat(255), 'd'.repeat(256)].map((value) => ({ field: 'description', value, wire: ['description'] })),
    // No description: the narration goes as the gateway's description.
    ...['n'.repeat(255), 'n'.repeat(256)].map((value) => ({ field: 'narration', value, wire: ['description'] })),
  ];

  // The adapter's own signing client: every body is HMAC-signed as the gateway requires.
  const client = () =>
    createThaiGatewayClient({
      baseUrl: `${system.sandbox.url}/thai-gateway`,
      apiKey: THAI_GATEWAY_DEFAULT_CREDENTIALS.apiKey,
      apiSecret: THAI_GATEWAY_DEFAULT_CREDENTIALS.apiSecret,
      http: createHttpClient({ timeoutMs: 30_000 }),
      now: Date.now,
    });

  async function thaiAnswer(wire: Record<string, unknown>) {
    try {
      const withdraw = await client().createWithdraw(
        wire as Parameters<ReturnType<typeof client>['createWithdraw']>[0],
      );
      return { accepts: true, detail: withdraw.id };
    } catch (error) {
      // Only the gateway's refusal of the body counts; a transport or credentials failure fails the test.
      if (!(error instanceof ProviderError) || error.httpStatus !== 400) throw error;
      return { accepts: false, detail: `${error.providerCode} ${error.field ?? ''} ${error.message}` };
    }
  }

  test.each(cases.map((c) => [`${c.field} = ${JSON.stringify(c.value).slice(0, 40)}`, c] as const))(
    '%s',
    async (_name, c) => {
      const request = ours();
      setPath(request, c.field, c.value);
      const wire = theirs();
      for (const path of c.wire) setPath(wire, path, c.wireValue ?? c.value);

      const api = await ourAnswer(request);
      const sandbox = await thaiAnswer(wire);
      const apiAccepts = api.status === 202;
      const said = `api ${api.status} ${JSON.stringify(api.body.errors ?? '')}; sandbox ${sandbox.detail}`;
      if (c.stricter) {
        expect({ api: apiAccepts, sandbox: sandbox.accepts }, said).toEqual({ api: false, sandbox: true });
      } else {
        expect({ api: apiAccepts, sandbox: sandbox.accepts }, said).toEqual({
          api: sandbox.accepts,
          sandbox: sandbox.accepts,
        });
      }
      if (!apiAccepts) {
        expect([400, 422]).toContain(api.status);
        expect(api.body.errors.map((e: { field: string }) => e.field)).toContain(c.field);
      }
    },
  );
});
