import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '@payouts/core';
import { reconciliationItems, rowsOf } from '@payouts/db';
import { sandboxProviderEnv } from '@payouts/providers';
import { budgetBurst } from '@payouts/queue';
import { AppProcess, inheritedEnv, must, testRedisUrl, waitFor } from '@payouts/testing';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Reconciliation at scale and across a crash: 10,000 payouts checked within the provider's
 * budget (a list page per 100, no lookup per payout), and a run whose process is SIGKILLed
 * mid-run resumed by another process without counting anything twice.
 */
let system: TestSystem;
let op: ReturnType<typeof client>;
let template = '';
const PROVIDER_RATE = 100;

beforeAll(async () => {
  system = await startTestSystem({
    env: {
      RECONCILIATION_POLL_MS: '100',
      RECONCILIATION_NIGHTLY_AT: 'off',
      RAZORPAYX_RATE_PER_SECOND: String(PROVIDER_RATE),
    },
  });
  const tenant = await createFundedTenant(system, 'recon-scale', 50_000_000);
  op = client(system.api.url, system.operatorKey);
  const res = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'scale-template' });
  template = res.body.id;
  await waitFor(
    async () => ((await tenant.api('GET', `/v1/payouts/${template}`)).body.status === 'processed' ? true : undefined),
    {
      message: 'the template payout processed',
    },
  );
}, 300_000);
afterAll(async () => {
  await system?.stop();
});

/**
 * `n` processed payouts of ours, copies of the template inserted in one statement, and the same
 * payouts at the sandbox (as RazorpayX would hold them: our id in the notes, the same amount,
 * fees and UTR). Returns the window that holds exactly them.
 */
async function seed(n: number): Promise<{ from: string; to: string }> {
  // From now: nothing made before (the template, an earlier seed) is in the window.
  await new Promise((r) => setTimeout(r, 5));
  const from = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 5));
  const ids = Array.from({ length: n }, () => newId('payout'));
  const columns = rowsOf<{ column_name: string }>(
    await system.db.db.execute(
      sql`select column_name from information_schema.columns where table_name = 'payouts' order by ordinal_position`,
    ),
  ).map((r) => r.column_name);
  const replaced: Record<string, string> = {
    id: 'g.id',
    reference_id: 'g.id',
    provider_idempotency_key: 'g.id',
    provider_payout_id: `'pout_' || substr(md5(g.id), 1, 14)`,
    utr: `'UTR' || substr(md5(g.id), 1, 12)`,
    history_hash: 'null',
    created_at: 'now()',
    updated_at: 'now()',
  };
  const select = columns.map((c) => replaced[c] ?? `t.${c}`).join(', ');
  await system.db.db.execute(
    sql.raw(`insert into payouts (${columns.join(', ')})
      select ${select} from payouts t, unnest(array[${ids.map((id) => `'${id}'`).join(',')}]) as g(id)
      where t.id = '${template}'`),
  );
  const rows = rowsOf<{ id: string; utr: string; amount: string }>(
    await system.db.db.execute(
      sql.raw(
        `select id, utr, amount::text as amount from payouts where id in (${ids.map((id) => `'${id}'`).join(',')})`,
      ),
    ),
  );
  for (let i = 0; i < rows.length; i += 500) {
    const res = await fetch(`${system.sandbox.url}/_admin/razorpayx/foreign-payouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        payouts: rows
          .slice(i, i + 500)
          .map((r) => ({ amount: Number(r.amount), notes: { payout_id: r.id }, reference_id: r.id, utr: r.utr })),
      }),
    });
    expect(res.status).toBe(201);
  }
  await new Promise((r) => setTimeout(r, 5));
  return { from, to: new Date(Date.now() + 1000).toISOString() };
}

async function sandboxRequests(): Promise<Record<string, number>> {
  return (await sandboxCounts()).by_route;
}

/** The sandbox's own count of RazorpayX calls: by endpoint, and the most within any one second. */
async function sandboxCounts(): Promise<{ by_route: Record<string, number>; peak_per_second: number }> {
  const res = await fetch(`${system.sandbox.url}/_admin/razorpayx/requests`);
  return (await res.json()) as { by_route: Record<string, number>; peak_per_second: number };
}

async function completed(id: string) {
  return waitFor(
    async () => {
      const res = await op('GET', `/v1/admin/reconciliations/${id}`);
      if (res.body.status === 'failed') throw new Error(`run failed: ${res.body.error}`);
      return res.body.status === 'completed' ? res.body : undefined;
    },
    { message: `run ${id} completed` },
  );
}

describe('10,000 payouts', () => {
  test("are checked within the provider's budget: one list call per 100, none per payout", async () => {
    const window = await seed(10_000);
    const before = await sandboxRequests();
    const started = Date.now();
    const start = await op('POST', '/v1/admin/reconciliations', { provider: 'razorpayx', ...window });
    expect(start.status).toBe(201);
    system.reconciler.nudgeReconciliation();
    const run = await completed(start.body.id);
    const elapsed = Date.now() - started;
    const after = await sandboxRequests();

    expect(run.counts).toMatchObject({ matched: 10_000, unknown_to_us: 0, missing_at_provider: 0 });
    expect(run.progress).toMatchObject({ payouts_total: 10_000, payouts_checked: 10_000 });
    const lists = (after['GET /v1/payouts'] ?? 0) - (before['GET /v1/payouts'] ?? 0);
    const lookups = (after['GET /v1/payouts/:id'] ?? 0) - (before['GET /v1/payouts/:id'] ?? 0);
    // 10,000 payouts of ours in the window: 100 full pages of 100, and one more that says the list ended.
    expect(lists).toBeGreaterThanOrEqual(100);
    expect(lists).toBeLessThanOrEqual(102);
    // None per payout (10,000 would be the failure). The workers' reversal watch of the template
    // payout looks it up on its own cadence while the run goes on, so how many of those land in the
    // run's seconds depends on how busy the machine is: bound them far below one per 100 payouts
    // rather than by a count that only an idle machine meets.
    expect(lookups).toBeLessThan(100);
    // The list pages, and one balance read at the end (RazorpayX reports its balance).
    const balances = (after['GET /v1/banking_balances'] ?? 0) - (before['GET /v1/banking_balances'] ?? 0);
    expect(balances).toBe(1);
    expect(run.progress.provider_calls).toBe(lists + balances);
    // Drawn from the provider's budget (one bucket of `budgetBurst` tokens at its rate): the calls
    // cannot have come faster than that.
    expect(elapsed).toBeGreaterThanOrEqual(((lists - budgetBurst(PROVIDER_RATE)) * 1000) / PROVIDER_RATE);
    // Measured where the calls land: within any one second since the sandbox started, RazorpayX
    // received no more calls (the run's, the workers' and everyone's) than its configured rate.
    const { peak_per_second } = await sandboxCounts();
    expect(peak_per_second).toBeGreaterThan(0);
    expect(peak_per_second).toBeLessThanOrEqual(PROVIDER_RATE);
  });
});

describe('a run whose process is SIGKILLed', () => {
  test('is resumed by another process from its checkpoint, counting every payout once', async () => {
    // Only the spawned reconcilers work runs from here on.
    await system.stopProcessing();
    const window = await seed(1500);
    const start = await op('POST', '/v1/admin/reconciliations', { provider: 'razorpayx', ...window });
    expect(start.status).toBe(201);
    const runId = start.body.id;

    const logs = mkdtempSync(join(tmpdir(), 'recon-kill-'));
    const env = {
      ...inheritedEnv(),
      DATABASE_URL: system.db.url,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: system.prefix,
      LOG_LEVEL: 'info',
      METRICS_PORT: '0',
      ...sandboxProviderEnv(system.sandbox.url, 4),
      // Four calls a second (the provider's budget): the run takes a few seconds, long enough to
      // be killed in the middle.
      RECONCILIATION_LEASE_MS: '1500',
      RECONCILIATION_POLL_MS: '200',
      RECONCILIATION_NIGHTLY_AT: 'off',
    };
    const exits: string[] = [];
    const onExit = (app: AppProcess, code: number | null, signal: string | null) =>
      exits.push(`${app.name} ${code} ${signal}`);
    const first = new AppProcess('reconciler-1', 'reconciler', env, join(logs, 'first.log'), onExit);
    const second = new AppProcess('reconciler-2', 'reconciler', env, join(logs, 'second.log'), onExit);
    try {
      first.start();
      // Killed once it has checkpointed some pages, before it is done.
      const mid = await waitFor(
        async () => {
          const res = await op('GET', `/v1/admin/reconciliations/${runId}`);
          return res.body.progress.provider_records_seen >= 300 ? res.body : undefined;
        },
        { message: 'the first process to checkpoint a few pages' },
      );
      await first.stop('SIGKILL');
      expect(mid.status).toBe('running');
      const atKill = await op('GET', `/v1/admin/reconciliations/${runId}`);
      expect(atKill.body.status).toBe('running');
      expect(atKill.body.progress.provider_records_seen).toBeLessThan(1500);

      second.start();
      const run = await completed(runId);
      expect(run.counts).toMatchObject({ matched: 1500, unknown_to_us: 0, missing_at_provider: 0 });
      // One finding per payout, whoever found it: the resumed pages wrote nothing twice.
      const [items] = await system.db.db
        .select({ n: count() })
        .from(reconciliationItems)
        .where(eq(reconciliationItems.runId, runId));
      expect(must(items, 'the item count').n).toBe(1500);
      expect(exits).toEqual([]);
    } finally {
      await first.stop('SIGKILL');
      await second.stop('SIGTERM');
    }
  });
});
