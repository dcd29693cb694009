import { describe, expect, it } from 'vitest';
import {
  envelope,
  fakeHttp,
  json,
  OUR_PAYOUT_ID,
  PAGE_REQUEST_BODY,
  pagePayout,
  TEST_CONFIG,
} from '../../test/druo/fixtures.ts';
import { createDruoAdapter } from './adapter.ts';

const HEADERS = { Authorization: 'Bearer druo_test_token', 'DRUO-Version': '2021-11-22' };

describe('DRUO requests on the wire', () => {
  it("submits the page's request with the Bearer token, DRUO-Version and JSON", async () => {
    const http = fakeHttp(json(200, envelope()));
    await createDruoAdapter({ ...TEST_CONFIG, http }).submit(pagePayout());

    const [req] = http.requests;
    expect(req?.method).toBe('POST');
    // The configured base URL has a trailing slash: it must not double up.
    expect(req?.url).toBe('https://api.druo.test/payouts/create');
    expect(req?.headers).toMatchObject({ ...HEADERS, 'Content-Type': 'application/json' });
    expect(JSON.parse(req?.body ?? '')).toEqual({ ...JSON.parse(PAGE_REQUEST_BODY), primary_reference: OUR_PAYOUT_ID });
  });

  it('sends the same body on every submit of one payout (the reference is what a lookup finds)', async () => {
    const http = fakeHttp(json(200, envelope()), json(200, envelope()));
    const adapter = createDruoAdapter({ ...TEST_CONFIG, http });
    await adapter.submit(pagePayout({ referenceId: 'client-ref', metadata: { order_id: '6735' } }));
    await adapter.submit(pagePayout({ referenceId: 'client-ref', metadata: { order_id: '6735' } }));
    const [first, second] = http.requests;
    expect(second?.body).toBe(first?.body);
    // No idempotency header: DRUO documents none, so none is invented.
    expect(Object.keys(first?.headers ?? {}).map((h) => h.toLowerCase())).not.toContain('idempotency-key');
  });

  it('looks a transaction up by uuid with GET /payouts/:uuid', async () => {
    const http = fakeHttp(json(200, envelope()));
    await createDruoAdapter({ ...TEST_CONFIG, http }).lookupById('trx_1cb6a2ab-2351-436b-99df-e00fd9b9cf6a');
    expect(http.requests[0]).toMatchObject({
      method: 'GET',
      url: 'https://api.druo.test/payouts/trx_1cb6a2ab-2351-436b-99df-e00fd9b9cf6a',
      headers: HEADERS,
    });
    expect(http.requests[0]?.body).toBeUndefined();
  });

  it('escapes the uuid in the path', async () => {
    const http = fakeHttp(json(200, envelope()));
    await createDruoAdapter({ ...TEST_CONFIG, http }).lookupById('trx_1/../create');
    expect(http.requests[0]?.url).toBe('https://api.druo.test/payouts/trx_1%2F..%2Fcreate');
  });

  it('lists by primary_reference with GET /payouts?primary_reference=…', async () => {
    const http = fakeHttp(json(200, { payouts: [] }));
    await createDruoAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout());
    const url = new URL(http.requests[0]?.url ?? '');
    expect(http.requests[0]?.method).toBe('GET');
    expect(url.origin + url.pathname).toBe('https://api.druo.test/payouts');
    expect([...url.searchParams]).toEqual([['primary_reference', OUR_PAYOUT_ID]]);
    expect(http.requests[0]?.headers).toMatchObject(HEADERS);
  });
});
