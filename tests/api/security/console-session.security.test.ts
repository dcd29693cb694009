import { must, waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, startTestSystem, type TestSystem } from '../../support/system.ts';
import { createFixture, expectProblem, type Fixture, stuckBeneficiary } from './harness.ts';

/**
 * Console sessions (apps/api/src/console-session.ts): a key exchanged for an HttpOnly,
 * SameSite=Strict cookie that acts exactly as the key on every /v1 route — its tenant, its role,
 * nothing more — whose writes need the session's CSRF token and this host's Origin, and which ends
 * on sign-out, on expiry and when its key is revoked.
 */
let fixture: Fixture;
beforeAll(async () => {
  fixture = await createFixture();
});
afterAll(async () => {
  await fixture?.system.stop();
});

interface Session {
  cookie: string;
  csrf: string;
  setCookie: string;
  // biome-ignore lint/suspicious/noExplicitAny: a response body under test
  body: any;
}

async function signIn(system: TestSystem, key: string): Promise<Session> {
  const res = await client(system.api.url)('POST', '/v1/console/session', { api_key: key });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const setCookie = must(res.headers.get('set-cookie'), 'the session cookie');
  const cookie = must(/^(payouts_console=[^;]+)/.exec(setCookie)?.[1], 'the cookie pair');
  return { cookie, csrf: res.body.csrf_token, setCookie, body: res.body };
}

/** A client that sends only the session cookie (and the CSRF token and Origin when given). */
function withSession(system: TestSystem, session: Session, extra: Record<string, string> = {}) {
  const call = client(system.api.url);
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(method, path, body, { cookie: session.cookie, ...extra, ...headers });
}

const origin = (system: TestSystem) => ({ origin: system.api.url });

describe('console sessions', () => {
  test('signing in sets an HttpOnly, SameSite=Strict, short-lived cookie; the key is nowhere in the answer', async () => {
    const f = fixture;
    const s = await signIn(f.system, f.a.key);
    expect(s.setCookie).toMatch(/; HttpOnly/);
    expect(s.setCookie).toMatch(/; SameSite=Strict/);
    expect(s.setCookie).toMatch(/; Path=\/v1;/);
    expect(s.setCookie).toMatch(/; Max-Age=1800/);
    expect(s.setCookie).not.toContain(f.a.key);
    expect(JSON.stringify(s.body)).not.toContain(f.a.key);
    expect(s.body).toMatchObject({
      object: 'console_session',
      role: 'tenant',
      tenant_id: f.a.id,
      tenant_role: 'admin',
    });
    const me = await withSession(f.system, s)('GET', '/v1/console/session');
    expect(me.status).toBe(200);
    expect(me.body.csrf_token).toBe(s.csrf);
  });

  test('an unknown or revoked key gets no session; a bad body is named', async () => {
    const f = fixture;
    const anon = client(f.system.api.url);
    for (const key of ['sk_test_notakey0000000000000000000000', f.revokedTenantKey, f.revokedOperatorKey]) {
      const res = await anon('POST', '/v1/console/session', { api_key: key });
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    // Another site's page cannot sign a visitor in to a session of its choosing.
    const elsewhere = await anon(
      'POST',
      '/v1/console/session',
      { api_key: f.a.key },
      { origin: 'https://evil.example' },
    );
    expectProblem(elsewhere, 403, 'csrf_failed');
    expect(elsewhere.headers.get('set-cookie')).toBeNull();
    expect((await anon('POST', '/v1/console/session', { api_key: f.a.key }, { origin: f.system.api.url })).status).toBe(
      201,
    );
    const bad = await anon('POST', '/v1/console/session', { key: f.a.key });
    expectProblem(bad, 422, 'validation_failed');
    expectProblem(
      await anon('POST', '/v1/console/session', `api_key=${f.a.key}`, { 'content-type': 'text/plain' }),
      415,
    );
    expectProblem(await anon('GET', '/v1/console/session'), 401, 'unauthorized');
    expectProblem(await anon('GET', '/v1/console/session', undefined, { cookie: 'payouts_console=forged' }), 401);
  });

  test("a tenant session reads its own tenant's data, 404s another tenant's payout, and is refused operator routes", async () => {
    const f = fixture;
    const asA = withSession(f.system, await signIn(f.system, f.a.key));
    const asB = withSession(f.system, await signIn(f.system, f.b.key));
    expect((await asA('GET', `/v1/payouts/${f.payoutId}`)).status).toBe(200);
    expect((await asA('GET', `/v1/payouts/${f.payoutId}/events`)).status).toBe(200);
    expect((await asA('GET', '/v1/balances')).status).toBe(200);
    expectProblem(await asB('GET', `/v1/payouts/${f.payoutId}`), 404, 'not_found');
    expectProblem(await asB('GET', `/v1/payout-batches/${f.batchId}`), 404, 'not_found');
    expectProblem(await asA('GET', '/v1/admin/dead-letters'), 403, 'forbidden');
    expectProblem(await asA('GET', '/v1/admin/tenants'), 403, 'forbidden');
  });

  test("a session has exactly its key's role: a viewer's session cannot create or cancel", async () => {
    const f = fixture;
    const s = await signIn(f.system, f.roleKeys.viewer);
    expect(s.body.tenant_role).toBe('viewer');
    const asViewer = withSession(f.system, s, { 'x-csrf-token': s.csrf, ...origin(f.system) });
    expect((await asViewer('GET', '/v1/payouts')).status).toBe(200);
    expectProblem(
      await asViewer('POST', `/v1/payouts/${f.payoutId}/cancel`, undefined, { 'idempotency-key': 'viewer-cancel' }),
      403,
      'role_forbidden',
    );
  });

  test('an operator session reaches operator routes and not tenant routes', async () => {
    const f = fixture;
    const s = await signIn(f.system, f.system.operatorKey);
    expect(s.body).toMatchObject({ role: 'operator', tenant_id: null, tenant_role: null });
    const asOp = withSession(f.system, s);
    expect((await asOp('GET', '/v1/admin/dead-letters')).status).toBe(200);
    expect((await asOp('GET', '/v1/admin/tenants')).status).toBe(200);
    expectProblem(await asOp('GET', '/v1/payouts'), 403, 'forbidden');
  });

  test('a write made with a session needs its CSRF token and this Origin; nothing is written without them', async () => {
    const f = fixture;
    const s = await signIn(f.system, f.a.key);
    const asA = withSession(f.system, s);
    const payout = { amount: 1000, currency: 'INR', method: 'IMPS', purpose: 'payout', beneficiary: stuckBeneficiary };
    const count = async () => (await asA('GET', '/v1/payouts?limit=100')).body.data.length;
    const before = await count();
    const noToken = await asA('POST', '/v1/payouts', payout, { 'idempotency-key': 'csrf-1', ...origin(f.system) });
    expectProblem(noToken, 403, 'csrf_failed');
    expect(noToken.body.errors).toEqual([{ field: 'X-CSRF-Token', message: expect.any(String) }]);
    const wrongToken = await asA('POST', '/v1/payouts', payout, {
      'idempotency-key': 'csrf-2',
      'x-csrf-token': `${s.csrf.slice(0, -1)}x`,
    });
    expectProblem(wrongToken, 403, 'csrf_failed');
    const otherOrigin = await asA('POST', '/v1/payouts', payout, {
      'idempotency-key': 'csrf-3',
      'x-csrf-token': s.csrf,
      origin: 'https://evil.example',
    });
    expectProblem(otherOrigin, 403, 'csrf_failed');
    expect(otherOrigin.body.errors).toEqual([{ field: 'Origin', message: expect.any(String) }]);
    // Another session's token is no good either.
    const other = await signIn(f.system, f.a.key);
    expectProblem(
      await asA('POST', '/v1/payouts', payout, { 'idempotency-key': 'csrf-4', 'x-csrf-token': other.csrf }),
      403,
      'csrf_failed',
    );
    expect(await count()).toBe(before);
    const ok = await asA('POST', '/v1/payouts', payout, {
      'idempotency-key': 'csrf-5',
      'x-csrf-token': s.csrf,
      ...origin(f.system),
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    expect(await count()).toBe(before + 1);
  });

  test('an Authorization header wins over the cookie: a bad key with a good cookie is a 401', async () => {
    const f = fixture;
    const s = await signIn(f.system, f.a.key);
    const res = await client(f.system.api.url, 'sk_test_notakey0000000000000000000000')(
      'GET',
      '/v1/balances',
      undefined,
      {
        cookie: s.cookie,
      },
    );
    expectProblem(res, 401, 'unauthorized');
  });

  test('signing out ends the session (with its CSRF token only) and clears the cookie', async () => {
    const f = fixture;
    const s = await signIn(f.system, f.a.key);
    const asA = withSession(f.system, s);
    expectProblem(await asA('DELETE', '/v1/console/session'), 403, 'csrf_failed');
    expect((await asA('GET', '/v1/balances')).status).toBe(200);
    const out = await asA('DELETE', '/v1/console/session', undefined, { 'x-csrf-token': s.csrf });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^payouts_console=; .*Max-Age=0/);
    expectProblem(await asA('GET', '/v1/balances'), 401, 'unauthorized');
    expectProblem(await asA('GET', '/v1/console/session'), 401, 'unauthorized');
    // Signing out again is done, not an error.
    expect((await asA('DELETE', '/v1/console/session')).status).toBe(204);
  });

  test("revoking the session's key ends the session at once", async () => {
    const f = fixture;
    const op = client(f.system.api.url, f.system.operatorKey);
    const issued = await op('POST', `/v1/admin/tenants/${f.a.id}/api-keys`, { label: 'console revoke' });
    const s = await signIn(f.system, issued.body.key);
    const asA = withSession(f.system, s);
    expect((await asA('GET', '/v1/balances')).status).toBe(200);
    expect((await op('POST', `/v1/admin/api-keys/${issued.body.id}/revoke`)).status).toBe(200);
    expectProblem(await asA('GET', '/v1/balances'), 401, 'unauthorized');
    expectProblem(await asA('GET', '/v1/console/session'), 401, 'unauthorized');
  });

  test("a signing tenant's key cannot open a session, and its sessions end (they would act unsigned)", async () => {
    const f = fixture;
    const op = client(f.system.api.url, f.system.operatorKey);
    const tenant = await op('POST', '/v1/admin/tenants', { name: 'signer' }, { 'idempotency-key': 'console-signer' });
    const key = await op('POST', `/v1/admin/tenants/${tenant.body.id}/api-keys`, {});
    expect((await op('POST', `/v1/admin/tenants/${tenant.body.id}/request-signing`, { enabled: true })).status).toBe(
      200,
    );
    expectProblem(
      await client(f.system.api.url)('POST', '/v1/console/session', { api_key: key.body.key }),
      403,
      'console_unavailable',
    );
  });
});

describe('console session expiry', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ env: { CONSOLE_SESSION_TTL_SECONDS: '1' } });
  });
  afterAll(async () => {
    await system?.stop();
  });

  test('a session ends by itself after CONSOLE_SESSION_TTL_SECONDS', async () => {
    const s = await signIn(system, system.operatorKey);
    expect(s.setCookie).toMatch(/; Max-Age=1(;|$)/);
    const asOp = withSession(system, s);
    await waitFor(async () => (await asOp('GET', '/v1/admin/tenants')).status === 401, {
      message: 'the session to expire',
    });
    expectProblem(await asOp('GET', '/v1/console/session'), 401, 'unauthorized');
  });
});
