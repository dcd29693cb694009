/**
 * Round trips per payout, end to end (docs/benchmarks.md, "Round trips per payout"): every Redis
 * command the system sends under its queue prefix (MONITOR, filtered by the prefix, so other
 * processes on the same Redis are not counted) and every row it inserts (counted per table in its
 * own database), for payouts created by POST /v1/payouts (a few clients, one request at a time
 * each; then many) and settled by the sandbox.
 * The breakdown is printed for the benchmark page; the rows per payout are pinned, so a change
 * that writes more per payout fails here.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { rowsOf } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { createRedis } from '@payouts/queue';
import { testRedisUrl, waitFor } from '@payouts/testing';
import { Queue, Worker } from 'bullmq';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, test } from 'vitest';
import { createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

const PAYOUTS = 200;

let system: TestSystem;
let monitor: ChildProcess | null = null;

/** The polling and reversal-watch settings of the bench's end-to-end runs (bench/processes.ts). */
const BENCH_POLLING = {
  POLL_FIRST_DELAY_MS: '50',
  POLL_FACTOR: '2',
  POLL_MAX_DELAY_MS: '1000',
  REVERSAL_WATCH_MS: '0',
};

const RUNS = [
  { name: 'polling only', webhooks: false, clients: 4 },
  // RazorpayX sends webhooks: polling becomes the safety net and the list confirms them by window.
  { name: 'RazorpayX webhooks on', webhooks: true, clients: 4 },
  // Many requests at once, as under load: the API's group commit and the workers' report batches
  // carry many payouts per job (how many depends on timing, so the figures are printed, not pinned).
  { name: 'polling only, 32 clients', webhooks: false, clients: 32 },
] as const;

afterAll(async () => {
  monitor?.kill();
  await system?.stop();
});

async function rowCounts(): Promise<Map<string, number>> {
  const tables = rowsOf<{ table_name: string }>(
    await system.db.db.execute(
      sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    ),
  );
  const counts = new Map<string, number>();
  for (const { table_name } of tables) {
    const [r] = rowsOf<{ n: number }>(
      await system.db.db.execute(sql`select count(*)::int as n from ${sql.identifier(table_name)}`),
    );
    counts.set(table_name, r?.n ?? 0);
  }
  return counts;
}

/**
 * A command as the server saw it, with the commands a script it ran made (MONITOR shows a script's
 * own commands, marked `lua`, right after its EVAL/EVALSHA: Redis runs a script alone).
 */
interface Call {
  name: string;
  args: string[];
  inner: { name: string; args: string[] }[];
}

/** BullMQ's scripts by SHA1 (ioredis sends EVALSHA of each script's text), to name them. */
function bullmqScripts(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('bullmq'));
  const scripts = require(join(dir, 'scripts', 'index.js')) as Record<string, { name: string; content: string }>;
  return new Map(Object.values(scripts).map((s) => [createHash('sha1').update(s.content).digest('hex'), s.name]));
}

/** Our own scripts (sent as EVAL with their text), by a line only each has. */
const OWN_SCRIPTS: [string, string][] = [
  ['local waitTtl', 'budget.acquire'],
  ['paused_until', 'budget.read-or-pause'],
  ["LPOS', KEYS[i]", 'jobStates'],
];

/**
 * The stage a call belongs to: the key family under the prefix it touches (a queue, the provider
 * gate, the provider budget, the webhook clock) and, on a queue, the kind of job it moves (from the
 * job ids it names; the reconciler's reports have numeric ids), or `idle` when it names no job (the
 * workers' own polling: delayed-set, stalled-job and marker checks, lock renewal).
 */
function stageOf(call: Call, prefix: string): string {
  const keys = [call.args, ...call.inner.map((i) => i.args)].flat().filter((a) => a.startsWith(`${prefix}:`));
  const first = keys[0];
  if (!first) return '?';
  const family = first.slice(prefix.length + 1).split(':')[0] ?? '?';
  if (family !== 'reconciler' && !family.startsWith('provider-') && family !== 'noop') return family;
  const all = [call.args, ...call.inner.map((i) => i.args)].flat().join(' ');
  const job = /:(polls|poll|submits|submit|accepted|confirm-list|confirm|cancel)-/.exec(all)?.[1];
  // The index of the payouts that ride in a `submits` or `polls` job (written with it, emptied as it completes).
  const carried = new RegExp(`:${family}:carried-(submits|polls)( |$)`).exec(all)?.[1];
  if (carried) return `${family}/${carried}`;
  if (job) return `${family}/${job}`;
  if (new RegExp(`${prefix.replace(/[{}]/g, '\\$&')}:${family}:\\d+( |$)`).test(all))
    return `${family}/${family === 'reconciler' ? 'report' : 'job'}`;
  return `${family}/idle`;
}

function scriptName(call: Call, shas: Map<string, string>): string {
  if (call.name === 'EVALSHA') return shas.get(call.args[1] ?? '') ?? 'evalsha?';
  if (call.name === 'EVAL') return OWN_SCRIPTS.find(([text]) => (call.args[1] ?? '').includes(text))?.[1] ?? 'eval?';
  return call.name;
}

describe.sequential('round trips per payout, end to end', () => {
  test.each(RUNS)(
    `${PAYOUTS} payouts created by $clients clients one request at a time, processed ($name): Redis commands and rows per payout, by kind`,
    async (run) => {
      await system?.stop();
      system = await startTestSystem({
        sandbox: { progressDelayMs: 20 },
        webhooks: run.webhooks,
        env: BENCH_POLLING,
      });
      const tenant = await createFundedTenant(system, 'round-trips', 10_000_000_000);
      // Warm up (connections, scripts loaded, accounts created), not counted.
      const warm = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'warm-up' });
      expect(warm.status).toBe(202);
      await waitFor(async () => (await tenant.api('GET', `/v1/payouts/${warm.body.id}`)).body.status === 'processed');

      // redis-cli's MONITOR: every command the server runs, with the ones a Lua script (BullMQ's)
      // runs marked `[0 lua]`, which INFO commandstats counts too. Only this system's keys count.
      const calls: Call[] = [];
      let current: Call | null = null;
      monitor = spawn('redis-cli', ['-u', testRedisUrl(), 'monitor'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines = createInterface({ input: monitor.stdout as NodeJS.ReadableStream });
      let started = false;
      const ready = new Promise<void>((resolve) => {
        lines.on('line', (line) => {
          if (!started) {
            started = true;
            resolve();
          }
          const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1] ?? '');
          const name = String(args[0]).toUpperCase();
          if (line.includes(' lua] ')) {
            current?.inner.push({ name, args });
            return;
          }
          // A script of someone else's (another test on this Redis) is followed by its own lines:
          // they are collected with it and dropped with it.
          current = { name, args, inner: [] };
          calls.push(current);
        });
      });
      await ready;
      const before = await rowCounts();

      const ids: string[] = [];
      await Promise.all(
        Array.from({ length: run.clients }, async (_, c) => {
          for (let i = c; i < PAYOUTS; i += run.clients) {
            const res = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': `rt-${i}` });
            expect(res.status).toBe(202);
            ids.push(res.body.id);
          }
        }),
      );
      await waitFor(
        async () => {
          const [r] = rowsOf<{ n: number }>(
            await system.db.db.execute(sql`select count(*)::int as n from payouts where status = 'processed'`),
          );
          return (r?.n ?? 0) === PAYOUTS + 1;
        },
        { message: 'every payout processed' },
      );
      // The last commands of the chain (job completion, the poll's clean-up) land just after the
      // state changed in Postgres: wait until the queues are quiet (only the workers' idle polling).
      let seen = -1;
      await waitFor(
        () => {
          const busy = calls.filter((c) => {
            const stage = stageOf(c, system.prefix);
            return stage !== '?' && !stage.endsWith('/idle');
          }).length;
          if (busy === seen) return true;
          seen = busy;
          return false;
        },
        { intervalMs: 1000, message: 'the queues quiet' },
      );
      const after = await rowCounts();
      const payoutCalls = calls.length;

      // The bound: a no-op BullMQ job, added one at a time and processed by a worker, on the same
      // Redis in the same run, with the same options as ours (removed once complete).
      const noop = new Queue('noop', { connection: system.redis, prefix: system.prefix });
      const noopConnection = createRedis(testRedisUrl(), 'worker');
      const noopWorker = new Worker('noop', async () => 'done', {
        connection: noopConnection,
        prefix: system.prefix,
        concurrency: 8,
      });
      let completed = 0;
      noopWorker.on('completed', () => completed++);
      for (let i = 0; i < PAYOUTS; i++) await noop.add('noop', { i }, { removeOnComplete: true });
      await waitFor(() => completed === PAYOUTS, { message: 'the no-op jobs done' });
      await noopWorker.close();
      await noop.close();
      noopConnection.disconnect();
      // MONITOR's output may lag behind a busy server: read until it is quiet.
      let heard = -1;
      await waitFor(
        () => {
          const ours = calls.filter((c) => stageOf(c, system.prefix) !== '?').length;
          if (ours === heard) return true;
          heard = ours;
          return false;
        },
        { intervalMs: 1000, message: 'MONITOR caught up' },
      );
      monitor.kill();

      const mine = (c: Call) => stageOf(c, system.prefix) !== '?';
      const counted = calls.slice(0, payoutCalls).filter(mine);
      const noopCalls = calls.slice(payoutCalls).filter((c) => stageOf(c, system.prefix).startsWith('noop/'));
      const size = (c: Call) => 1 + c.inner.length;
      const total = counted.reduce((s, c) => s + size(c), 0);
      const byName = new Map<string, number>();
      const byStage = new Map<string, number>();
      const byStageScript = new Map<string, number>();
      const shas = bullmqScripts();
      const add = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
      for (const c of counted) {
        const stage = stageOf(c, system.prefix);
        add(byName, c.name);
        for (const i of c.inner) add(byName, i.name);
        add(byStage, stage, size(c));
        add(byStageScript, `${stage} ${scriptName(c, shas)}`, size(c));
      }
      // For a closer look: every call with its script's commands, one JSON line each.
      const dump = process.env.ROUND_TRIPS_DUMP;
      if (dump) {
        writeFileSync(
          dump,
          counted
            .map((c) =>
              JSON.stringify({
                stage: stageOf(c, system.prefix),
                call: scriptName(c, shas),
                inner: c.inner.map((i) => i.name),
              }),
            )
            .join('\n'),
        );
      }
      const rows = [...after].map(([t, n]) => [t, n - (before.get(t) ?? 0)] as const).filter(([, n]) => n > 0);
      const per = (n: number) => (n / PAYOUTS).toFixed(2);
      const sorted = (m: Map<string, number> | (readonly [string, number])[]) => [...m].sort((a, b) => b[1] - a[1]);
      const totalRows = rows.reduce((s, [, n]) => s + n, 0);
      const noopTotal = noopCalls.reduce((s, c) => s + size(c), 0);
      process.stdout.write(
        [
          `[${run.name}]`,
          `Redis commands per payout: ${per(total)} (sent by clients: ${per(counted.length)}, run by scripts: ${per(total - counted.length)})`,
          `  by command: ${sorted(byName)
            .map(([k, n]) => `${k} ${per(n)}`)
            .join(', ')}`,
          `  by stage: ${sorted(byStage)
            .map(([k, n]) => `${k} ${per(n)}`)
            .join(', ')}`,
          `  by stage and call (script or command): ${sorted(byStageScript)
            .filter(([, n]) => n / PAYOUTS >= 0.05)
            .map(([k, n]) => `${k} ${per(n)}`)
            .join(', ')}`,
          `A no-op BullMQ job, added and processed: ${per(noopTotal)} commands (sent by clients ${per(noopCalls.length)})`,
          `Rows inserted per payout: ${per(totalRows)}`,
          `  by table: ${sorted(rows)
            .map(([k, n]) => `${k} ${per(n)}`)
            .join(', ')}`,
          '',
        ].join('\n'),
      );

      expect(ids).toHaveLength(PAYOUTS);
      expect((await verifyLedger(system.db.db)).problems).toEqual([]);
      expect(total).toBeGreaterThan(0);
      // Rows hardly depend on timing: a payout settled without surprises writes the same ones (16
      // today: ledger entries 7, payout events 4, ledger transactions 2, idempotency key, provider
      // submission, payout); a repeated report recorded as not applied (a slow machine's retries)
      // and background rows (a reconciliation run) ride on top, hence the margin. Redis commands do
      // depend on timing (the workers' own polling and lock renewals run while the test waits), so
      // they are printed, not pinned.
      // With webhooks on, the API stores each webhook it receives (provider_events, 2 a payout) on top.
      expect(totalRows / PAYOUTS).toBeLessThanOrEqual(run.webhooks ? 20 : 18);
    },
    // A system per run, 200 payouts each, MONITOR on a Redis other work shares: minutes on a busy machine.
    600_000,
  );
});
