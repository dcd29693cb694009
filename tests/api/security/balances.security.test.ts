import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFixture, type Fixture, securityChecks } from './harness.ts';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await createFixture();
});
afterAll(async () => {
  await fixture?.system.stop();
});

describe('balances routes: keys and tenant isolation', () => {
  securityChecks('balances', () => fixture);

  test("each tenant sees its own wallet only: A's holds do not show in B's balances", async () => {
    const a = await fixture.a.api('GET', '/v1/balances');
    const b = await fixture.b.api('GET', '/v1/balances');
    expect(a.status).toBe(200);
    expect(b.body).toEqual({ data: [{ currency: 'INR', available: 10_000_000, held: 0 }] });
    const inrA = a.body.data.find((w: { currency: string }) => w.currency === 'INR');
    expect(inrA.available + inrA.held).toBeLessThan(10_000_000 + 1);
    expect(inrA.available).toBeLessThan(10_000_000);
  });
});
