import { describe, expect, it } from 'vitest';
import {
  fakeHttp,
  json,
  pagePayout,
  pageResponse,
  razorpayxError,
  TEST_CONFIG,
} from '../../test/razorpayx/fixtures.ts';
import { type HttpResponse, ProviderError } from '../contract/index.ts';
import { createRazorpayxAdapter } from './adapter.ts';
import { canonicalField } from './errors.ts';

function adapterAnswering(...responses: Array<HttpResponse | Error>) {
  return createRazorpayxAdapter({ ...TEST_CONFIG, http: fakeHttp(...responses) });
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

describe('RazorpayX errors → ProviderError kinds', () => {
  it('429 → rate_limited with Retry-After', async () => {
    const error = await errorOf(
      adapterAnswering(
        json(429, razorpayxError('BAD_REQUEST_ERROR', 'Too many requests'), { 'retry-after': '3' }),
      ).submit(pagePayout()),
    );
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000, httpStatus: 429 });
  });

  it('5xx on a create → outcome_unknown (it may have been committed)', async () => {
    const error = await errorOf(adapterAnswering(json(502, 'Bad Gateway')).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'outcome_unknown', httpStatus: 502 });
  });

  it('5xx on a read → unavailable', async () => {
    const error = await errorOf(adapterAnswering(json(503, '')).lookupById('pout_00000000000001'));
    expect(error).toMatchObject({ kind: 'unavailable', httpStatus: 503 });
  });

  it('401 → auth', async () => {
    const error = await errorOf(
      adapterAnswering(json(401, razorpayxError('BAD_REQUEST_ERROR', 'The api key provided is invalid'))).submit(
        pagePayout(),
      ),
    );
    expect(error).toMatchObject({ kind: 'auth', providerCode: 'BAD_REQUEST_ERROR', httpStatus: 401 });
    expect(error.message).toBe('The api key provided is invalid');
  });

  it('404 on a lookup by id → not_found', async () => {
    const body = razorpayxError('BAD_REQUEST_ERROR', 'The id provided does not exist', { field: 'id' });
    const error = await errorOf(adapterAnswering(json(404, body)).lookupById('pout_missing'));
    expect(error).toMatchObject({ kind: 'not_found', httpStatus: 404 });
  });

  it('404 on a cancel by id → not_found', async () => {
    const body = razorpayxError('BAD_REQUEST_ERROR', 'The id provided does not exist');
    const error = await errorOf(adapterAnswering(json(404, body)).cancel('pout_missing'));
    expect(error.kind).toBe('not_found');
  });

  it('400 insufficient_balance → insufficient_balance', async () => {
    const body = razorpayxError('BAD_REQUEST_ERROR', 'Your account does not have enough balance', {
      reason: 'insufficient_balance',
    });
    const error = await errorOf(adapterAnswering(json(400, body)).submit(pagePayout({ queueIfLowBalance: false })));
    expect(error).toMatchObject({ kind: 'insufficient_balance', providerCode: 'BAD_REQUEST_ERROR', httpStatus: 400 });
  });

  it('400 idempotency_conflict → invalid_request IDEMPOTENCY_CONFLICT', async () => {
    const body = razorpayxError('BAD_REQUEST_ERROR', 'Different request body sent for the same idempotency key', {
      reason: 'idempotency_conflict',
    });
    const error = await errorOf(adapterAnswering(json(400, body)).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'IDEMPOTENCY_CONFLICT', httpStatus: 400 });
  });

  it('other 400 → invalid_request with code, description and our field path', async () => {
    const body = razorpayxError('BAD_REQUEST_ERROR', 'Invalid fund account id', { field: 'fund_account_id' });
    const error = await errorOf(adapterAnswering(json(400, body)).submit(pagePayout()));
    expect(error).toMatchObject({
      kind: 'invalid_request',
      providerCode: 'BAD_REQUEST_ERROR',
      message: 'Invalid fund account id',
      field: 'beneficiary.provider_account_id',
      httpStatus: 400,
    });
  });

  it('400 without a readable body → invalid_request, still', async () => {
    const error = await errorOf(adapterAnswering(json(400, '<html>bad request</html>')).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'HTTP_400', field: null });
  });

  it.each([
    ['amount', 'amount'],
    ['mode', 'method'],
    ['purpose', 'purpose'],
    ['narration', 'narration'],
    ['reference_id', 'reference_id'],
    ['notes', 'metadata'],
    ['currency', 'currency'],
    ['fund_account_id', 'beneficiary.provider_account_id'],
    ['fund_account.bank_account.ifsc', 'beneficiary.bank_code'],
    ['fund_account.bank_account.account_number', 'beneficiary.account_number'],
    ['fund_account.bank_account.name', 'beneficiary.name'],
  ])('field %s → %s', (wire, canonical) => {
    expect(canonicalField(wire)).toBe(canonical);
  });

  it.each(['account_number', 'constructor', 'something_new', '', null])('field %j → null', (wire) => {
    expect(canonicalField(wire)).toBeNull();
  });

  it('a 2xx create whose body is not a payout → outcome_unknown (never a crash)', async () => {
    for (const body of ['not json', '{}', JSON.stringify(pageResponse({ amount: '1000000' }))]) {
      const error = await errorOf(adapterAnswering(json(200, body)).submit(pagePayout()));
      expect(error).toMatchObject({ kind: 'outcome_unknown', providerCode: 'UNEXPECTED_RESPONSE', httpStatus: 200 });
    }
  });

  it('a 2xx read whose body is not a payout → unavailable', async () => {
    const error = await errorOf(adapterAnswering(json(200, { id: 'pout_1' })).lookupById('pout_1'));
    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'UNEXPECTED_RESPONSE' });
    const list = await errorOf(adapterAnswering(json(200, { entity: 'collection' })).lookupByReference(pagePayout()));
    expect(list.kind).toBe('unavailable');
  });

  it('transport errors pass through as the HttpClient classified them', async () => {
    const reset = new ProviderError('outcome_unknown', 'transport error ECONNRESET', { providerCode: 'ECONNRESET' });
    expect(await errorOf(adapterAnswering(reset).submit(pagePayout()))).toBe(reset);
  });

  it('an invalid payout is refused before any request, naming the first field', async () => {
    const http = fakeHttp();
    const error = await errorOf(
      createRazorpayxAdapter({ ...TEST_CONFIG, http }).submit(pagePayout({ amount: 10n, narration: 'x!' })),
    );
    expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'VALIDATION_FAILED', field: 'amount' });
    expect(http.requests).toHaveLength(0);
  });
});
