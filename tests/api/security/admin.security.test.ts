import { MAX_AMOUNT } from '@payouts/core';
import { must } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant } from '../../support/system.ts';
import { createFixture, expectProblem, type Fixture, securityChecks } from './harness.ts';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await createFixture();
});
afterAll(async () => {
  await fixture?.system.stop();
});

describe('admin routes: keys and tenant isolation', () => {
  securityChecks('admin', () => fixture);
});

describe('the tenant list', () => {
  const op = () => client(fixture.system.api.url, fixture.system.operatorKey);

  test('pages newest first through every tenant, each once, and refuses a forged cursor', async () => {
    const created = [];
    for (const name of ['list-a', 'list-b', 'list-c'])
      created.push((await createFundedTenant(fixture.system, name, 0)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await op()('GET', `/v1/admin/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((t: { id: string }) => t.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    // Newest first: the three just created lead, in reverse order of creation.
    expect(seen.slice(0, 3)).toEqual([...created].reverse());
    expect(seen).toEqual(expect.arrayContaining([fixture.a.id, fixture.b.id]));

    expectProblem(
      await op()('GET', `/v1/admin/tenants?cursor=${Buffer.from('po_x').toString('base64url')}`),
      400,
      'invalid_cursor',
    );
    for (const query of ['limit=0', 'limit=101', 'color=red']) {
      const res = await op()('GET', `/v1/admin/tenants?${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });
});

describe('fundings under attack: huge amounts and racing references', () => {
  const op = () => client(fixture.system.api.url, fixture.system.operatorKey);
  const fund = (tenantId: string, amount: unknown, reference: string) =>
    op()('POST', `/v1/admin/tenants/${tenantId}/fundings`, { currency: 'INR', amount, reference });

  test('amounts past the limit are 422 naming amount, and the wallet stays readable', async () => {
    const t = await createFundedTenant(fixture.system, 'sec-huge', 10_000);
    for (const [i, amount] of [MAX_AMOUNT + 1, Number.MAX_SAFE_INTEGER, 2 ** 53, 2 ** 63, 1e300].entries()) {
      const res = await fund(t.id, amount, `huge-${i}`);
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['amount']);
    }
    // Up to the limit, one funding at a time; the next one finds no room.
    expect((await fund(t.id, MAX_AMOUNT - 10_000, 'fill')).status).toBe(201);
    expectProblem(await fund(t.id, MAX_AMOUNT, 'again'), 422, 'balance_limit_exceeded');
    for (const read of [t.api('GET', '/v1/balances'), op()('GET', `/v1/admin/tenants/${t.id}/balances`)]) {
      const res = await read;
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([{ currency: 'INR', available: MAX_AMOUNT, held: 0 }]);
    }
  });

  test('one reference raced with different amounts funds once; the other tenant is untouched', async () => {
    const t = await createFundedTenant(fixture.system, 'sec-race', 0);
    const before = await fixture.b.api('GET', '/v1/balances');
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => fund(t.id, 2_000 + i, 'raced')));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409 && a.body.code === 'funding_reference_reused')).toHaveLength(29);
    const funded = must(
      answers.find((a) => a.status === 201),
      'the one funding that succeeded',
    ).body.amount;
    expect((await t.api('GET', '/v1/balances')).body.data).toEqual([{ currency: 'INR', available: funded, held: 0 }]);
    const actions = await op()('GET', `/v1/admin/operator-actions?target=${t.id}`);
    expect(
      actions.body.data
        .filter((a: { action: string }) => a.action === 'wallet.fund')
        .map((a: { params: { amount: number } }) => a.params.amount),
    ).toEqual([funded]);
    expect(await fixture.b.api('GET', '/v1/balances')).toMatchObject({ status: 200, body: before.body });
  });
});
