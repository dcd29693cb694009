import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ACCESS_TOKEN, type DruoTestClient, payoutBody, startDruo } from '../../test/druo/test-support.ts';

let client: DruoTestClient;

beforeAll(async () => {
  client = await startDruo();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

describe('authentication', () => {
  test.each([
    ['no Authorization header', null],
    ['a wrong token', 'Bearer druo_other_token'],
    ['the token with Basic', `Basic ${ACCESS_TOKEN}`],
    ['an empty bearer', 'Bearer '],
    ['the token alone', ACCESS_TOKEN],
  ])('%s is answered 401 UNAUTHORIZED, and creates nothing', async (_name, auth) => {
    const res = await client.create(payoutBody(), { auth });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'Invalid or missing access token', field: null },
    });
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test.each([
    ['missing', null],
    ['an older version', '2020-01-01'],
    ['empty', ''],
    ['garbage', 'latest'],
  ])('a DRUO-Version header %s is answered 401 naming the header', async (_name, version) => {
    const res = await client.create(payoutBody(), { version });
    expect(res.status).toBe(401);
    expect(res.body.error).toEqual({
      code: 'UNAUTHORIZED',
      message: 'Missing or unsupported DRUO-Version header; use 2021-11-22',
      field: 'DRUO-Version',
    });
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('reads need the token and the version too', async () => {
    expect((await client.get('trx_00000000-0000-0000-0000-000000000000', { auth: null })).status).toBe(401);
    expect((await client.get('trx_00000000-0000-0000-0000-000000000000', { version: null })).status).toBe(401);
    const res = await fetch(`${client.base}/payouts?primary_reference=x`);
    expect(res.status).toBe(401);
  });

  test('authentication is checked before the body is parsed', async () => {
    const res = await client.create(undefined, { auth: null, raw: '{"amount":' });
    expect(res.status).toBe(401);
  });
});

const long = (n: number) => 'a'.repeat(n);
const metadata = (n: number, value = 'v') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));

describe('create validation', () => {
  test.each<[string, Record<string, unknown>, string]>([
    ['tenant_id missing', { tenant_id: undefined }, 'tenant_id'],
    [
      'tenant_id not the configured DRUO tenant',
      { tenant_id: 'ten_0521aadc-5fbd-4b3c-af0a-a4f4b8d6f20a' },
      'tenant_id',
    ],
    ['tenant_id not a string', { tenant_id: 42 }, 'tenant_id'],
    ['amount missing', { amount: undefined }, 'amount'],
    ['amount zero', { amount: 0 }, 'amount'],
    ['amount negative', { amount: -100 }, 'amount'],
    ['amount not an integer', { amount: 100.5 }, 'amount'],
    ['amount as a string', { amount: '20000' }, 'amount'],
    ['amount beyond the safe integer range', { amount: 2 ** 53 }, 'amount'],
    ['destination_account_id missing', { destination_account_id: undefined }, 'destination_account_id'],
    [
      'destination_account_id not an account id',
      { destination_account_id: 'fa_00000000000001' },
      'destination_account_id',
    ],
    ['destination_account_id with nothing after acc_', { destination_account_id: 'acc_' }, 'destination_account_id'],
    ['destination_account_id too long', { destination_account_id: `acc_${long(65)}` }, 'destination_account_id'],
    ['currency missing', { currency: undefined }, 'currency'],
    ['currency not USD or COP', { currency: 'EUR' }, 'currency'],
    ['currency in lower case', { currency: 'usd' }, 'currency'],
    ['currency as an object, like the response', { currency: { code: 'USD' } }, 'currency'],
    ['description over 255 characters', { description: long(256) }, 'description'],
    ['primary_reference over 40 characters', { primary_reference: long(41) }, 'primary_reference'],
    ['secondary_reference over 40 characters', { secondary_reference: long(41) }, 'secondary_reference'],
    ['metadata as an array', { metadata: ['a'] }, 'metadata'],
    ['metadata as a JSON string', { metadata: '{"order_id": "6735"}' }, 'metadata'],
    ['metadata with 51 keys', { metadata: metadata(51) }, 'metadata'],
    ['a metadata key over 40 characters', { metadata: { [long(41)]: 'v' } }, 'metadata'],
    ['a metadata value over 500 characters', { metadata: { order_id: long(501) } }, 'metadata'],
    ['a metadata value that is not a string', { metadata: { order_id: 6735 } }, 'metadata'],
    ['an unknown field', { idempotency_key: 'abc' }, 'idempotency_key'],
  ])('%s → 400 VALIDATION_ERROR on field %s', async (_name, overrides, field) => {
    const res = await client.create(payoutBody(overrides));
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'VALIDATION_ERROR', message: expect.any(String), field });
    expect(res.body.error.message).not.toBe('');
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test.each<[string, Record<string, unknown>]>([
    ['an amount of 1 minor unit', { amount: 1 }],
    ['COP', { currency: 'COP', amount: 1 }],
    [
      'every optional field at its limit',
      {
        description: long(255),
        primary_reference: long(40),
        secondary_reference: long(40),
        metadata: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}`.padStart(40, 'k'), long(500)])),
      },
    ],
    [
      'optional fields sent as null',
      { description: null, primary_reference: null, secondary_reference: null, metadata: null },
    ],
    ['a short account id', { destination_account_id: 'acc_1' }],
  ])('accepts the edge case: %s', async (_name, overrides) => {
    const res = await client.create(payoutBody(overrides));
    expect(res.status).toBe(200);
    expect(res.body.payout.status).toBe('PENDING');
  });

  test.each<[string, string, string | null]>([
    ['malformed JSON', '{"amount": 20000,', null],
    ['a JSON array', JSON.stringify([payoutBody()]), null],
    ['a JSON string', '"payout"', null],
    // An empty body reads as `{}`: the first required field is missing.
    ['an empty body', '', 'tenant_id'],
  ])('%s is a 400 validation error, never a 500', async (_name, raw, field) => {
    const res = await client.create(undefined, { raw });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field });
    expect(await client.admin.payouts()).toHaveLength(0);
  });
});
