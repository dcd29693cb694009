import { ensureOperatorKey, hashApiKey } from '@payouts/api';
import {
  apiKeys,
  beneficiaries,
  beneficiaryVersions,
  idempotencyKeys,
  operatorActions,
  payoutBatches,
  tenants,
  webhookEndpoints,
} from '@payouts/db';
import { must, waitFor } from '@payouts/testing';
import { eq, sql } from 'drizzle-orm';
import { expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../../support/system.ts';

/**
 * Route-by-route security (issue: security of the API). Every route of the API is in `ROUTES`
 * with who may call it; `routes.security.test.ts` fails when the app has a route this list lacks,
 * so a new route cannot ship without its security tests. Each `*.security.test.ts` runs the same
 * checks over its routes: no key → 401, a revoked key → 401, the wrong kind of key → 403, and
 * another tenant's resource → 404 (never 403, which would confirm it exists).
 */
export type Access = 'tenant' | 'operator' | 'public' | 'provider';
export type KeyRole = 'admin' | 'maker' | 'approver' | 'viewer';
export const KEY_ROLES: readonly KeyRole[] = ['admin', 'maker', 'approver', 'viewer'];
/** Who may use a tenant route, by the role of the key (written here, not read from the app). */
const READ: KeyRole[] = ['admin', 'maker', 'approver', 'viewer'];
const MAKE: KeyRole[] = ['admin', 'maker'];
const ADMIN: KeyRole[] = ['admin'];
const APPROVE: KeyRole[] = ['admin', 'approver'];
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Express path; `:id` and friends are filled from the fixture. */
  path: string;
  access: Access;
  /** For a tenant route: the key roles that may use it; every other role gets 403 `role_forbidden`. */
  roles?: KeyRole[];
  /** A body that would be accepted, so only the key decides the answer. */
  body?: (f: Fixture) => unknown;
  /** The security test file that covers it. */
  file: string;
}

export const ROUTES: RouteSpec[] = [
  // payouts.security.test.ts
  { method: 'POST', path: '/v1/payouts', access: 'tenant', roles: MAKE, body: () => inrPayout(), file: 'payouts' },
  { method: 'GET', path: '/v1/payouts', access: 'tenant', roles: READ, file: 'payouts' },
  { method: 'GET', path: '/v1/payouts/export.csv', access: 'tenant', roles: READ, file: 'payouts' },
  { method: 'GET', path: '/v1/payouts/:id', access: 'tenant', roles: READ, file: 'payouts' },
  { method: 'GET', path: '/v1/payouts/:id/events', access: 'tenant', roles: READ, file: 'payouts' },
  { method: 'POST', path: '/v1/payouts/:id/cancel', access: 'tenant', roles: MAKE, file: 'payouts' },
  // batches.security.test.ts
  {
    method: 'POST',
    path: '/v1/payout-batches',
    access: 'tenant',
    roles: MAKE,
    body: () => ({ items: [inrPayout()] }),
    file: 'batches',
  },
  { method: 'GET', path: '/v1/payout-batches/:id', access: 'tenant', roles: READ, file: 'batches' },
  { method: 'GET', path: '/v1/payout-batches/:id/payouts', access: 'tenant', roles: READ, file: 'batches' },
  { method: 'GET', path: '/v1/payout-batches/:id/results.csv', access: 'tenant', roles: READ, file: 'batches' },
  // beneficiaries.security.test.ts
  {
    method: 'POST',
    path: '/v1/beneficiaries',
    access: 'tenant',
    roles: MAKE,
    body: () => savedBeneficiary(),
    file: 'beneficiaries',
  },
  { method: 'GET', path: '/v1/beneficiaries', access: 'tenant', roles: READ, file: 'beneficiaries' },
  { method: 'GET', path: '/v1/beneficiaries/:id', access: 'tenant', roles: READ, file: 'beneficiaries' },
  { method: 'GET', path: '/v1/beneficiaries/:id/versions', access: 'tenant', roles: READ, file: 'beneficiaries' },
  {
    method: 'PATCH',
    path: '/v1/beneficiaries/:id',
    access: 'tenant',
    roles: MAKE,
    body: () => ({ email: 'asha@example.com' }),
    file: 'beneficiaries',
  },
  { method: 'DELETE', path: '/v1/beneficiaries/:id', access: 'tenant', roles: MAKE, file: 'beneficiaries' },
  // settings.security.test.ts
  { method: 'GET', path: '/v1/settings', access: 'tenant', roles: READ, file: 'settings' },
  { method: 'PATCH', path: '/v1/settings', access: 'tenant', roles: ADMIN, body: () => ({}), file: 'settings' },
  // approvals.security.test.ts
  { method: 'GET', path: '/v1/approval-policy', access: 'tenant', roles: ADMIN, file: 'approvals' },
  {
    method: 'PUT',
    path: '/v1/approval-policy',
    access: 'tenant',
    roles: ADMIN,
    body: () => ({ rules: [] }),
    file: 'approvals',
  },
  { method: 'GET', path: '/v1/approvals', access: 'tenant', roles: READ, file: 'approvals' },
  // routing-rules.security.test.ts
  { method: 'GET', path: '/v1/routing-rules', access: 'tenant', roles: ADMIN, file: 'routing-rules' },
  {
    method: 'PUT',
    path: '/v1/routing-rules',
    access: 'tenant',
    roles: ADMIN,
    body: () => ({ rules: [] }),
    file: 'routing-rules',
  },
  { method: 'POST', path: '/v1/payouts/:id/approve', access: 'tenant', roles: APPROVE, file: 'approvals' },
  {
    method: 'POST',
    path: '/v1/payouts/:id/reject',
    access: 'tenant',
    roles: APPROVE,
    body: () => ({ reason: 'not this one' }),
    file: 'approvals',
  },
  { method: 'POST', path: '/v1/payout-batches/:id/approve', access: 'tenant', roles: APPROVE, file: 'approvals' },
  {
    method: 'POST',
    path: '/v1/payout-batches/:id/reject',
    access: 'tenant',
    roles: APPROVE,
    body: () => ({ reason: 'not this run' }),
    file: 'approvals',
  },
  // balances.security.test.ts
  { method: 'GET', path: '/v1/balances', access: 'tenant', roles: READ, file: 'balances' },
  // admin.security.test.ts
  { method: 'POST', path: '/v1/admin/tenants', access: 'operator', body: () => ({ name: 'x' }), file: 'admin' },
  { method: 'GET', path: '/v1/admin/tenants', access: 'operator', file: 'admin' },
  { method: 'POST', path: '/v1/admin/tenants/:id/api-keys', access: 'operator', body: () => ({}), file: 'admin' },
  { method: 'GET', path: '/v1/admin/tenants/:id/api-keys', access: 'operator', file: 'admin' },
  { method: 'POST', path: '/v1/admin/api-keys/:id/revoke', access: 'operator', file: 'admin' },
  {
    method: 'POST',
    path: '/v1/admin/tenants/:id/request-signing',
    access: 'operator',
    body: () => ({ enabled: false }),
    file: 'admin',
  },
  {
    method: 'POST',
    path: '/v1/admin/tenants/:id/fundings',
    access: 'operator',
    body: () => ({ currency: 'INR', amount: 100, reference: 'sec-test' }),
    file: 'admin',
  },
  { method: 'GET', path: '/v1/admin/tenants/:id/payouts', access: 'operator', file: 'admin' },
  { method: 'GET', path: '/v1/admin/tenants/:id/balances', access: 'operator', file: 'admin' },
  { method: 'GET', path: '/v1/admin/ledger/verify', access: 'operator', file: 'admin' },
  { method: 'GET', path: '/v1/admin/audit/verify', access: 'operator', file: 'admin' },
  // operations.security.test.ts
  { method: 'GET', path: '/v1/admin/dead-letters', access: 'operator', file: 'operations' },
  { method: 'GET', path: '/v1/admin/payouts/:id', access: 'operator', file: 'operations' },
  { method: 'GET', path: '/v1/admin/payouts/:id/events', access: 'operator', file: 'operations' },
  { method: 'POST', path: '/v1/admin/payouts/:id/replay', access: 'operator', file: 'operations' },
  {
    method: 'POST',
    path: '/v1/admin/replays',
    access: 'operator',
    body: () => ({ all: true, dry_run: true }),
    file: 'operations',
  },
  { method: 'POST', path: '/v1/admin/replays/:id/approve', access: 'operator', file: 'operations' },
  { method: 'POST', path: '/v1/admin/payouts/:id/cancel', access: 'operator', file: 'operations' },
  { method: 'POST', path: '/v1/admin/providers/:provider/funded', access: 'operator', file: 'operations' },
  { method: 'GET', path: '/v1/admin/operator-actions', access: 'operator', file: 'operations' },
  { method: 'POST', path: '/v1/admin/payouts/:id/resolve', access: 'operator', file: 'outages' },
  {
    method: 'POST',
    path: '/v1/admin/providers/:provider/downtime',
    access: 'operator',
    file: 'outages',
    body: () => ({ modes: ['IMPS'], starts_at: '2030-01-01T00:00:00Z', ends_at: '2030-01-01T01:00:00Z' }),
  },
  { method: 'GET', path: '/v1/admin/providers', access: 'operator', file: 'outages' },
  { method: 'GET', path: '/v1/admin/providers/:provider/downtimes', access: 'operator', file: 'outages' },
  { method: 'POST', path: '/v1/admin/providers/:provider/downtimes/:id/end', access: 'operator', file: 'outages' },
  // webhook-endpoints.security.test.ts
  {
    method: 'POST',
    path: '/v1/webhook-endpoints',
    access: 'tenant',
    roles: ADMIN,
    body: () => ({ url: 'https://example.com/hooks/sec' }),
    file: 'webhook-endpoints',
  },
  { method: 'GET', path: '/v1/webhook-endpoints', access: 'tenant', roles: ADMIN, file: 'webhook-endpoints' },
  { method: 'GET', path: '/v1/webhook-endpoints/:id', access: 'tenant', roles: ADMIN, file: 'webhook-endpoints' },
  {
    method: 'PATCH',
    path: '/v1/webhook-endpoints/:id',
    access: 'tenant',
    roles: ADMIN,
    body: () => ({ description: 'changed' }),
    file: 'webhook-endpoints',
  },
  { method: 'DELETE', path: '/v1/webhook-endpoints/:id', access: 'tenant', roles: ADMIN, file: 'webhook-endpoints' },
  {
    method: 'POST',
    path: '/v1/webhook-endpoints/:id/rotate-secret',
    access: 'tenant',
    roles: ADMIN,
    body: () => ({ expires_in_seconds: 0 }),
    file: 'webhook-endpoints',
  },
  {
    method: 'GET',
    path: '/v1/webhook-endpoints/:id/deliveries',
    access: 'tenant',
    roles: ADMIN,
    file: 'webhook-endpoints',
  },
  { method: 'GET', path: '/v1/admin/webhook-deliveries', access: 'operator', file: 'webhook-endpoints' },
  { method: 'POST', path: '/v1/admin/webhook-deliveries/:id/replay', access: 'operator', file: 'webhook-endpoints' },
  // console-session.security.test.ts: signing in takes a key in the body; the others a session cookie.
  { method: 'POST', path: '/v1/console/session', access: 'public', file: 'console-session' },
  { method: 'GET', path: '/v1/console/session', access: 'public', file: 'console-session' },
  { method: 'DELETE', path: '/v1/console/session', access: 'public', file: 'console-session' },
  // reconciliations.security.test.ts
  {
    method: 'POST',
    path: '/v1/admin/reconciliations',
    access: 'operator',
    body: () => ({ provider: 'razorpayx', from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }),
    file: 'reconciliations',
  },
  { method: 'GET', path: '/v1/admin/reconciliations', access: 'operator', file: 'reconciliations' },
  { method: 'GET', path: '/v1/admin/reconciliations/:id', access: 'operator', file: 'reconciliations' },
  { method: 'GET', path: '/v1/admin/reconciliations/:id/items', access: 'operator', file: 'reconciliations' },
  { method: 'GET', path: '/v1/admin/reconciliations/:id/items.csv', access: 'operator', file: 'reconciliations' },
  {
    method: 'POST',
    path: '/v1/admin/reconciliations/:id/items/:item_id/resolve',
    access: 'operator',
    body: () => ({ note: 'checked' }),
    file: 'reconciliations',
  },
  // Provider webhooks authenticate by the provider's signature (tests/e2e/webhooks.test.ts).
  { method: 'POST', path: '/v1/webhooks/:provider', access: 'provider', file: 'provider webhooks' },
];

export interface Fixture {
  system: TestSystem;
  a: Awaited<ReturnType<typeof createFundedTenant>>;
  b: Awaited<ReturnType<typeof createFundedTenant>>;
  /** A's payout, batch and webhook endpoint: what B must not see. */
  payoutId: string;
  batchId: string;
  endpointId: string;
  /** A's saved beneficiary. */
  beneficiaryId: string;
  /** A key of A's, then revoked; and a second operator key, revoked. */
  revokedTenantKey: string;
  revokedOperatorKey: string;
  /** A key of A's, not revoked, used only to revoke it from the admin route under test. */
  spareKeyId: string;
  /** A's keys by role (`admin` is `a.key`, issued without a role). */
  roleKeys: Record<KeyRole, string>;
}

export async function createFixture(): Promise<Fixture> {
  const system = await startTestSystem();
  const op = client(system.api.url, system.operatorKey);
  const a = await createFundedTenant(system, 'sec-a');
  const b = await createFundedTenant(system, 'sec-b');
  // The account ends in 0003: it stays in progress, so it can be cancelled and replayed.
  const payout = await a.api('POST', '/v1/payouts', inrPayout({ beneficiary: stuckBeneficiary }), {
    'idempotency-key': 'sec-payout',
  });
  expect(payout.status).toBe(202);
  // Past acceptance (its hold placed), so operator routes see a payout that is in flight.
  await waitFor(async () => (await a.api('GET', `/v1/payouts/${payout.body.id}`)).body.status !== 'accepted', {
    message: 'the payout to move past accepted',
  });
  const batch = await a.api(
    'POST',
    '/v1/payout-batches',
    { items: [inrPayout({ reference_id: 'sec-batch-1' })] },
    {
      'idempotency-key': 'sec-batch',
    },
  );
  expect(batch.status).toBe(202);

  const endpoint = await a.api(
    'POST',
    '/v1/webhook-endpoints',
    { url: 'https://example.com/hooks/a' },
    {
      'idempotency-key': 'sec-endpoint',
    },
  );
  expect(endpoint.status).toBe(201);

  const beneficiary = await a.api('POST', '/v1/beneficiaries', savedBeneficiary(), {
    'idempotency-key': 'sec-beneficiary',
  });
  expect(beneficiary.status).toBe(201);

  const revokedTenant = await op('POST', `/v1/admin/tenants/${a.id}/api-keys`, {});
  expect((await op('POST', `/v1/admin/api-keys/${revokedTenant.body.id}/revoke`)).status).toBe(200);
  const spare = await op('POST', `/v1/admin/tenants/${a.id}/api-keys`, {});
  const roleKeys: Record<KeyRole, string> = { admin: a.key, maker: '', approver: '', viewer: '' };
  for (const role of ['maker', 'approver', 'viewer'] as const) {
    const issued = await op('POST', `/v1/admin/tenants/${a.id}/api-keys`, { role, label: `sec ${role}` });
    expect(issued.body).toMatchObject({ role, label: `sec ${role}` });
    roleKeys[role] = issued.body.key;
  }

  // A second operator key, as an operator would add one (stored hashed), then revoked.
  const revokedOperatorKey = 'op_revoked_key_0123456789abcdef';
  await ensureOperatorKey(system.db.db, revokedOperatorKey);
  const opRow = must(
    (
      await system.db.db
        .select()
        .from(apiKeys)
        .where(eq(apiKeys.hash, hashApiKey(revokedOperatorKey)))
    )[0],
    'the second operator key',
  );
  expect((await op('POST', `/v1/admin/api-keys/${opRow.id}/revoke`)).status).toBe(200);

  return {
    system,
    a,
    b,
    payoutId: payout.body.id,
    batchId: batch.body.id,
    endpointId: endpoint.body.id,
    beneficiaryId: beneficiary.body.id,
    revokedTenantKey: revokedTenant.body.key,
    revokedOperatorKey,
    spareKeyId: spare.body.id,
    roleKeys,
  };
}

/** What a route that acted would have changed: keys, secrets, signing, creations, the audit log. */
async function snapshot(f: Fixture) {
  const db = f.system.db.db;
  const count = async (
    table: typeof operatorActions | typeof idempotencyKeys | typeof payoutBatches | typeof beneficiaryVersions,
  ) => must((await db.select({ n: sql<number>`count(*)::int` }).from(table))[0], 'a count').n;
  return {
    actions: await count(operatorActions),
    idempotency: await count(idempotencyKeys),
    batches: await count(payoutBatches),
    beneficiaries: await db.select().from(beneficiaries).orderBy(beneficiaries.id),
    beneficiaryVersions: await count(beneficiaryVersions),
    keys: await db.select({ id: apiKeys.id, revokedAt: apiKeys.revokedAt }).from(apiKeys).orderBy(apiKeys.id),
    // What a route may change; not the deliverer's own bookkeeping (failures, circuit, last claim),
    // which moves in the background as it tries the fixture's endpoint.
    endpoints: (await db.select().from(webhookEndpoints).orderBy(webhookEndpoints.id)).map(
      ({ consecutiveFailures: _failures, circuitOpenUntil: _circuit, lastClaimedAt: _claimed, ...rest }) => rest,
    ),
    signing: await db
      .select({
        id: tenants.id,
        secret: tenants.requestSigningSecret,
        guard: tenants.duplicateReferenceGuard,
        coolingOff: tenants.beneficiaryCoolingOffHours,
      })
      .from(tenants)
      .orderBy(tenants.id),
  };
}

/** A saved beneficiary's body, as a payroll team would save an employee. */
export function savedBeneficiary(overrides: Record<string, unknown> = {}) {
  return {
    type: 'employee',
    name: 'Asha Rao',
    email: 'asha@example.com',
    bank_account: { account_number: '123456789012', bank_code: 'HDFC0001234' },
    reference_id: 'emp-1',
    ...overrides,
  };
}

export const stuckBeneficiary = { name: 'Asha Rao', account_number: '555566660003', bank_code: 'HDFC0001234' };

/** The route's path with A's ids in it. */
export function pathFor(route: RouteSpec, f: Fixture): string {
  return route.path
    .replace(':id', () => {
      if (route.path.startsWith('/v1/payout-batches')) return f.batchId;
      if (route.path.startsWith('/v1/admin/tenants')) return f.a.id;
      if (route.path.startsWith('/v1/admin/api-keys')) return f.spareKeyId;
      if (route.path.startsWith('/v1/webhook-endpoints')) return f.endpointId;
      if (route.path.startsWith('/v1/beneficiaries')) return f.beneficiaryId;
      if (route.path.startsWith('/v1/admin/webhook-deliveries')) return 'whd_01JDA8Z6B9Y4X3W2V1T0S9R8Q7';
      if (route.path.startsWith('/v1/admin/reconciliations')) return 'rcn_01JDA8Z6B9Y4X3W2V1T0S9R8Q7';
      return f.payoutId;
    })
    .replace(':item_id', 'rci_01JDA8Z6B9Y4X3W2V1T0S9R8Q7')
    .replace(':provider', 'razorpayx');
}

export async function call(f: Fixture, route: RouteSpec, key: string | undefined, n = 0) {
  const body = route.body?.(f);
  return client(f.system.api.url, key)(
    route.method,
    pathFor(route, f),
    body,
    route.method === 'POST' ? { 'idempotency-key': `sec-${route.path}-${n}-${Math.random()}` } : {},
  );
}

// biome-ignore lint/suspicious/noExplicitAny: a response body under test
export function expectProblem(res: { status: number; body: any; headers: Headers }, status: number, code?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (code) expect(res.body.code).toBe(code);
}

/**
 * The checks every route gets. `fixture()` is read inside each test (set in the file's beforeAll).
 * Routes that act on a resource must answer 404 to another tenant's key, exactly as for an id that
 * does not exist, and change nothing.
 */
export function securityChecks(file: string, fixture: () => Fixture): void {
  const routes = ROUTES.filter((r) => r.file === file);
  expect(routes.length).toBeGreaterThan(0);

  test.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: no key → 401', async (_n, route) => {
    const f = fixture();
    expectProblem(await call(f, route, undefined), 401, 'unauthorized');
    expectProblem(await call(f, route, 'sk_test_notakey0000000000000000000000'), 401, 'unauthorized');
  });

  test.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: a revoked key → 401, the same answer as an unknown key',
    async (_n, route) => {
      const f = fixture();
      const revoked = await call(f, route, route.access === 'operator' ? f.revokedOperatorKey : f.revokedTenantKey);
      const unknown = await call(f, route, 'sk_test_notakey0000000000000000000000');
      expectProblem(revoked, 401, 'unauthorized');
      expect(revoked.body.detail).toBe(unknown.body.detail);
    },
  );

  test.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: the other kind of key → 403',
    async (_n, route) => {
      const f = fixture();
      const wrong = route.access === 'operator' ? f.a.key : f.system.operatorKey;
      expectProblem(await call(f, route, wrong), 403, 'forbidden');
    },
  );

  const tenantRoutes = routes.filter((r) => r.access === 'tenant');
  const rolesOf = (r: RouteSpec) => must(r.roles, `${r.method} ${r.path}: which roles may use it`);
  for (const r of tenantRoutes) rolesOf(r);
  const narrowed = tenantRoutes.filter((r) => KEY_ROLES.some((role) => !rolesOf(r).includes(role)));
  if (narrowed.length > 0) {
    test.each(narrowed.map((r) => [`${r.method} ${r.path}`, r] as const))(
      '%s: a key whose role may not use it → 403 role_forbidden, and nothing changes',
      async (_n, route) => {
        const f = fixture();
        const refused = KEY_ROLES.filter((role) => !rolesOf(route).includes(role));
        const before = await snapshot(f);
        for (const role of refused) {
          const res = await call(f, route, f.roleKeys[role]);
          expectProblem(res, 403, 'role_forbidden');
          expect(res.body.detail).toContain(role);
        }
        expect(await snapshot(f)).toEqual(before);
      },
    );
  }
  // Admin keys are what every other check here uses; the narrower roles a route allows are checked here.
  const widened = tenantRoutes.filter((r) => r.roles?.some((role) => role !== 'admin'));
  if (widened.length > 0) {
    test.each(widened.map((r) => [`${r.method} ${r.path}`, r] as const))(
      '%s: a key of every role it allows gets past the role check',
      async (_n, route) => {
        const f = fixture();
        for (const role of rolesOf(route).filter((r) => r !== 'admin')) {
          const res = await call(f, route, f.roleKeys[role]);
          expect([401, 403], `${role}: ${JSON.stringify(res.body)}`).not.toContain(res.status);
        }
      },
    );
  }

  const withBody = routes.filter((r) => r.method !== 'GET' && (r.access === 'tenant' || r.access === 'operator'));
  if (withBody.length > 0) {
    test.each(withBody.map((r) => [`${r.method} ${r.path}`, r] as const))(
      '%s: a body that is not JSON → 415 naming Content-Type, and nothing changes',
      async (_n, route) => {
        const f = fixture();
        const key = route.access === 'operator' ? f.system.operatorKey : f.a.key;
        const before = await snapshot(f);
        for (const [type, body] of [
          ['text/plain', 'mode=live&expires_in_seconds=0&enabled=true'],
          ['application/xml', '<request><all>true</all><dry_run>false</dry_run></request>'],
          ['application/x-www-form-urlencoded', 'name=x&mode=live'],
        ] as const) {
          const res = await client(f.system.api.url, key)(route.method, pathFor(route, f), body, {
            'content-type': type,
            'idempotency-key': `sec-type-${Math.random()}`,
          });
          expectProblem(res, 415, 'unsupported_media_type');
          expect(res.body.errors).toEqual([{ field: 'Content-Type', message: expect.any(String) }]);
        }
        expect(await snapshot(f)).toEqual(before);
      },
    );
  }

  if (withBody.length > 0) {
    test.each(withBody.map((r) => [`${r.method} ${r.path}`, r] as const))(
      '%s: text Postgres cannot store, or a __proto__ key → 400 naming it, and nothing changes',
      async (_n, route) => {
        const f = fixture();
        const key = route.access === 'operator' ? f.system.operatorKey : f.a.key;
        const valid = JSON.stringify(route.body?.(f) ?? {}).slice(1, -1);
        const before = await snapshot(f);
        for (const [body, field, code] of [
          [`{${valid}${valid ? ',' : ''}"note":"Evil\\ud800Corp"}`, 'note', 'invalid_text'],
          [`{${valid}${valid ? ',' : ''}"n\\u0000":1}`, 'n\ufffd', 'invalid_text'],
          [`{"__proto__":{"admin":true}${valid ? ',' : ''}${valid}}`, '__proto__', 'reserved_key'],
        ]) {
          const res = await client(f.system.api.url, key)(route.method, pathFor(route, f), body, {
            'content-type': 'application/json',
            'idempotency-key': `sec-text-${Math.random()}`,
          });
          expectProblem(res, 400, code);
          expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
        }
        expect(await snapshot(f)).toEqual(before);
      },
    );
  }

  const scoped = routes.filter((r) => r.access === 'tenant' && r.path.includes(':id'));
  if (scoped.length > 0) {
    test.each(scoped.map((r) => [`${r.method} ${r.path}`, r] as const))(
      "%s: tenant B's key on tenant A's resource → 404, as if it did not exist",
      async (_n, route) => {
        const f = fixture();
        const other = await call(f, route, f.b.key);
        expectProblem(other, 404, 'not_found');
        const missingId = route.path.startsWith('/v1/payout-batches')
          ? 'bat_01JDA8Z6B9Y4X3W2V1T0S9R8Q7'
          : route.path.startsWith('/v1/webhook-endpoints')
            ? 'we_01JDA8Z6B9Y4X3W2V1T0S9R8Q7'
            : route.path.startsWith('/v1/beneficiaries')
              ? 'ben_01JDA8Z6B9Y4X3W2V1T0S9R8Q7'
              : 'po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7';
        const missing = await client(f.system.api.url, f.b.key)(
          route.method,
          route.path.replace(':id', missingId),
          route.body?.(f),
          route.method === 'POST' ? { 'idempotency-key': `sec-missing-${Math.random()}` } : {},
        );
        expect(other.body.detail).toBe(missing.body.detail);
        // And A still reaches it (a cancel may answer 409 for a payout already at its provider).
        expect([401, 403, 404]).not.toContain((await call(f, route, f.a.key)).status);
      },
    );
  }
}
