import { describe, expect, it } from 'vitest';
import { druoError, envelope, fakeHttp, json, pagePayout, TEST_CONFIG } from '../../test/druo/fixtures.ts';
import { type HttpResponse, ProviderError } from '../contract/index.ts';
import { createDruoAdapter } from './adapter.ts';
import { canonicalField } from './errors.ts';

function adapterAnswering(...responses: Array<HttpResponse | Error>) {
  return createDruoAdapter({ ...TEST_CONFIG, http: fakeHttp(...responses) });
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

describe('DRUO errors → ProviderError kinds', () => {
  it('429 → rate_limited with Retry-After', async () => {
    const error = await errorOf(
      adapterAnswering(json(429, druoError('RATE_LIMITED', 'Too many requests'), { 'retry-after': '3' })).submit(
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
    expect(await errorOf(adapterAnswering(json(503, '')).lookupById('trx_1'))).toMatchObject({
      kind: 'unavailable',
      httpStatus: 503,
    });
    expect((await errorOf(adapterAnswering(json(500, '')).lookupByReference(pagePayout()))).kind).toBe('unavailable');
  });

  it('401 (token or DRUO-Version refused) → auth', async () => {
    const body = druoError('UNAUTHORIZED', 'Invalid or missing access token');
    const error = await errorOf(adapterAnswering(json(401, body)).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'auth', providerCode: 'UNAUTHORIZED', httpStatus: 401 });
    expect(error.message).toBe('Invalid or missing access token');
  });

  it('403 → auth', async () => {
    const error = await errorOf(adapterAnswering(json(403, druoError('FORBIDDEN', 'Not allowed'))).lookupById('trx_1'));
    expect(error).toMatchObject({ kind: 'auth', httpStatus: 403 });
  });

  it('404 on a lookup by uuid → not_found', async () => {
    const error = await errorOf(
      adapterAnswering(json(404, druoError('NOT_FOUND', 'Payout not found'))).lookupById('trx_missing'),
    );
    expect(error).toMatchObject({ kind: 'not_found', providerCode: 'NOT_FOUND', httpStatus: 404 });
  });

  it('404 on a create (a wrong URL, nothing created) → invalid_request', async () => {
    const error = await errorOf(adapterAnswering(json(404, druoError('NOT_FOUND', 'No route'))).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'invalid_request', httpStatus: 404 });
  });

  it('400 VALIDATION_ERROR → invalid_request with message and our field path', async () => {
    const body = druoError('VALIDATION_ERROR', 'Destination account not found', 'destination_account_id');
    const error = await errorOf(adapterAnswering(json(400, body)).submit(pagePayout()));
    expect(error).toMatchObject({
      kind: 'invalid_request',
      providerCode: 'VALIDATION_ERROR',
      message: 'Destination account not found',
      field: 'beneficiary.provider_account_id',
      httpStatus: 400,
    });
  });

  it('a 4xx error coded INSUFFICIENT_FUNDS (no transaction at all) → insufficient_balance', async () => {
    const body = druoError('INSUFFICIENT_FUNDS', 'Insufficient funds');
    const error = await errorOf(adapterAnswering(json(400, body)).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'insufficient_balance', providerCode: 'INSUFFICIENT_FUNDS', httpStatus: 400 });
  });

  it('400 without a readable body → invalid_request, still', async () => {
    const error = await errorOf(adapterAnswering(json(400, '<html>bad request</html>')).submit(pagePayout()));
    expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'HTTP_400', field: null });
  });

  it('a 3xx (redirects are not followed) → outcome_unknown on a create, unavailable on a read', async () => {
    expect((await errorOf(adapterAnswering(json(302, '')).submit(pagePayout()))).kind).toBe('outcome_unknown');
    expect((await errorOf(adapterAnswering(json(302, '')).lookupById('trx_1'))).kind).toBe('unavailable');
  });

  it.each([
    ['amount', 'amount'],
    ['currency', 'currency'],
    ['destination_account_id', 'beneficiary.provider_account_id'],
    ['secondary_reference', 'reference_id'],
    ['description', 'description'],
    ['metadata', 'metadata'],
    ['metadata.order_id', 'metadata.order_id'],
  ])('field %s → %s', (wire, canonical) => {
    expect(canonicalField(wire)).toBe(canonical);
  });

  it.each(['primary_reference', 'tenant_id', 'DRUO-Version', 'constructor', 'metadata.a.b', 'something_new', '', null])(
    'field %j → null (not a field the client sent)',
    (wire) => {
      expect(canonicalField(wire)).toBeNull();
    },
  );

  it('a 2xx create whose body is not a transaction → outcome_unknown (never a crash)', async () => {
    const bodies = ['not json', '{}', JSON.stringify(envelope({ amount: '20000' })), JSON.stringify(envelope().payout)];
    for (const body of bodies) {
      const error = await errorOf(adapterAnswering(json(200, body)).submit(pagePayout()));
      expect(error).toMatchObject({ kind: 'outcome_unknown', providerCode: 'UNEXPECTED_RESPONSE', httpStatus: 200 });
    }
  });

  it('a 2xx read whose body is not a transaction → unavailable', async () => {
    const error = await errorOf(adapterAnswering(json(200, { uuid: 'trx_1' })).lookupById('trx_1'));
    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'UNEXPECTED_RESPONSE' });
    const list = await errorOf(adapterAnswering(json(200, { payout: null })).lookupByReference(pagePayout()));
    expect(list.kind).toBe('unavailable');
  });

  it('transport errors pass through as the HttpClient classified them', async () => {
    const reset = new ProviderError('outcome_unknown', 'transport error ECONNRESET', { providerCode: 'ECONNRESET' });
    expect(await errorOf(adapterAnswering(reset).submit(pagePayout()))).toBe(reset);
  });

  it('an invalid payout is refused before any request, naming the first field', async () => {
    const http = fakeHttp();
    const error = await errorOf(
      createDruoAdapter({ ...TEST_CONFIG, http }).submit(pagePayout({ amount: 0n, referenceId: 'r'.repeat(41) })),
    );
    expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'VALIDATION_FAILED', field: 'amount' });
    expect(http.requests).toHaveLength(0);
  });
});
