import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFixture, type Fixture, securityChecks } from './harness.ts';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await createFixture();
});
afterAll(async () => {
  await fixture?.system.stop();
});

describe('approval routes: keys and tenant isolation', () => {
  securityChecks('approvals', () => fixture);

  test("a tenant's approval policy is its own: B's policy leaves A's payouts alone", async () => {
    const policy = {
      rules: [{ kind: 'payout', min_amount: { INR: 1 }, approvals_required: 1 }],
      expires_after_hours: 24,
    };
    const put = await fixture.b.api('PUT', '/v1/approval-policy', policy);
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ object: 'approval_policy', ...policy });
    expect((await fixture.a.api('GET', '/v1/approval-policy')).body).toEqual({
      object: 'approval_policy',
      rules: [],
      expires_after_hours: 168,
    });
    // B's approvals list never shows A's requests, nor A's B's.
    expect((await fixture.a.api('GET', '/v1/approvals')).body).toEqual({ data: [] });
    expect((await fixture.b.api('PUT', '/v1/approval-policy', { rules: [] })).status).toBe(200);
  });
});
