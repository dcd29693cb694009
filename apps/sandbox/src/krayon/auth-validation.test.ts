import { must } from '@payouts/core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  API_TOKEN,
  type KrayonTestClient,
  PAGE_REQUEST_BODY,
  startKrayon,
  withdrawalBody,
} from '../../test/krayon/test-support.ts';

let client: KrayonTestClient;

beforeAll(async () => {
  client = await startKrayon();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

describe('authentication', () => {
  test.each([
    ['no Authorization header', null],
    ['a wrong token', 'Bearer krayon_wrong_token'],
    ['the token without Bearer', API_TOKEN],
    ['Basic auth', `Basic ${Buffer.from(`${API_TOKEN}:`).toString('base64')}`],
    ['an empty bearer', 'Bearer '],
    ['the token with a suffix', `Bearer ${API_TOKEN}x`],
  ])('%s is answered 401 with the error object', async (_name, auth) => {
    const res = await client.create(withdrawalBody(), { auth });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'Invalid or missing API token.', field: null },
    });
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('reads need the token too', async () => {
    expect((await client.get('0'.repeat(32), 'Bearer nope')).status).toBe(401);
    const list = await fetch(`${client.base}?reference_id=x`);
    expect(list.status).toBe(401);
  });

  test('authentication is checked before the body is parsed', async () => {
    const res = await client.create(undefined, { auth: null, raw: '{"amount":' });
    expect(res.status).toBe(401);
  });

  test('the default token is krayon_sandbox_token', async () => {
    const sandbox = await startKrayon({ krayon: { apiToken: undefined } });
    try {
      const res = await sandbox.create(withdrawalBody(), { auth: 'Bearer krayon_sandbox_token' });
      expect(res.status).toBe(200);
    } finally {
      await sandbox.sandbox.close();
    }
  });
});

const long = (n: number) => 'a'.repeat(n);

describe('create validation', () => {
  test("the page's own example body, verbatim, is not JSON: 400 VALIDATION_ERROR, nothing created", async () => {
    const res = await client.create(undefined, { raw: PAGE_REQUEST_BODY });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { code: 'VALIDATION_ERROR', message: 'The request body is not valid JSON.', field: null },
    });
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test("the page's body with only the trailing comma dropped fails on the obfuscated email", async () => {
    const res = await client.create(undefined, { raw: PAGE_REQUEST_BODY.replace(/,(\s*})/g, '$1') });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'customer.email' });
  });

  test.each<[string, string, Record<string, unknown>, Record<string, unknown>]>([
    ['amount missing', 'amount', { amount: undefined }, {}],
    ['amount as a number', 'amount', { amount: 500 }, {}],
    ['amount with 3 decimals', 'amount', { amount: '500.001' }, {}],
    ['amount negative', 'amount', { amount: '-500' }, {}],
    ['amount with an exponent', 'amount', { amount: '5e2' }, {}],
    ['amount zero', 'amount', { amount: '0' }, {}],
    ['amount under ₹1', 'amount', { amount: '0.99' }, {}],
    ['amount beyond safe paise', 'amount', { amount: '90071992547409.92' }, {}],
    ['reference_id missing', 'reference_id', { reference_id: undefined }, {}],
    ['reference_id empty', 'reference_id', { reference_id: '' }, {}],
    ['description over 255 characters', 'description', { description: long(256) }, {}],
    ['currency not INR', 'currency', { currency: 'USD' }, {}],
    ['customer missing', 'customer', { customer: undefined }, {}],
    ['customer.reference_id missing', 'customer.reference_id', {}, { reference_id: undefined }],
    ['customer.country_code lower case', 'customer.country_code', {}, { country_code: 'in' }],
    ['customer.email missing', 'customer.email', {}, { email: undefined }],
    ['customer.email not an email', 'customer.email', {}, { email: 'elon' }],
    ['customer.first_name missing', 'customer.first_name', {}, { first_name: undefined }],
    ['customer.last_name empty', 'customer.last_name', {}, { last_name: '' }],
    ['customer.phone missing', 'customer.phone', {}, { phone: undefined }],
    ['customer.phone with a plus', 'customer.phone', {}, { phone: '+919895270111' }],
    ['customer.phone of 9 digits', 'customer.phone', {}, { phone: '989527011' }],
    ['customer.phone of 16 digits', 'customer.phone', {}, { phone: '1234567890123456' }],
    ['customer.account_number missing', 'customer.account_number', {}, { account_number: undefined }],
    ['billing_address missing', 'billing_address', { billing_address: undefined }, {}],
    [
      'billing_address.address_line1 missing',
      'billing_address.address_line1',
      { billing_address: { country_code: 'IN' } },
      {},
    ],
    [
      'billing_address.country_code a name',
      'billing_address.country_code',
      { billing_address: { country_code: 'India', address_line1: 'L1' } },
      {},
    ],
    ['additional_parameters missing', 'additional_parameters', { additional_parameters: undefined }, {}],
    [
      'bank_code missing',
      'additional_parameters.bank_code',
      { additional_parameters: { bank_name: 'ICICI BANK' } },
      {},
    ],
    [
      'bank_code not an IFSC',
      'additional_parameters.bank_code',
      { additional_parameters: { bank_code: 'kkbk0000958' } },
      {},
    ],
    ['payment_method NEFT', 'payment_method', { payment_method: 'NEFT' }, {}],
    ['payment_method lower case', 'payment_method', { payment_method: 'imps' }, {}],
    ['type DEPOSIT', 'type', { type: 'DEPOSIT' }, {}],
    ['type missing', 'type', { type: undefined }, {}],
  ])('%s → 400 VALIDATION_ERROR on field %s', async (_name, field, overrides, customer) => {
    const res = await client.create(withdrawalBody(overrides, customer));
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'VALIDATION_ERROR', message: expect.any(String), field });
    expect(res.body.error.message).toContain(must(field.split('.')[0], 'field.split(".")[0]'));
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('a missing field says it is required', async () => {
    const res = await client.create(withdrawalBody({}, { email: undefined }));
    expect(res.body.error.message).toBe('customer.email is required');
  });

  test.each<[string, Record<string, unknown>]>([
    ['amount of exactly ₹1', { amount: '1' }],
    ['amount with 2 decimals', { amount: '500.55' }],
    ['amount with 1 decimal', { amount: '500.5' }],
    ['an IFSC', { additional_parameters: { bank_code: 'KKBK0000958' } }],
    ['no bank_name ("non mandatory")', { additional_parameters: { bank_code: 'KKBK00000000' } }],
    ['no description', { description: undefined }],
    ['a 255-character description', { description: long(255) }],
    ['an unknown field (ignored)', { return_url: 'https://example.com' }],
  ])('accepts %s', async (_name, overrides) => {
    const res = await client.create(withdrawalBody(overrides));
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe('PENDING');
  });

  test('accepts phones of 10 and 15 digits', async () => {
    for (const phone of ['9895270111', '123456789012345']) {
      expect((await client.create(withdrawalBody({}, { phone }))).status).toBe(200);
    }
  });

  test.each([
    ['malformed JSON', '{"amount": "500",', null],
    ['a JSON array', JSON.stringify([withdrawalBody()]), null],
    ['a JSON string', '"withdrawal"', null],
    // Read as an empty object: the first required field is missing.
    ['an empty body', '', 'amount'],
  ])('%s is a 400 VALIDATION_ERROR, never a 500', async (_name, raw, field) => {
    const res = await client.create(undefined, { raw });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field });
    expect(await client.admin.payouts()).toHaveLength(0);
  });
});
