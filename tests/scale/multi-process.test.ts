import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payouts, rowsOf } from '@payouts/db';
import { verifyLedger, walletBalances } from '@payouts/ledger';
import { createTestDatabase, must, type TestDatabase, testQueuePrefix, testRedisUrl, waitFor } from '@payouts/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CURRENCIES, PROVIDERS, planPayout } from '../chaos/payloads.ts';
import {
  deleteQueueKeys,
  installWorkObservers,
  type ProcessSystem,
  startProcessSystem,
  workByProcess,
} from './process-system.ts';

/**
 * Scale-out: three worker processes and two reconciler processes (separate OS processes, as
 * `pnpm start:worker` / `pnpm start:reconciler` run them) on the same queues, with the API and the
 * sandbox, on one Redis and one Postgres. 600 payouts over the four providers, a third of them in
 * a batch run. Then: every payout processed, each paid exactly once at its provider, one hold and
 * one post per payout in the ledger, the ledger balanced, the wallets at funding − paid; and the
 * work really was shared: more than one worker claimed submissions, more than one reconciler
 * wrote the ledger (seen in Postgres by each process's application_name).
 */
const SINGLES = 400;
const IN_BATCH = 200;
const FUNDING = 10_000_000_000_000;

let db: TestDatabase;
let system: ProcessSystem;
let logDir: string;
const prefix = testQueuePrefix();

beforeAll(async () => {
  db = await createTestDatabase();
  await installWorkObservers(db.db);
  logDir = mkdtempSync(join(tmpdir(), 'payouts-scale-'));
  system = await startProcessSystem({
    databaseUrl: db.url,
    redisUrl: testRedisUrl(),
    prefix,
    workers: 3,
    reconcilers: 2,
    logDir,
  });
}, 300_000);

afterAll(async () => {
  await system?.stop();
  await deleteQueueKeys(testRedisUrl(), prefix);
  await db?.drop();
  if (logDir) rmSync(logDir, { recursive: true, force: true });
});

test('600 payouts through 3 workers and 2 reconcilers: each paid once, the ledger exact, the work shared', async () => {
  // --- A tenant, its key, its wallets (fundings go through a reconciler) ----------------------
  const tenant = await system.call('POST', '/v1/admin/tenants', { name: 'scale-out' });
  expect(tenant.status, JSON.stringify(tenant.body)).toBe(201);
  const issued = await system.call('POST', `/v1/admin/tenants/${tenant.body.id}/api-keys`, {});
  expect(issued.status).toBe(201);
  const key = issued.body.key as string;
  for (const currency of CURRENCIES) {
    const funding = await system.call('POST', `/v1/admin/tenants/${tenant.body.id}/fundings`, {
      currency,
      amount: FUNDING,
      reference: `scale-${currency}`,
    });
    expect([200, 201, 202], JSON.stringify(funding.body)).toContain(funding.status);
  }
  await waitFor(
    async () => {
      const balances = await walletBalances(db.db, tenant.body.id);
      return CURRENCIES.every((c) => balances.find((b) => b.currency === c)?.available === BigInt(FUNDING));
    },
    { timeoutMs: 60_000, intervalMs: 200, message: 'wallets funded' },
  );

  // --- 400 single payouts (16 at a time) and a batch run of 200 ---------------------------------
  const plans = Array.from({ length: SINGLES + IN_BATCH }, (_, i) => planPayout(i, 'scale', 0, 0));
  const batch = system.call(
    'POST',
    '/v1/payout-batches',
    { mode: 'all_or_nothing', items: plans.slice(SINGLES).map((p) => p.body) },
    key,
  );
  let next = 0;
  const singles: string[] = [];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < SINGLES; i = next++) {
        const res = await system.call('POST', '/v1/payouts', must(plans[i], `plan #${i}`).body, key);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        singles.push(res.body.id);
      }
    }),
  );
  const batchAnswer = await batch;
  expect(batchAnswer.status, JSON.stringify(batchAnswer.body).slice(0, 500)).toBe(202);

  // --- Wait until every payout is final ---------------------------------------------------------
  const counts = async () =>
    Object.fromEntries(
      rowsOf<{ status: string; n: string | number }>(
        await db.db.execute(sql`select status, count(*) as n from payouts group by status`),
      ).map((r) => [r.status, Number(r.n)]),
    ) as Record<string, number>;
  await waitFor(
    async () => {
      if (system.unexpectedExits.length > 0) throw new Error(system.unexpectedExits.join('\n'));
      const c = await counts();
      return c.processed === SINGLES + IN_BATCH;
    },
    { timeoutMs: 300_000, intervalMs: 500, message: 'every payout processed' },
  ).catch(async (error) => {
    throw new Error(`${(error as Error).message}; states: ${JSON.stringify(await counts())}`);
  });
  expect(system.unexpectedExits).toEqual([]);

  // --- Each payout paid exactly once at its provider (the sandbox's own records) ----------------
  const rows = await db.db
    .select({
      id: payouts.id,
      provider: payouts.provider,
      currency: payouts.currency,
      amount: payouts.amount,
      fees: payouts.fees,
      tax: payouts.tax,
    })
    .from(payouts);
  expect(rows).toHaveLength(SINGLES + IN_BATCH);
  expect(new Set(singles).size).toBe(SINGLES);
  const atProvider = new Map<string, number>();
  for (const provider of PROVIDERS) {
    const res = await fetch(`${system.sandboxUrl}/_admin/${provider}/payouts`);
    expect(res.ok).toBe(true);
    const list = ((await res.json()) as { data: { idempotency_key: string | null; reference: string | null }[] }).data;
    for (const p of list) {
      const owner = [p.idempotency_key, p.reference].find((k) => k != null && rows.some((r) => r.id === k));
      expect(owner, `${provider} payout ${JSON.stringify(p)} belongs to no payout`).toBeDefined();
      const id = must(owner, `the payout of ${provider} payout ${JSON.stringify(p)}`);
      atProvider.set(id, (atProvider.get(id) ?? 0) + 1);
    }
  }
  const notOnce = rows.filter((r) => atProvider.get(r.id) !== 1).map((r) => `${r.id}: ${atProvider.get(r.id) ?? 0}`);
  expect(notOnce).toEqual([]);

  // --- One hold and one post per payout, nothing else; the ledger balanced ----------------------
  const perPayout = rowsOf<{ payout_id: string; kinds: string }>(
    await db.db.execute(sql`
      select payout_id, string_agg(kind, ',' order by kind) as kinds from ledger_transactions
      where payout_id is not null group by payout_id`),
  );
  expect(perPayout).toHaveLength(SINGLES + IN_BATCH);
  expect(perPayout.filter((p) => p.kinds !== 'hold,post')).toEqual([]);
  const ledger = await verifyLedger(db.db);
  expect(ledger.problems).toEqual([]);
  expect(ledger.totals.every((t) => t.sum === 0n)).toBe(true);

  // --- Wallets: funding − (amount + fees + tax) of every payout, nothing held --------------------
  const balances = await walletBalances(db.db, tenant.body.id);
  for (const currency of CURRENCIES) {
    const spent = rows
      .filter((r) => r.currency === currency)
      .reduce((sum, r) => sum + r.amount + (r.fees ?? 0n) + (r.tax ?? 0n), 0n);
    const b = balances.find((x) => x.currency === currency);
    expect({ currency, available: b?.available, held: b?.held }).toEqual({
      currency,
      available: BigInt(FUNDING) - spent,
      held: 0n,
    });
  }

  // --- The work was shared between the processes ---------------------------------------------------
  const work = await workByProcess(db.db);
  const claimsBy = work.claim ?? {};
  const workersThatClaimed = Object.keys(claimsBy).filter((app) => app.startsWith('worker-'));
  expect(workersThatClaimed.length, `claims per process: ${JSON.stringify(claimsBy)}`).toBeGreaterThan(1);
  // Every claim came from a worker process, and every payout was claimed.
  expect(
    Object.keys(claimsBy).every((app) => app.startsWith('worker-')),
    JSON.stringify(claimsBy),
  ).toBe(true);
  const claimedPayouts = rowsOf<{ n: string | number }>(
    await db.db.execute(sql`select count(distinct payout_id) as n from scale_observed_work where what = 'claim'`),
  );
  expect(Number(claimedPayouts[0]?.n)).toBe(SINGLES + IN_BATCH);
  const postsBy = work['ledger:post'] ?? {};
  const reconcilersThatPosted = Object.keys(postsBy).filter((app) => app.startsWith('reconciler-'));
  expect(reconcilersThatPosted.length, `posts per process: ${JSON.stringify(postsBy)}`).toBeGreaterThan(1);
  console.info(`scale-out: work per process ${JSON.stringify(work)}`);
}, 420_000);
