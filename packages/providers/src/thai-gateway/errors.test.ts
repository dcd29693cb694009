import { describe, expect, it } from 'vitest';
import {
  fakeHttp,
  gatewayError,
  json,
  PAGE_ERROR_RESPONSE,
  pagePayout,
  pageResponse,
  TEST_CONFIG,
} from '../../test/thai-gateway/fixtures.ts';
import { type HttpResponse, ProviderError } from '../contract/index.ts';
import { createThaiGatewayAdapter } from './adapter.ts';
import { canonicalField } from './errors.ts';

function adapterAnswering(...responses: Array<HttpResponse | Error>) {
  return createThaiGatewayAdapter({ ...TEST_CONFIG, http: fakeHttp(...responses) });
}

async function errorOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a ProviderError, got a result');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('Thai gateway errors → ProviderError kinds', () => {
  it("the page's 400 example → invalid_request on amount", async () => {
    const error = await errorOf(adapterAnswering(json(400, PAGE_ERROR_RESPONSE)).submit(pagePayout()));
    expect(error).toMatchObject({
      kind: 'invalid_request',
      providerCode: 'VALIDATION_ERROR',
      message: 'amount must be a valid decimal number',
      field: 'amount',
      httpStatus: 400,
    });
  });

  it('400 INVALID_AMOUNT → invalid_request on amount, even without metadata.field', async () => {
    const error = await errorOf(
      adapterAnswering(json(400, gatewayError('INVALID_AMOUNT', 'Amount must be a valid decimal number'))).submit(
        pagePayout(),
      ),
    );
    expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'INVALID_AMOUNT', field: 'amount' });
  });

  it('400 INVALID_BANK_CODE → invalid_request on beneficiary.bank_code', async () => {
    const body = gatewayError(
      'INVALID_BANK_CODE',
      'Bank code must be a valid 3-digit Thai bank code',
      'customerBankCode',
    );
    const error = await errorOf(adapterAnswering(json(400, body)).submit(pagePayout()));
    expect(error).toMatchObject({
      kind: 'invalid_request',
      providerCode: 'INVALID_BANK_CODE',
      field: 'beneficiary.bank_code',
    });
    const bare = await errorOf(
      adapterAnswering(json(400, gatewayError('INVALID_BANK_CODE', 'bad'))).submit(pagePayout()),
    );
    expect(bare.field).toBe('beneficiary.bank_code');
  });

  it('422 INSUFFICIENT_BALANCE → insufficient_balance', async () => {
    const body = gatewayError('INSUFFICIENT_BALANCE', 'Merchant account has insufficient balance');
    const error = await errorOf(adapterAnswering(json(422, body)).submit(pagePayout()));
    expect(error).toMatchObject({
      kind: 'insufficient_balance',
      providerCode: 'INSUFFICIENT_BALANCE',
      httpStatus: 422,
    });
  });

  it('409 DUPLICATE_REFERENCE_ID → duplicate (look it up: it exists)', async () => {
    const body = gatewayError('DUPLICATE_REFERENCE_ID', 'Reference ID already exists for this merchant', 'referenceId');
    const error = await errorOf(adapterAnswering(json(409, body)).submit(pagePayout()));
    expect(error).toMatchObject({
      kind: 'duplicate',
      providerCode: 'DUPLICATE_REFERENCE_ID',
      field: 'reference_id',
      httpStatus: 409,
    });
  });

  it('401 INVALID_CREDENTIALS → auth', async () => {
    const body = gatewayError('INVALID_CREDENTIALS', 'Authentication failed');
    const error = await errorOf(adapterAnswering(json(401, body)).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'auth', providerCode: 'INVALID_CREDENTIALS', httpStatus: 401 });
    expect(error.message).toBe('Authentication failed');
    const bare = await errorOf(adapterAnswering(json(401, '')).lookupById('w_1'));
    expect(bare).toMatchObject({ kind: 'auth', providerCode: 'HTTP_401' });
  });

  it('404 NOT_FOUND on a lookup by id → not_found', async () => {
    const error = await errorOf(
      adapterAnswering(json(404, gatewayError('NOT_FOUND', 'Withdraw not found'))).lookupById('w_missing'),
    );
    expect(error).toMatchObject({ kind: 'not_found', providerCode: 'NOT_FOUND', httpStatus: 404 });
  });

  it('404 on a create or a list is a wrong URL, not a missing withdraw → invalid_request', async () => {
    const onCreate = await errorOf(adapterAnswering(json(404, 'Not Found')).submit(pagePayout()));
    expect(onCreate).toMatchObject({ kind: 'invalid_request', httpStatus: 404 });
    const onList = await errorOf(adapterAnswering(json(404, 'Not Found')).lookupByReference(pagePayout()));
    expect(onList.kind).toBe('invalid_request');
  });

  it('429 → rate_limited with Retry-After', async () => {
    const error = await errorOf(
      adapterAnswering(json(429, gatewayError('RATE_LIMITED', 'slow down'), { 'retry-after': '3' })).submit(
        pagePayout(),
      ),
    );
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000, httpStatus: 429 });
  });

  it('5xx on a create → outcome_unknown (it may have been committed)', async () => {
    const error = await errorOf(adapterAnswering(json(502, 'Bad Gateway')).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'outcome_unknown', httpStatus: 502 });
  });

  it('5xx on a read → unavailable', async () => {
    const error = await errorOf(adapterAnswering(json(503, '')).lookupById('w_1'));
    expect(error).toMatchObject({ kind: 'unavailable', httpStatus: 503 });
  });

  it('400 without a readable body → invalid_request, still', async () => {
    const error = await errorOf(adapterAnswering(json(400, '<html>bad request</html>')).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'HTTP_400', field: null });
  });

  it.each([
    ['amount', 'amount'],
    ['currency', 'currency'],
    ['referenceId', 'reference_id'],
    ['destinationType', 'method'],
    ['customerBankAccountName', 'beneficiary.name'],
    ['customerBankAccountNumber', 'beneficiary.account_number'],
    ['customerBankCode', 'beneficiary.bank_code'],
    ['description', 'description'],
    ['metadata', 'metadata'],
  ])('field %s → %s', (wire, canonical) => {
    expect(canonicalField(wire)).toBe(canonical);
  });

  it.each(['idempotencyKey', 'constructor', 'merchantId', '', null])('field %j → null', (wire) => {
    expect(canonicalField(wire)).toBeNull();
  });

  it('a 2xx create whose body is not a withdraw → outcome_unknown (never a crash)', async () => {
    const bodies = [
      'not json',
      '{}',
      JSON.stringify({ success: false, data: {} }),
      JSON.stringify(pageResponse({ id: 7 })),
    ];
    for (const body of bodies) {
      const error = await errorOf(adapterAnswering(json(201, body)).submit(pagePayout()));
      expect(error).toMatchObject({ kind: 'outcome_unknown', providerCode: 'UNEXPECTED_RESPONSE', httpStatus: 201 });
    }
  });

  it('a 2xx read whose body is not a withdraw → unavailable', async () => {
    const error = await errorOf(adapterAnswering(json(200, { success: true })).lookupById('w_1'));
    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'UNEXPECTED_RESPONSE' });
    const list = await errorOf(adapterAnswering(json(200, pageResponse())).lookupByReference(pagePayout()));
    expect(list.kind).toBe('unavailable');
  });

  it('a 3xx (not followed) → outcome_unknown on a create, unavailable on a read', async () => {
    expect((await errorOf(adapterAnswering(json(302, '')).submit(pagePayout()))).kind).toBe('outcome_unknown');
    expect((await errorOf(adapterAnswering(json(302, '')).lookupById('w_1'))).kind).toBe('unavailable');
  });

  it('transport errors pass through as the HttpClient classified them', async () => {
    const reset = new ProviderError('outcome_unknown', 'transport error ECONNRESET', { providerCode: 'ECONNRESET' });
    expect(await errorOf(adapterAnswering(reset).submit(pagePayout()))).toBe(reset);
  });

  it('an invalid payout is refused before any request, naming the first field', async () => {
    const http = fakeHttp();
    const error = await errorOf(
      createThaiGatewayAdapter({ ...TEST_CONFIG, http }).submit(
        pagePayout({ beneficiary: { name: 'John Doe', account_number: '1234567890', bank_code: '4' } }),
      ),
    );
    expect(error).toMatchObject({
      kind: 'invalid_request',
      providerCode: 'VALIDATION_FAILED',
      field: 'beneficiary.bank_code',
    });
    expect(http.requests).toHaveLength(0);
  });
});
