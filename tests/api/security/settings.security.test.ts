import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFixture, type Fixture, securityChecks } from './harness.ts';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await createFixture();
});
afterAll(async () => {
  await fixture?.system.stop();
});

describe('settings routes: keys and tenant isolation', () => {
  securityChecks('settings', () => fixture);

  test("a tenant's settings are its own: B turning its guard off leaves A's on", async () => {
    const off = await fixture.b.api('PATCH', '/v1/settings', { duplicate_reference_guard: false });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({
      object: 'settings',
      duplicate_reference_guard: false,
      beneficiary_cooling_off_hours: 0,
      payout_purposes: [],
      rail_fallback: false,
    });
    expect((await fixture.a.api('GET', '/v1/settings')).body).toEqual({
      object: 'settings',
      duplicate_reference_guard: true,
      beneficiary_cooling_off_hours: 0,
      payout_purposes: [],
      rail_fallback: false,
    });
    expect((await fixture.b.api('PATCH', '/v1/settings', { duplicate_reference_guard: true })).status).toBe(200);
  });
});
