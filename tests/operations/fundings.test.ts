import { MAX_AMOUNT } from '@payouts/core';
import { ledgerTransactions, operatorActions } from '@payouts/db';
import { fundingTransaction, postTransactions } from '@payouts/ledger';
import { must } from '@payouts/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Fundings: idempotent on their reference even under concurrency (one funding, decided where the
 * ledger write is serialised), and bounded, so that no balance ever leaves the integers a JSON
 * reader holds exactly; and a balance read answers whatever the database holds.
 */
let system: TestSystem;
let op: ReturnType<typeof client>;

beforeAll(async () => {
  system = await startTestSystem();
  op = client(system.api.url, system.operatorKey);
});
afterAll(async () => {
  await system?.stop();
});

const fund = (tenantId: string, amount: unknown, reference: string, currency = 'INR') =>
  op('POST', `/v1/admin/tenants/${tenantId}/fundings`, { currency, amount, reference });

async function fundActions(tenantId: string) {
  return system.db.db
    .select({ params: operatorActions.params, result: operatorActions.result })
    .from(operatorActions)
    .where(and(eq(operatorActions.target, tenantId), eq(operatorActions.action, 'wallet.fund')));
}

async function fundingsOf(tenantId: string) {
  return system.db.db
    .select({ key: ledgerTransactions.idempotencyKey, metadata: ledgerTransactions.metadata })
    .from(ledgerTransactions)
    .where(and(eq(ledgerTransactions.tenantId, tenantId), eq(ledgerTransactions.kind, 'funding')));
}

function expectProblem(res: Awaited<ReturnType<typeof op>>, status: number, code: string, field: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe(code);
  expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
}

describe('the amount limit', () => {
  test("the issue's funding of 2^53 − 1 on a wallet that holds money is a 422 naming amount; nothing is written", async () => {
    const t = await createFundedTenant(system, 'maxsafe', 10_000);
    const res = await fund(t.id, Number.MAX_SAFE_INTEGER, 'maxsafe');
    expectProblem(res, 422, 'validation_failed', 'amount');
    expect(res.body.errors[0].message).toBe(`must be at most ${MAX_AMOUNT} minor units`);
    expect(await fundingsOf(t.id)).toHaveLength(1); // the seed
    expect((await t.api('GET', '/v1/balances')).body).toEqual({
      data: [{ currency: 'INR', available: 10_000, held: 0 }],
    });
    // Later fundings still answer what they did.
    expect((await fund(t.id, 5_000, 'after')).status).toBe(201);
    expect((await op('GET', `/v1/admin/tenants/${t.id}/balances`)).body.data).toEqual([
      { currency: 'INR', available: 15_000, held: 0 },
    ]);
  });

  test('a funding that would take the wallet past the limit is a 422 balance_limit_exceeded; nothing is written', async () => {
    const t = await createFundedTenant(system, 'near-limit', MAX_AMOUNT - 1_000);
    const over = await fund(t.id, 1_001, 'one-too-many');
    expectProblem(over, 422, 'balance_limit_exceeded', 'amount');
    expect(over.body.detail).toContain(String(MAX_AMOUNT - 1_000));
    expect((await fundingsOf(t.id)).map((f) => f.metadata?.reference)).toEqual([`seed-near-limit-INR`]);
    expect(await fundActions(t.id)).toHaveLength(1);
    // Refused, so the reference is still free; up to the limit exactly is fine, and reads back exactly.
    const exact = await fund(t.id, 1_000, 'one-too-many');
    expect(exact.status).toBe(201);
    expect(exact.body.balance).toEqual({ available: MAX_AMOUNT, held: 0 });
    expect((await t.api('GET', '/v1/balances')).body.data).toEqual([
      { currency: 'INR', available: MAX_AMOUNT, held: 0 },
    ]);
    expectProblem(await fund(t.id, 1, 'full'), 422, 'balance_limit_exceeded', 'amount');
    // Another currency's wallet has its own room.
    expect((await fund(t.id, MAX_AMOUNT, 'usd-full', 'USD')).status).toBe(201);
  });

  test('a stored balance beyond 2^53 − 1 (a database from before the limit) is read without a 500, exactly', async () => {
    const t = await createFundedTenant(system, 'legacy', 10_000);
    // What the funding left behind: written as the code before the limit wrote it.
    const legacyFunding = (amount: bigint, reference: string) =>
      system.db.db.transaction((tx) => postTransactions(tx, [fundingTransaction(t.id, 'INR', amount, reference)]));
    await legacyFunding(BigInt(Number.MAX_SAFE_INTEGER), 'maxsafe');
    const huge = (BigInt(Number.MAX_SAFE_INTEGER) + 10_000n).toString();
    try {
      const balances = await t.api('GET', '/v1/balances');
      expect(balances.status).toBe(200);
      expect(balances.body.data).toEqual([{ currency: 'INR', available: huge, held: 0 }]);
      const operator = await op('GET', `/v1/admin/tenants/${t.id}/balances`);
      expect(operator.status).toBe(200);
      expect(operator.body.data).toEqual(balances.body.data);
      // A funding on it is refused (there is no room), never a 500 after the fact.
      expectProblem(await fund(t.id, 1, 'on-legacy'), 422, 'balance_limit_exceeded', 'amount');
      // A repeated reference still answers its idempotent 200, with the balance as it is.
      const again = await fund(t.id, 10_000, 'seed-legacy-INR');
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ funded: false, amount: 10_000, balance: { available: huge, held: 0 } });
      // And the ledger check names the wallet.
      const verify = await op('GET', '/v1/admin/ledger/verify');
      expect(verify.body.problems).toEqual([
        `wallet wallet:${t.id}:INR:available holds ${huge}, beyond 2^53 − 1 (the largest exact JSON integer)`,
      ]);
    } finally {
      // An operator's correcting entry, so the rest of this file sees a sound ledger.
      await legacyFunding(-BigInt(Number.MAX_SAFE_INTEGER), 'maxsafe-correction');
    }
    expect((await t.api('GET', '/v1/balances')).body.data).toEqual([{ currency: 'INR', available: 10_000, held: 0 }]);
  });
});

describe('one reference, many concurrent fundings', () => {
  test('50 at once with amounts 1000–1049: one 201, every other a 409 naming what the reference funded; one action', async () => {
    const t = await createFundedTenant(system, 'race', 0);
    const amounts = Array.from({ length: 50 }, (_, i) => 1_000 + i);
    const answers = await Promise.all(amounts.map((a) => fund(t.id, a, 'R')));
    const created = answers.filter((a) => a.status === 201);
    expect(created, JSON.stringify(answers.map((a) => [a.status, a.body.amount ?? a.body.code]))).toHaveLength(1);
    const funded = must(created[0], 'the one funding created').body.amount as number;
    expect(amounts).toContain(funded);
    for (const a of answers) {
      if (a === created[0]) continue;
      expect(a.status).toBe(409);
      expect(a.body.code).toBe('funding_reference_reused');
      expect(a.body.errors[0].field).toBe('reference');
      expect(a.body.detail).toContain(`INR ${funded}`);
    }
    // The same amount again, concurrently: the documented idempotent 200 with the actual funding.
    const repeats = await Promise.all(Array.from({ length: 10 }, () => fund(t.id, funded, 'R')));
    for (const r of repeats) {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ amount: funded, funded: false, reference: 'R', balance: { available: funded } });
    }
    expect((await t.api('GET', '/v1/balances')).body.data).toEqual([{ currency: 'INR', available: funded, held: 0 }]);
    const actions = await fundActions(t.id);
    expect(actions).toEqual([
      {
        params: { currency: 'INR', amount: funded, reference: 'R' },
        result: expect.objectContaining({ funded: true }),
      },
    ]);
    const verify = await op('GET', '/v1/admin/ledger/verify');
    expect(verify.body.problems).toEqual([]);
  });

  test('one reference in another currency at the same time funds once too', async () => {
    const t = await createFundedTenant(system, 'race-currencies', 0);
    const currencies = ['INR', 'USD', 'THB', 'COP'];
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => fund(t.id, 5_000, 'R2', currencies[i % currencies.length])),
    );
    const created = answers.filter((a) => a.status === 201);
    expect(created).toHaveLength(1);
    const currency = must(created[0], 'the one funding created').body.currency as string;
    for (const a of answers) {
      if (a === created[0]) continue;
      if (a.status === 200) expect(a.body).toMatchObject({ currency, funded: false, amount: 5_000 });
      else expect(a.body.code).toBe('funding_reference_reused');
    }
    expect(answers.filter((a) => a.status === 200)).toHaveLength(4);
    expect(await fundingsOf(t.id)).toEqual([
      { key: `funding:${t.id}:R2`, metadata: expect.objectContaining({ amount: '5000' }) },
    ]);
    expect(await fundActions(t.id)).toHaveLength(1);
  });
});
