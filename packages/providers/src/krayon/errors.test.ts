import { describe, expect, it } from 'vitest';
import { fakeHttp, json, krayonError, pagePayout, pageResponse, TEST_CONFIG } from '../../test/krayon/fixtures.ts';
import { type HttpResponse, ProviderError } from '../contract/index.ts';
import { createKrayonAdapter } from './adapter.ts';
import { canonicalField } from './errors.ts';

function adapterAnswering(...responses: Array<HttpResponse | Error>) {
  return createKrayonAdapter({ ...TEST_CONFIG, http: fakeHttp(...responses) });
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

describe('Krayon errors → ProviderError kinds', () => {
  it('429 → rate_limited with Retry-After', async () => {
    const error = await errorOf(
      adapterAnswering(json(429, krayonError('RATE_LIMITED', 'Too many requests'), { 'retry-after': '3' })).submit(
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
    const error = await errorOf(adapterAnswering(json(503, '')).lookupById('9a2c4a6b0d98486fbddb405ed7cbdaad'));
    expect(error).toMatchObject({ kind: 'unavailable', httpStatus: 503 });
    const list = await errorOf(adapterAnswering(json(500, '')).lookupByReference(pagePayout()));
    expect(list).toMatchObject({ kind: 'unavailable', httpStatus: 500 });
  });

  it('401 UNAUTHORIZED → auth, with the message', async () => {
    const body = krayonError('UNAUTHORIZED', 'Invalid or missing API token');
    const error = await errorOf(adapterAnswering(json(401, body)).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'auth', providerCode: 'UNAUTHORIZED', httpStatus: 401 });
    expect(error.message).toBe('Invalid or missing API token');
  });

  it('401 without a body → auth', async () => {
    const error = await errorOf(adapterAnswering(json(401, '')).lookupById('x'));
    expect(error).toMatchObject({ kind: 'auth', providerCode: 'HTTP_401' });
  });

  it('404 NOT_FOUND on a lookup by id → not_found', async () => {
    const body = krayonError('NOT_FOUND', 'Deposit not found');
    const error = await errorOf(adapterAnswering(json(404, body)).lookupById('0000'));
    expect(error).toMatchObject({ kind: 'not_found', providerCode: 'NOT_FOUND', httpStatus: 404 });
  });

  it('404 on a create (a wrong URL, not a missing payout) → invalid_request', async () => {
    const error = await errorOf(adapterAnswering(json(404, krayonError('NOT_FOUND', 'No route'))).submit(pagePayout()));
    expect(error.kind).toBe('invalid_request');
  });

  it('409 DUPLICATE_REFERENCE_ID → duplicate (it exists: look it up)', async () => {
    const body = krayonError('DUPLICATE_REFERENCE_ID', 'reference_id already used', 'reference_id');
    const error = await errorOf(adapterAnswering(json(409, body)).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'duplicate', providerCode: 'DUPLICATE_REFERENCE_ID', httpStatus: 409 });
  });

  it('409 on a create without a readable body → duplicate still: a lookup is safe, a failure is not', async () => {
    const error = await errorOf(adapterAnswering(json(409, '<html>conflict</html>')).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'duplicate', providerCode: 'HTTP_409' });
  });

  it('400 INSUFFICIENT_BALANCE → insufficient_balance', async () => {
    const body = krayonError('INSUFFICIENT_BALANCE', 'Insufficient balance');
    const error = await errorOf(adapterAnswering(json(400, body)).submit(pagePayout()));
    expect(error).toMatchObject({
      kind: 'insufficient_balance',
      providerCode: 'INSUFFICIENT_BALANCE',
      httpStatus: 400,
    });
  });

  it('400 VALIDATION_ERROR → invalid_request with message and our field path', async () => {
    const body = krayonError('VALIDATION_ERROR', 'customer.email must be an email address', 'customer.email');
    const error = await errorOf(adapterAnswering(json(400, body)).submit(pagePayout()));
    expect(error).toMatchObject({
      kind: 'invalid_request',
      providerCode: 'VALIDATION_ERROR',
      message: 'customer.email must be an email address',
      field: 'beneficiary.email',
      httpStatus: 400,
    });
  });

  it('400 without a readable body → invalid_request, still', async () => {
    const error = await errorOf(adapterAnswering(json(400, '<html>bad request</html>')).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'HTTP_400', field: null });
  });

  it.each([
    ['amount', 'amount'],
    ['currency', 'currency'],
    ['description', 'description'],
    ['payment_method', 'method'],
    ['customer.country_code', 'beneficiary.country'],
    ['customer.email', 'beneficiary.email'],
    ['customer.first_name', 'beneficiary.first_name'],
    ['customer.last_name', 'beneficiary.last_name'],
    ['customer.phone', 'beneficiary.phone'],
    ['customer.account_number', 'beneficiary.account_number'],
    ['billing_address.country_code', 'beneficiary.address.country'],
    ['billing_address.address_line1', 'beneficiary.address.line1'],
    ['additional_parameters.bank_code', 'beneficiary.bank_code'],
    ['additional_parameters.bank_name', 'beneficiary.bank_name'],
  ])('field %s → %s', (wire, canonical) => {
    expect(canonicalField(wire)).toBe(canonical);
  });

  it.each(['reference_id', 'customer.reference_id', 'type', 'constructor', 'something_new', '', null])(
    'field %j → null (ours, or unknown)',
    (wire) => {
      expect(canonicalField(wire)).toBeNull();
    },
  );

  it('a 2xx create whose body is not a deposit → outcome_unknown (never a crash)', async () => {
    for (const body of [
      'not json',
      '{}',
      JSON.stringify(pageResponse()).replace('"data"', '"deposit"'),
      JSON.stringify(pageResponse({ amount: '100.0' })),
      JSON.stringify(pageResponse({ payment_fee: 0.005 })),
    ]) {
      const error = await errorOf(adapterAnswering(json(201, body)).submit(pagePayout()));
      expect(error).toMatchObject({ kind: 'outcome_unknown', providerCode: 'UNEXPECTED_RESPONSE', httpStatus: 201 });
    }
  });

  it('a 2xx read whose body is not a deposit → unavailable', async () => {
    const error = await errorOf(adapterAnswering(json(200, { data: { id: 'x' } })).lookupById('x'));
    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'UNEXPECTED_RESPONSE' });
    const list = await errorOf(
      adapterAnswering(json(200, { data: pageResponse().data })).lookupByReference(pagePayout()),
    );
    expect(list.kind).toBe('unavailable');
  });

  it('transport errors pass through as the HttpClient classified them', async () => {
    const reset = new ProviderError('outcome_unknown', 'transport error ECONNRESET', { providerCode: 'ECONNRESET' });
    expect(await errorOf(adapterAnswering(reset).submit(pagePayout()))).toBe(reset);
  });

  it('an invalid payout is refused before any request, naming the first field', async () => {
    const http = fakeHttp();
    const error = await errorOf(
      createKrayonAdapter({ ...TEST_CONFIG, http }).submit(pagePayout({ amount: 10n, method: 'NEFT' })),
    );
    expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'VALIDATION_FAILED', field: 'amount' });
    expect(error.message).toContain('method');
    expect(http.requests).toHaveLength(0);
  });
});
