import { describe, expect, it } from 'vitest';
import {
  fakeHttp,
  json,
  OUR_PAYOUT_ID,
  PAGE_NOW,
  PAGE_WITHDRAW_ID,
  pagePayout,
  pageResponse,
  TEST_CONFIG,
} from '../../test/thai-gateway/fixtures.ts';
import { createThaiGatewayAdapter } from './adapter.ts';
import { signature } from './signing.ts';

describe('Thai gateway requests on the wire', () => {
  it('creates with POST /api/v1/withdraws, JSON, and the three HMAC headers', async () => {
    const http = fakeHttp(json(201, pageResponse()));
    await createThaiGatewayAdapter({ ...TEST_CONFIG, http }).submit(pagePayout());

    const [req] = http.requests;
    expect(req?.method).toBe('POST');
    // The configured base URL has a trailing slash: it must not double up.
    expect(req?.url).toBe('https://api.thai-gateway.test/api/v1/withdraws');
    expect(req?.headers).toEqual({
      Accept: 'application/json',
      'Content-Type': 'application/json',
      'X-API-Key': 'thai_test_key',
      'X-Timestamp': String(PAGE_NOW),
      'X-Signature': signature('thai_test_secret', String(PAGE_NOW), req?.body ?? ''),
    });
  });

  it('sends the same body and idempotency key on every submit of one payout, signed with the time of each', async () => {
    let now = PAGE_NOW;
    const http = fakeHttp(json(201, pageResponse()), json(201, pageResponse()));
    const adapter = createThaiGatewayAdapter({ ...TEST_CONFIG, http, now: () => now });
    await adapter.submit(pagePayout({ id: OUR_PAYOUT_ID }));
    now += 60_000;
    await adapter.submit(pagePayout({ id: OUR_PAYOUT_ID }));

    const [first, second] = http.requests;
    expect(second?.body).toBe(first?.body);
    expect(JSON.parse(second?.body ?? '').idempotencyKey).toBe(`payout-12345-${PAGE_NOW}`);
    expect(second?.headers?.['X-Timestamp']).toBe(String(PAGE_NOW + 60_000));
    expect(second?.headers?.['X-Signature']).not.toBe(first?.headers?.['X-Signature']);
  });

  it('looks a withdraw up with GET /api/v1/withdraws/{id}, signing an empty body', async () => {
    const http = fakeHttp(json(200, pageResponse({ status: 'processing' })));
    const state = await createThaiGatewayAdapter({ ...TEST_CONFIG, http }).lookupById(PAGE_WITHDRAW_ID);
    expect(http.requests[0]).toEqual({
      method: 'GET',
      url: `https://api.thai-gateway.test/api/v1/withdraws/${PAGE_WITHDRAW_ID}`,
      headers: {
        Accept: 'application/json',
        'X-API-Key': 'thai_test_key',
        'X-Timestamp': String(PAGE_NOW),
        'X-Signature': signature('thai_test_secret', String(PAGE_NOW), ''),
      },
    });
    expect(state).toMatchObject({ providerPayoutId: PAGE_WITHDRAW_ID, outcome: 'processing' });
  });

  it('escapes the id in the path', async () => {
    const http = fakeHttp(json(200, pageResponse()));
    await createThaiGatewayAdapter({ ...TEST_CONFIG, http }).lookupById('w/../../balance');
    expect(http.requests[0]?.url).toBe('https://api.thai-gateway.test/api/v1/withdraws/w%2F..%2F..%2Fbalance');
  });

  it('looks up by reference with GET /api/v1/withdraws?referenceId=<our payout id>', async () => {
    const http = fakeHttp(json(200, { success: true, data: [] }));
    await createThaiGatewayAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout({ id: OUR_PAYOUT_ID }));
    const url = new URL(http.requests[0]?.url ?? '');
    expect(http.requests[0]?.method).toBe('GET');
    expect(url.pathname).toBe('/api/v1/withdraws');
    expect(url.searchParams.get('referenceId')).toBe(OUR_PAYOUT_ID);
    expect(http.requests[0]?.body).toBeUndefined();
    expect(http.requests[0]?.headers?.['X-Signature']).toBe(signature('thai_test_secret', String(PAGE_NOW), ''));
  });
});
