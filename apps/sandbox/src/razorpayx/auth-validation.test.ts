import { must } from '@payouts/core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  compositeFundAccount,
  KEY_ID,
  KEY_SECRET,
  payoutBody,
  type RazorpayXTestClient,
  startRazorpayX,
} from '../../test/razorpayx/test-support.ts';

let client: RazorpayXTestClient;

beforeAll(async () => {
  client = await startRazorpayX();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('authentication', () => {
  test.each([
    ['no Authorization header', null],
    ['a wrong secret', basic(KEY_ID, 'wrong')],
    ['a wrong key id', basic('rzp_test_other', KEY_SECRET)],
    ['a bearer token', `Bearer ${KEY_SECRET}`],
    ['garbage', 'Basic !!!'],
  ])('%s is answered 401 with RazorpayX error object', async (_name, auth) => {
    const res = await client.create(payoutBody(), { auth });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: {
        code: 'BAD_REQUEST_ERROR',
        description: 'The api key provided is invalid',
        source: 'NA',
        step: 'NA',
        reason: 'NA',
        metadata: {},
        field: null,
      },
    });
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('reads need the key too', async () => {
    const res = await fetch(`${client.base}/v1/payouts/pout_00000000000001`);
    expect(res.status).toBe(401);
  });

  test('authentication is checked before the body is parsed', async () => {
    const res = await client.create(undefined, { auth: null, raw: '{"amount":' });
    expect(res.status).toBe(401);
  });
});

const long = (n: number) => 'a'.repeat(n);

describe('create validation', () => {
  test.each<[string, Record<string, unknown>, string]>([
    ['account_number missing', { account_number: undefined }, 'account_number'],
    ['account_number not the configured account', { account_number: '1111111111111111' }, 'account_number'],
    ['amount missing', { amount: undefined }, 'amount'],
    ['amount under 100 paise', { amount: 99 }, 'amount'],
    ['amount not an integer', { amount: 100.5 }, 'amount'],
    ['amount as a string', { amount: '1000' }, 'amount'],
    ['currency not INR', { currency: 'USD' }, 'currency'],
    ['mode in the wrong case', { mode: 'imps' }, 'mode'],
    ['mode unknown', { mode: 'SWIFT' }, 'mode'],
    ['IMPS above ₹5,00,000', { mode: 'IMPS', amount: 50_000_001 }, 'amount'],
    ['RTGS below ₹2,00,000', { mode: 'RTGS', amount: 10_000 }, 'amount'],
    ['UPI above ₹1,00,000', { mode: 'UPI', amount: 10_000_001 }, 'amount'],
    ['purpose unknown', { purpose: 'gift' }, 'purpose'],
    ['no fund account at all', { fund_account_id: undefined }, 'fund_account_id'],
    ['both fund_account_id and fund_account', { fund_account: compositeFundAccount('123456780') }, 'fund_account_id'],
    ['reference_id over 40 characters', { reference_id: long(41) }, 'reference_id'],
    ['narration over 30 characters', { narration: long(31) }, 'narration'],
    ['narration with punctuation', { narration: 'Refund #42' }, 'narration'],
    ['notes as an array', { notes: ['a'] }, 'notes'],
    [
      'more than 15 notes',
      { notes: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'])) },
      'notes',
    ],
    ['a note over 256 characters', { notes: { k: long(257) } }, 'notes'],
    ['a note that is not a string', { notes: { k: 1 } }, 'notes'],
    ['queue_if_low_balance not a boolean', { queue_if_low_balance: 'yes' }, 'queue_if_low_balance'],
    ['an unknown field', { beneficiary_name: 'x' }, 'beneficiary_name'],
  ])('%s → 400 on field %s', async (_name, overrides, field) => {
    const res = await client.create(payoutBody(overrides));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'BAD_REQUEST_ERROR',
      source: 'business',
      step: 'payout_initiation',
      reason: 'input_validation_failed',
      metadata: {},
      field,
    });
    expect(res.body.error.description).toEqual(expect.any(String));
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  const composite = (patch: (fa: Record<string, Record<string, unknown>>) => void) => {
    const fa = compositeFundAccount('123456780') as Record<string, Record<string, unknown>>;
    patch(fa);
    return { fund_account_id: undefined, fund_account: fa };
  };

  test.each<[string, Record<string, unknown>, string]>([
    [
      'lower-case ifsc',
      composite((fa) => (must(fa.bank_account, 'fa.bank_account').ifsc = 'hdfc0000053')),
      'fund_account.bank_account.ifsc',
    ],
    [
      'ifsc without the 0',
      composite((fa) => (must(fa.bank_account, 'fa.bank_account').ifsc = 'HDFC1000053')),
      'fund_account.bank_account.ifsc',
    ],
    ['a vpa fund account', composite((fa) => (fa.account_type = 'vpa' as never)), 'fund_account.account_type'],
    ['no contact name', composite((fa) => delete must(fa.contact, 'fa.contact').name), 'fund_account.contact.name'],
    [
      'a bad contact email',
      composite((fa) => (must(fa.contact, 'fa.contact').email = 'not-an-email')),
      'fund_account.contact.email',
    ],
  ])('composite fund account with %s → 400 on field %s', async (_name, overrides, field) => {
    const res = await client.create(payoutBody(overrides));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ reason: 'input_validation_failed', field });
  });

  test.each<[string, string | null]>([
    ['missing', null],
    ['3 characters', 'abc'],
    ['37 characters', long(37)],
    ['a slash', 'key/12345'],
    ['empty', ''],
  ])('X-Payout-Idempotency %s → 400 on the header', async (_name, key) => {
    const res = await client.create(payoutBody(), { key });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'BAD_REQUEST_ERROR', field: 'X-Payout-Idempotency' });
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['amount of exactly 100 paise', { amount: 100 }, 'abcd'],
    ['a 40-character reference and 30-character narration', { reference_id: long(40), narration: long(30) }, long(36)],
    ['no optional fields', { reference_id: undefined, narration: undefined, notes: undefined }, 'key_with spaces-1'],
    ['15 notes', { notes: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, long(256)])) }, 'k-15'],
  ])('accepts the edge case: %s', async (_name, overrides, key) => {
    const res = await client.create(payoutBody(overrides), { key });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('processing');
  });

  test.each([
    ['malformed JSON', '{"amount": 1000,'],
    ['a JSON array', JSON.stringify([payoutBody()])],
    ['a JSON string', '"payout"'],
    ['an empty body', ''],
  ])('%s is a 400 validation error, never a 500', async (_name, raw) => {
    const res = await client.create(undefined, { raw });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'BAD_REQUEST_ERROR', reason: 'input_validation_failed' });
    expect(await client.admin.payouts()).toHaveLength(0);
  });
});
