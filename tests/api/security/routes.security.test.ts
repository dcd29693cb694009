import { TENANT_ROUTE_ROLES } from '@payouts/api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { servedRoutes } from '../../support/routes.ts';
import { startTestSystem, type TestSystem } from '../../support/system.ts';
import { ROUTES } from './harness.ts';

/**
 * Every route the app serves is either in `ROUTES` (and so in a security test file), or a service
 * route outside `/v1` that needs no key. A route added without its security tests fails here.
 */
const SERVICE_PREFIXES = ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/admin/queues', '/console'];

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem();
});
afterAll(async () => {
  await system?.stop();
});

describe('the security route list', () => {
  test('holds every route the app serves, and only those', () => {
    const served = servedRoutes(system);
    // The walk itself works: it finds routes we know are there.
    expect(served).toContainEqual({ method: 'POST', path: '/v1/payouts' });
    expect(served).toContainEqual({ method: 'GET', path: '/v1/admin/dead-letters' });

    const listed = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    const missing = served
      .filter((r) => !SERVICE_PREFIXES.some((p) => r.path === p || r.path.startsWith(`${p}/`)))
      .map((r) => `${r.method} ${r.path}`)
      .filter((r) => !listed.has(r));
    expect(missing, 'routes without security tests: add them to ROUTES in tests/api/security/harness.ts').toEqual([]);

    const servedSet = new Set(served.map((r) => `${r.method} ${r.path}`));
    expect(
      [...listed].filter((r) => !servedSet.has(r)),
      'ROUTES lists routes the app does not serve',
    ).toEqual([]);
  });

  test("the API's role table names exactly the tenant routes, with the roles the security tests expect", () => {
    const expected = Object.fromEntries(
      ROUTES.filter((r) => r.access === 'tenant').map((r) => [`${r.method} ${r.path}`, [...(r.roles ?? [])].sort()]),
    );
    const table = Object.fromEntries(
      Object.entries(TENANT_ROUTE_ROLES).map(([route, roles]) => [route, [...roles].sort()]),
    );
    expect(table).toEqual(expected);
  });
});
