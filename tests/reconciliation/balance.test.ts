import { expectedProviderBalances } from '@payouts/ledger';
import { must, waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run as runCli } from '../../apps/cli/src/cli.ts';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * The provider float: funding a provider posts external → its float account, once per reference;
 * the ledger's expected provider balance is that float less what the provider paid out for us;
 * and a reconciliation run over a provider that reports its balance (RazorpayX) compares the two.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let op: ReturnType<typeof client>;
/** What we send RazorpayX, and what the sandbox then holds. */
const FLOAT = 10_000_000;

beforeAll(async () => {
  system = await startTestSystem({ env: { RECONCILIATION_POLL_MS: '100', RECONCILIATION_NIGHTLY_AT: 'off' } });
  tenant = await createFundedTenant(system, 'recon-balance', 50_000_000);
  op = client(system.api.url, system.operatorKey);
  const res = await fetch(`${system.sandbox.url}/_admin/razorpayx/balance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amount: FLOAT }),
  });
  expect(res.status).toBe(200);
}, 300_000);
afterAll(async () => {
  await system?.stop();
});

async function runOver(from: number) {
  const start = await op('POST', '/v1/admin/reconciliations', {
    provider: 'razorpayx',
    from: new Date(from).toISOString(),
    to: new Date(Date.now() + 1000).toISOString(),
  });
  expect(start.status).toBe(201);
  system.reconciler.nudgeReconciliation();
  return waitFor(
    async () => {
      const res = await op('GET', `/v1/admin/reconciliations/${start.body.id}`);
      if (res.body.status === 'failed') throw new Error(`run failed: ${res.body.error}`);
      return res.body.status === 'completed' ? res.body : undefined;
    },
    { message: 'the run completed' },
  );
}

describe('funding a provider', () => {
  test('posts external → float once per reference; a retry posts nothing; another amount is a 409', async () => {
    const first = await op('POST', '/v1/admin/providers/razorpayx/funded', {
      amount: FLOAT,
      currency: 'INR',
      reference: 'rzp-topup-1',
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      provider: 'razorpayx',
      funding: { currency: 'INR', amount: FLOAT, reference: 'rzp-topup-1', funded: true },
    });
    const again = await op('POST', '/v1/admin/providers/razorpayx/funded', {
      amount: FLOAT,
      currency: 'INR',
      reference: 'rzp-topup-1',
    });
    expect(again.status).toBe(200);
    expect(again.body.funding).toMatchObject({ funded: false, amount: FLOAT });
    const reused = await op('POST', '/v1/admin/providers/razorpayx/funded', {
      amount: FLOAT + 1,
      currency: 'INR',
      reference: 'rzp-topup-1',
    });
    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ code: 'funding_reference_reused' });

    const [expected] = await expectedProviderBalances(system.db.db, { provider: 'razorpayx' });
    expect(expected).toEqual({
      provider: 'razorpayx',
      currency: 'INR',
      funded: 10_000_000n,
      paidOut: 0n,
      expected: 10_000_000n,
    });
    const actions = await op('GET', '/v1/admin/operator-actions?target=razorpayx');
    expect(actions.body.data.filter((a: { action: string }) => a.action === 'provider.fund')).toHaveLength(1);
  });

  test('bad input names the field and posts nothing', async () => {
    const cases: [unknown, string][] = [
      [{ amount: 100, currency: 'THB', reference: 'x-1' }, 'currency'],
      [{ amount: -5, currency: 'INR', reference: 'x-2' }, 'amount'],
      [{ amount: 100, currency: 'INR', reference: 'not ok!' }, 'reference'],
      [{ amount: 100, currency: 'INR' }, 'reference'],
      [{ amount: 100, currency: 'INR', reference: 'x-3', extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await op('POST', '/v1/admin/providers/razorpayx/funded', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(JSON.stringify(res.body.errors)).toContain(field);
    }
    const [expected] = await expectedProviderBalances(system.db.db, { provider: 'razorpayx' });
    expect(expected?.funded).toBe(10_000_000n);
  });
});

describe('a run over a provider that reports its balance', () => {
  test('compares it with the ledger: equal after payouts, and the difference when they part', async () => {
    const from = Date.now() - 1000;
    const paid = [];
    for (const key of ['bal-1', 'bal-2']) {
      const res = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': key });
      expect(res.status).toBe(202);
      paid.push(
        await waitFor(
          async () => {
            const p = await tenant.api('GET', `/v1/payouts/${res.body.id}`);
            return p.body.status === 'processed' ? p.body : undefined;
          },
          { message: `${key} processed` },
        ),
      );
    }
    // The provider paid the amounts, fees and tax out of the float.
    const outflow = paid.reduce((sum, p) => sum + p.amount + p.fees + p.tax, 0);
    const [expected] = await expectedProviderBalances(system.db.db, { provider: 'razorpayx' });
    expect(expected).toMatchObject({ paidOut: BigInt(outflow), expected: BigInt(FLOAT - outflow) });

    const run = await runOver(from);
    expect(run.counts).toMatchObject({ matched: 2 });
    expect(run.balance).toEqual([
      {
        currency: 'INR',
        ours: String(FLOAT - outflow),
        theirs: String(FLOAT - outflow),
        difference: '0',
        funded: String(FLOAT),
        paid_out: String(outflow),
        in_flight: { payouts: 0, amount: '0' },
      },
    ]);

    // The provider's balance moves without a payout of ours (a charge we never saw): the next run says by how much.
    await fetch(`${system.sandbox.url}/_admin/razorpayx/balance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: FLOAT - outflow - 1234 }),
    });
    const next = await runOver(from + 1);
    expect(must(next.balance?.[0], 'the INR balance')).toMatchObject({
      ours: String(FLOAT - outflow),
      theirs: String(FLOAT - outflow - 1234),
      difference: '-1234',
    });

    const verify = await op('GET', '/v1/admin/ledger/verify');
    expect(verify.body).toMatchObject({ ok: true, problems: [] });

    const out: string[] = [];
    const code = await runCli(['recon', 'show', next.id], {
      out: (t) => out.push(t),
      err: () => {},
      env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_OPERATOR_KEY: system.operatorKey },
      fetch,
    });
    expect(code).toBe(0);
    expect(out.join('')).toContain(`balance INR`);
    expect(out.join('')).toContain(`difference -1234`);
  });

  test('the CLI funds a provider with its reference, and refuses half the options', async () => {
    const cli = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(args, {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_OPERATOR_KEY: system.operatorKey },
        fetch,
      });
      return { code, stdout: out.join(''), stderr: err.join('') };
    };
    const before = must((await expectedProviderBalances(system.db.db, { provider: 'razorpayx' }))[0], 'INR').funded;
    const args = ['provider', 'funded', 'razorpayx', '--amount', '5000', '--currency', 'INR', '--reference', 'cli-1'];
    const funded = await cli([...args, '--json']);
    expect(funded).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(funded.stdout).funding).toEqual({
      currency: 'INR',
      amount: 5000,
      reference: 'cli-1',
      funded: true,
    });
    expect((await cli(args)).stdout).toContain('posted before, nothing new');
    const after = must((await expectedProviderBalances(system.db.db, { provider: 'razorpayx' }))[0], 'INR').funded;
    expect(after - before).toBe(5000n);
    const half = await cli(['provider', 'funded', 'razorpayx', '--amount', '5000']);
    expect(half.code).not.toBe(0);
    expect(half.stderr).toContain('go together');
  });
});
