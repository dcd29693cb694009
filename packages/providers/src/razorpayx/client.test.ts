import { describe, expect, it } from 'vitest';
import {
  fakeHttp,
  json,
  OUR_PAYOUT_ID,
  PAGE_IDEMPOTENCY_KEY,
  PAGE_REQUEST_BODY,
  pagePayout,
  pageResponse,
  TEST_CONFIG,
} from '../../test/razorpayx/fixtures.ts';
import { createRazorpayxAdapter } from './adapter.ts';

const BASIC = `Basic ${Buffer.from('rzp_test_key:rzp_test_secret').toString('base64')}`;

describe('RazorpayX requests on the wire', () => {
  it("submits the page's request with Basic auth, JSON and the idempotency key", async () => {
    const http = fakeHttp(json(200, pageResponse()));
    await createRazorpayxAdapter({ ...TEST_CONFIG, http }).submit(pagePayout());

    const [req] = http.requests;
    expect(req?.method).toBe('POST');
    // The configured base URL has a trailing slash: it must not double up.
    expect(req?.url).toBe('https://api.razorpay.test/v1/payouts');
    expect(req?.headers).toMatchObject({
      Authorization: BASIC,
      'Content-Type': 'application/json',
      'X-Payout-Idempotency': PAGE_IDEMPOTENCY_KEY,
    });
    const page = JSON.parse(PAGE_REQUEST_BODY);
    expect(JSON.parse(req?.body ?? '')).toEqual({ ...page, notes: { ...page.notes, payout_id: OUR_PAYOUT_ID } });
  });

  it('sends the same idempotency key and the same body on every submit of one payout', async () => {
    const http = fakeHttp(json(200, pageResponse()), json(200, pageResponse()));
    const adapter = createRazorpayxAdapter({ ...TEST_CONFIG, http });
    await adapter.submit(pagePayout());
    await adapter.submit(pagePayout());

    const [first, second] = http.requests;
    expect(first?.headers?.['X-Payout-Idempotency']).toBe(PAGE_IDEMPOTENCY_KEY);
    expect(second?.headers?.['X-Payout-Idempotency']).toBe(first?.headers?.['X-Payout-Idempotency']);
    expect(second?.headers?.Authorization).toBe(BASIC);
    // RazorpayX refuses a reused key with a different body: a retry must be byte-identical.
    expect(second?.body).toBe(first?.body);
  });

  it('refuses to send an idempotency key RazorpayX would reject (a bug, never a new key)', async () => {
    const http = fakeHttp();
    const adapter = createRazorpayxAdapter({ ...TEST_CONFIG, http });
    await expect(adapter.submit(pagePayout({ idempotencyKey: 'k' }))).rejects.toThrow(RangeError);
    expect(http.requests).toHaveLength(0);
  });

  it('looks a payout up by id with GET /v1/payouts/:id', async () => {
    const http = fakeHttp(json(200, pageResponse()));
    await createRazorpayxAdapter({ ...TEST_CONFIG, http }).lookupById('pout_00000000000001');
    expect(http.requests[0]).toMatchObject({
      method: 'GET',
      url: 'https://api.razorpay.test/v1/payouts/pout_00000000000001',
      headers: { Authorization: BASIC },
    });
    expect(http.requests[0]?.body).toBeUndefined();
  });

  it('escapes the id in the path', async () => {
    const http = fakeHttp(json(200, pageResponse()));
    await createRazorpayxAdapter({ ...TEST_CONFIG, http }).lookupById('pout_1/../../v1/balance');
    expect(http.requests[0]?.url).toBe('https://api.razorpay.test/v1/payouts/pout_1%2F..%2F..%2Fv1%2Fbalance');
  });

  it('lists by account number and reference with GET /v1/payouts?…', async () => {
    const http = fakeHttp(json(200, { entity: 'collection', count: 0, items: [] }));
    await createRazorpayxAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout());
    const url = new URL(http.requests[0]?.url ?? '');
    expect(http.requests[0]?.method).toBe('GET');
    expect(url.pathname).toBe('/v1/payouts');
    expect(url.searchParams.get('account_number')).toBe('7878780080316316');
    expect(url.searchParams.get('reference_id')).toBe('Acme Transaction ID 12345');
    expect(http.requests[0]?.headers?.Authorization).toBe(BASIC);
  });

  it('cancels with POST /v1/payouts/:id/cancel', async () => {
    const http = fakeHttp(json(200, pageResponse({ status: 'cancelled' })));
    const state = await createRazorpayxAdapter({ ...TEST_CONFIG, http }).cancel('pout_00000000000001');
    expect(http.requests[0]).toMatchObject({
      method: 'POST',
      url: 'https://api.razorpay.test/v1/payouts/pout_00000000000001/cancel',
      headers: { Authorization: BASIC },
    });
    expect(state.outcome).toBe('cancelled');
  });
});
