import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  API_KEY,
  API_SECRET,
  sign,
  startThaiGateway,
  type ThaiGatewayTestClient,
  withdrawBody,
} from '../../test/thai-gateway/test-support.ts';

let client: ThaiGatewayTestClient;

beforeAll(async () => {
  client = await startThaiGateway();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

const FIVE_MINUTES = 5 * 60 * 1000;

describe('HMAC authentication', () => {
  test.each([
    ['no X-API-Key', { apiKey: null }],
    ['a wrong API key', { apiKey: 'thai_other_key' }],
    ['no X-Timestamp', { timestamp: null }],
    ['no X-Signature', { signature: null }],
    ['a signature made with another secret', { secret: 'another secret' }],
    ['a bare hex signature without sha256=', { signature: sign(API_SECRET, String(Date.now()), '{}').slice(7) }],
    ['a timestamp older than five minutes', { timestamp: String(Date.now() - FIVE_MINUTES - 60_000) }],
    ['a timestamp more than five minutes ahead', { timestamp: String(Date.now() + FIVE_MINUTES + 60_000) }],
    ['a timestamp in seconds', { timestamp: String(Math.floor(Date.now() / 1000)) }],
    ['an ISO timestamp', { timestamp: new Date().toISOString() }],
  ])('%s is answered 401 INVALID_CREDENTIALS in the page format', async (_name, options) => {
    const res = await client.create(withdrawBody(), options);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      success: false,
      error: { code: 'INVALID_CREDENTIALS', message: expect.any(String), metadata: {} },
    });
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('the signature covers the exact bytes sent: whitespace and key order signed as sent are accepted', async () => {
    const raw = `{ "idempotencyKey" : "k-raw-1",\n  "amount": "1.00", "referenceId": "raw-1", "destinationType": "wallet",
      "customerBankAccountName": "สมชาย", "customerBankAccountNumber": "0812345678", "customerBankCode": "014" }`;
    const res = await client.create(undefined, { raw });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ referenceId: 'raw-1', amount: '1.00', bankAccountName: 'สมชาย' });
  });

  test('a signature over the re-serialised JSON, not the bytes sent, is refused', async () => {
    const raw = JSON.stringify(withdrawBody(), null, 2);
    const compact = JSON.stringify(JSON.parse(raw));
    const timestamp = String(Date.now());
    const res = await client.create(undefined, { raw, timestamp, signature: sign(API_SECRET, timestamp, compact) });
    expect(res.status).toBe(401);
  });

  test('a body changed after signing is refused', async () => {
    const body = JSON.stringify(withdrawBody());
    const timestamp = String(Date.now());
    const res = await client.create(undefined, {
      raw: body.replace('"1000.00"', '"9000.00"'),
      timestamp,
      signature: sign(API_SECRET, timestamp, body),
    });
    expect(res.status).toBe(401);
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('reads need a signature too, over an empty body', async () => {
    expect((await fetch(`${client.base}/api/v1/withdraws/w_1`)).status).toBe(401);
    const timestamp = String(Date.now());
    expect((await client.get('w_1', { timestamp, signature: sign(API_SECRET, timestamp, '{}') })).status).toBe(401);
    expect((await client.get('w_1')).status).toBe(404);
  });

  test('authentication is checked before the body is parsed', async () => {
    const res = await client.create(undefined, { raw: '{"amount":', apiKey: null });
    expect(res.status).toBe(401);
  });

  test('the replay window is five minutes either side of the sandbox clock, inclusive', async () => {
    const now = Date.parse('2024-01-01T00:00:00.000Z');
    const timed = await startThaiGateway({ now: () => now });
    try {
      for (const [offset, status] of [
        [-FIVE_MINUTES, 201],
        [FIVE_MINUTES, 201],
        [-FIVE_MINUTES - 1, 401],
        [FIVE_MINUTES + 1, 401],
      ] as const) {
        const res = await timed.create(withdrawBody(), { timestamp: String(now + offset) });
        expect(res.status, `offset ${offset}`).toBe(status);
      }
      expect(API_KEY).toBe('thai_test_key');
    } finally {
      await timed.sandbox.close();
    }
  });
});

const long = (n: number) => 'a'.repeat(n);

describe('create validation, in the page error format', () => {
  test.each<[string, Record<string, unknown>, string, string]>([
    ['amount missing', { amount: undefined }, 'VALIDATION_ERROR', 'amount'],
    ['amount as a number', { amount: 1000 }, 'VALIDATION_ERROR', 'amount'],
    ['amount not a decimal', { amount: '10,00' }, 'VALIDATION_ERROR', 'amount'],
    ['amount negative', { amount: '-1.00' }, 'VALIDATION_ERROR', 'amount'],
    ['amount zero', { amount: '0.00' }, 'INVALID_AMOUNT', 'amount'],
    ['amount with three decimals', { amount: '1.005' }, 'INVALID_AMOUNT', 'amount'],
    ['amount beyond a safe integer of satang', { amount: '900000000000000000.00' }, 'INVALID_AMOUNT', 'amount'],
    ['currency not THB', { currency: 'USD' }, 'VALIDATION_ERROR', 'currency'],
    ['referenceId missing', { referenceId: undefined }, 'VALIDATION_ERROR', 'referenceId'],
    ['referenceId with a space', { referenceId: 'payout 1' }, 'VALIDATION_ERROR', 'referenceId'],
    ['referenceId over 255 characters', { referenceId: long(256) }, 'VALIDATION_ERROR', 'referenceId'],
    ['referenceId empty', { referenceId: '' }, 'VALIDATION_ERROR', 'referenceId'],
    ['destinationType unknown', { destinationType: 'card' }, 'VALIDATION_ERROR', 'destinationType'],
    ['destinationType missing', { destinationType: undefined }, 'VALIDATION_ERROR', 'destinationType'],
    ['account name missing', { customerBankAccountName: undefined }, 'VALIDATION_ERROR', 'customerBankAccountName'],
    ['account name empty', { customerBankAccountName: '' }, 'VALIDATION_ERROR', 'customerBankAccountName'],
    ['account name over 255', { customerBankAccountName: long(256) }, 'VALIDATION_ERROR', 'customerBankAccountName'],
    [
      'account number missing',
      { customerBankAccountNumber: undefined },
      'VALIDATION_ERROR',
      'customerBankAccountNumber',
    ],
    [
      'account number with dashes',
      { customerBankAccountNumber: '123-456-7890' },
      'VALIDATION_ERROR',
      'customerBankAccountNumber',
    ],
    [
      'account number of 5 digits',
      { customerBankAccountNumber: '12345' },
      'VALIDATION_ERROR',
      'customerBankAccountNumber',
    ],
    [
      'account number of 21 digits',
      { customerBankAccountNumber: '1'.repeat(21) },
      'VALIDATION_ERROR',
      'customerBankAccountNumber',
    ],
    ['bank code missing', { customerBankCode: undefined }, 'VALIDATION_ERROR', 'customerBankCode'],
    ['bank code of 2 digits', { customerBankCode: '04' }, 'INVALID_BANK_CODE', 'customerBankCode'],
    ['bank code of letters', { customerBankCode: 'KBK' }, 'INVALID_BANK_CODE', 'customerBankCode'],
    ['bank code as a number', { customerBankCode: 4 }, 'INVALID_BANK_CODE', 'customerBankCode'],
    ['description over 255', { description: long(256) }, 'VALIDATION_ERROR', 'description'],
    ['metadata as an array', { metadata: ['a'] }, 'VALIDATION_ERROR', 'metadata'],
    ['metadata as a string', { metadata: 'a=b' }, 'VALIDATION_ERROR', 'metadata'],
    ['idempotencyKey empty', { idempotencyKey: '' }, 'VALIDATION_ERROR', 'idempotencyKey'],
    ['idempotencyKey a number', { idempotencyKey: 12345 }, 'VALIDATION_ERROR', 'idempotencyKey'],
    ['an unknown field', { merchantId: 'm_1' }, 'VALIDATION_ERROR', 'merchantId'],
  ])('%s → 400 %s on field %s', async (_name, overrides, code, field) => {
    const res = await client.create(withdrawBody(overrides));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, error: { code, message: expect.any(String), metadata: { field } } });
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test("a non-decimal amount is answered exactly as the page's example", async () => {
    const res = await client.create(withdrawBody({ amount: 'ten' }));
    expect(res.body).toEqual({
      success: false,
      error: {
        code: 'VALIDATION_ERROR',
        message: 'amount must be a valid decimal number',
        metadata: { field: 'amount' },
      },
    });
  });

  test.each<[string, Record<string, unknown>]>([
    [
      'only the required fields',
      { currency: undefined, description: undefined, metadata: undefined, idempotencyKey: undefined },
    ],
    ['one satang', { amount: '0.01' }],
    ['an amount without decimals', { amount: '1000' }],
    ['a 255-character referenceId of every allowed kind', { referenceId: `A-z_0.9${long(248)}` }],
    ['a wallet destination', { destinationType: 'wallet', customerBankAccountNumber: '0812345678' }],
    ['6- and 20-digit account numbers', { customerBankAccountNumber: '123456' }],
    ['null description and metadata', { description: null, metadata: null }],
    ['255-character name and description', { customerBankAccountName: long(255), description: long(255) }],
  ])('accepts the edge case: %s', async (_name, overrides) => {
    const res = await client.create(withdrawBody(overrides));
    expect(res.status).toBe(201);
    expect(res.body.data.status).toBe('pending');
  });

  test('accepts a 20-digit account number', async () => {
    expect((await client.create(withdrawBody({ customerBankAccountNumber: '1'.repeat(20) }))).status).toBe(201);
  });

  test.each([
    ['malformed JSON', '{"amount": "1.00",'],
    ['a JSON array', JSON.stringify([withdrawBody()])],
    ['a JSON string', '"withdraw"'],
    ['an empty body', ''],
  ])('%s is a 400 VALIDATION_ERROR without a field, never a 500', async (_name, raw) => {
    const res = await client.create(undefined, { raw });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      success: false,
      error: { code: 'VALIDATION_ERROR', message: expect.any(String), metadata: {} },
    });
    expect(await client.admin.payouts()).toHaveLength(0);
  });
});
