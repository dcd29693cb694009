import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFixture, type Fixture, securityChecks } from './harness.ts';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await createFixture();
});
afterAll(async () => {
  await fixture?.system.stop();
});

describe('routing rules: keys and tenant isolation', () => {
  securityChecks('routing-rules', () => fixture);

  test("a tenant's routing rules are its own: B's rules leave A's payouts on A's routing", async () => {
    const rules = { rules: [{ match: { currency: 'INR' }, providers: ['krayon', 'razorpayx'], fallback_on: [] }] };
    const put = await fixture.b.api('PUT', '/v1/routing-rules', rules);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toEqual({ object: 'routing_rules', ...rules });
    expect((await fixture.a.api('GET', '/v1/routing-rules')).body).toEqual({ object: 'routing_rules', rules: [] });
    expect((await fixture.b.api('PUT', '/v1/routing-rules', { rules: [] })).status).toBe(200);
  });
});
