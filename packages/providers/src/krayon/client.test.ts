import { describe, expect, it } from 'vitest';
import {
  expectedPageRequest,
  fakeHttp,
  json,
  PAGE_PAYOUT_ID,
  pagePayout,
  pageResponse,
  TEST_CONFIG,
} from '../../test/krayon/fixtures.ts';
import { createKrayonAdapter } from './adapter.ts';

const BEARER = 'Bearer krayon_test_token';

describe('Krayon requests on the wire', () => {
  it("submits the page's request to /main/api/v1/deposits with the page's headers", async () => {
    const http = fakeHttp(json(200, pageResponse()));
    await createKrayonAdapter({ ...TEST_CONFIG, http }).submit(pagePayout());

    const [req] = http.requests;
    expect(req?.method).toBe('POST');
    // The configured base URL has a trailing slash: it must not double up.
    expect(req?.url).toBe('https://api.aqua.test.krayondigital.com/main/api/v1/deposits');
    expect(req?.headers).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      Authorization: BEARER,
    });
    expect(JSON.parse(req?.body ?? '')).toEqual(expectedPageRequest());
  });

  it('keeps a base URL path prefix, as the sandbox mount needs', async () => {
    const http = fakeHttp(json(200, pageResponse()));
    await createKrayonAdapter({ ...TEST_CONFIG, baseUrl: 'http://127.0.0.1:3100/krayon', http }).submit(pagePayout());
    expect(http.requests[0]?.url).toBe('http://127.0.0.1:3100/krayon/main/api/v1/deposits');
  });

  it('sends no idempotency header (Krayon documents none): the same body on every submit', async () => {
    const http = fakeHttp(json(200, pageResponse()), json(200, pageResponse()));
    const adapter = createKrayonAdapter({ ...TEST_CONFIG, http });
    await adapter.submit(pagePayout());
    await adapter.submit(pagePayout());
    const [first, second] = http.requests;
    expect(Object.keys(first?.headers ?? {}).sort()).toEqual(['Authorization', 'accept', 'content-type']);
    expect(second?.body).toBe(first?.body);
  });

  it('looks a withdrawal up by id with GET /main/api/v1/deposits/:id', async () => {
    const http = fakeHttp(json(200, pageResponse()));
    await createKrayonAdapter({ ...TEST_CONFIG, http }).lookupById('9a2c4a6b0d98486fbddb405ed7cbdaad');
    expect(http.requests[0]).toMatchObject({
      method: 'GET',
      url: 'https://api.aqua.test.krayondigital.com/main/api/v1/deposits/9a2c4a6b0d98486fbddb405ed7cbdaad',
      headers: { Authorization: BEARER, accept: 'application/json' },
    });
    expect(http.requests[0]?.body).toBeUndefined();
    expect(http.requests[0]?.headers).not.toHaveProperty('content-type');
  });

  it('escapes the id in the path', async () => {
    const http = fakeHttp(json(200, pageResponse()));
    await createKrayonAdapter({ ...TEST_CONFIG, http }).lookupById('a/../../balance');
    expect(http.requests[0]?.url).toBe(
      'https://api.aqua.test.krayondigital.com/main/api/v1/deposits/a%2F..%2F..%2Fbalance',
    );
  });

  it('looks up by our payout id with GET /main/api/v1/deposits?reference_id=…', async () => {
    const http = fakeHttp(json(200, { data: [] }));
    await createKrayonAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout({ referenceId: 'client-ref' }));
    const url = new URL(http.requests[0]?.url ?? '');
    expect(http.requests[0]?.method).toBe('GET');
    expect(url.pathname).toBe('/main/api/v1/deposits');
    expect([...url.searchParams]).toEqual([['reference_id', PAGE_PAYOUT_ID]]);
    expect(http.requests[0]?.headers?.Authorization).toBe(BEARER);
  });
});
