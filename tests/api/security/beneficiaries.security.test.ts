import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFixture, type Fixture, savedBeneficiary, securityChecks } from './harness.ts';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await createFixture();
});
afterAll(async () => {
  await fixture?.system.stop();
});

describe('beneficiary routes: keys and tenant isolation', () => {
  securityChecks('beneficiaries', () => fixture);

  test("B's list holds none of A's beneficiaries, and B cannot pay A's by id", async () => {
    const list = await fixture.b.api('GET', '/v1/beneficiaries');
    expect(list.status).toBe(200);
    expect(list.body.data.map((b: { id: string }) => b.id)).not.toContain(fixture.beneficiaryId);
    const pay = await fixture.b.api(
      'POST',
      '/v1/payouts',
      { amount: 100, currency: 'INR', method: 'IMPS', purpose: 'payout', beneficiary_id: fixture.beneficiaryId },
      { 'idempotency-key': 'sec-pay-other' },
    );
    expect(pay.status).toBe(422);
    expect(pay.body.errors).toEqual([
      { field: 'beneficiary_id', message: expect.stringContaining('no saved beneficiary') },
    ]);
  });

  test('a viewer reads beneficiaries but cannot save one', async () => {
    const { client } = await import('../../support/system.ts');
    const viewer = client(fixture.system.api.url, fixture.roleKeys.viewer);
    expect((await viewer('GET', `/v1/beneficiaries/${fixture.beneficiaryId}`)).status).toBe(200);
    const refused = await viewer('POST', '/v1/beneficiaries', savedBeneficiary(), { 'idempotency-key': 'sec-viewer' });
    expect(refused.status).toBe(403);
  });
});
