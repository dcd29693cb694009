/**
 * `pnpm bench:start-batch [items]` (docs/benchmarks.md): a batch across all four providers under
 * `pnpm start` as a newcomer runs it, the apps compiled and supervised as processes
 * (`scripts/start.ts --dist`, after `pnpm build`), in a data folder and database of its own
 * (removed afterwards). It posts one batch of `items` (10,000 by default; a quarter per provider)
 * from the demo tenant, then reads the batch's counts every 2 s and prints its progress, and at
 * the end: how long it took, the longest stretch without progress, the event-loop delay p99 of
 * each process over the run (payouts_event_loop_delay_seconds on each /metrics), and the
 * BullMQ "Missing lock" errors in the log stream. Needs Postgres on 127.0.0.1:5432 and Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminExec, freePort, inheritedEnv } from '@payouts/testing';
import { buildAll } from '../scripts/build.ts';
import { type LagBuckets, lagBetween, scrapeLag } from './process-readings.ts';
import { benchPrefix, benchRedis, deletePrefix, resolveRedisUrl } from './redis.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ITEMS = Number(process.argv[2] ?? 10_000);
const WAIT_MS = 15 * 60_000;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** One valid item per provider (amounts small enough for the demo wallets ×2,500). */
function item(i: number): Record<string, unknown> {
  const account = String(1000 + (i % 8000)).padStart(4, '0');
  switch (i % 4) {
    case 0:
      return {
        amount: 1000,
        currency: 'INR',
        method: 'IMPS',
        purpose: 'payout',
        beneficiary: { name: 'Asha Rao', account_number: `12345678${account}`, bank_code: 'HDFC0001234' },
      };
    case 1:
      return {
        amount: 1000,
        currency: 'INR',
        provider: 'krayon',
        method: 'IMPS',
        description: 'batch payout',
        beneficiary: {
          name: 'Elon Mush',
          first_name: 'elon',
          last_name: 'mush',
          email: 'elon@example.com',
          phone: '919895270111',
          country: 'IN',
          account_number: `111111${account}`,
          bank_code: 'KKBK0000261',
          address: { line1: 'Address Line 1', country: 'IN' },
        },
      };
    case 2:
      return {
        amount: 1000,
        currency: 'THB',
        method: 'bank_account',
        description: 'batch payout',
        beneficiary: { name: 'John Doe', account_number: `123456${account}`, bank_code: '004' },
      };
    default:
      return {
        amount: 1000,
        currency: 'USD',
        method: 'bank_account',
        description: 'batch payout',
        beneficiary: { provider_account_id: `acc_b7c41206-afb4-4954-a15c-dbcd5935${account}` },
      };
  }
}

const data = mkdtempSync(join(tmpdir(), 'payouts-start-batch-'));
const prefix = benchPrefix('start-batch');
const ports = { api: await freePort(), sandbox: await freePort(), metrics: await freePort() };
let child: ChildProcess | null = null;
let output = '';
let missingLock = 0;
const lines: string[] = [];

async function cleanup() {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((done) => child?.once('exit', done));
  }
  const name = `payouts_dev_${createHash('sha256').update(data).digest('hex').slice(0, 12)}`;
  await adminExec(
    'postgres://postgres@127.0.0.1:5432/postgres',
    `drop database if exists "${name}" with (force)`,
  ).catch(() => {});
  const redis = benchRedis(resolveRedisUrl());
  await deletePrefix(redis, prefix).catch(() => {});
  redis.disconnect();
  rmSync(data, { recursive: true, force: true });
}

try {
  log('pnpm build');
  await buildAll();
  const t0 = performance.now();
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--dist'], {
    cwd: ROOT,
    env: {
      ...inheritedEnv(),
      PAYOUTS_DATA_DIR: data,
      REDIS_URL: resolveRedisUrl(),
      QUEUE_PREFIX: prefix,
      PORT: String(ports.api),
      SANDBOX_PORT: String(ports.sandbox),
      METRICS_PORT: String(ports.metrics),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      output += `${line}\n`;
      if (line.includes('Missing lock')) missingLock++;
      if (line.startsWith('{')) lines.push(line);
    });
  }
  while (!/\/v1\/balances -H/.test(output)) {
    if (child.exitCode !== null) throw new Error(`pnpm start exited ${child.exitCode}:\n${output}`);
    if (performance.now() - t0 > 300_000) throw new Error(`no start banner in 300 s:\n${output}`);
    await sleep(200);
  }
  log(`pnpm start --dist up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  log(output.split('\n').find((l) => l.includes('Processes')) ?? '');
  const key = /Tenant API key\s+(sk_test_\S+)/.exec(output)?.[1];
  if (!key) throw new Error('no tenant key in the banner');
  const api = `http://127.0.0.1:${ports.api}`;
  const metricsUrls: Record<string, string> = {
    api: `${api}/metrics`,
    worker: `http://127.0.0.1:${ports.metrics}/metrics`,
    reconciler: `http://127.0.0.1:${ports.metrics + 1}/metrics`,
  };
  const lagBefore: Record<string, LagBuckets> = {};
  for (const [n, u] of Object.entries(metricsUrls)) lagBefore[n] = await scrapeLag(u);

  const items = Array.from({ length: ITEMS }, (_, i) => item(i));
  const posted = performance.now();
  const res = await fetch(`${api}/v1/payout-batches`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'idempotency-key': `start-batch-${Date.now()}`,
    },
    body: JSON.stringify({ items }),
  });
  const batch = (await res.json()) as { id?: string };
  if (res.status !== 202 || !batch.id) throw new Error(`batch: ${res.status} ${JSON.stringify(batch).slice(0, 500)}`);
  log(`batch ${batch.id}: ${ITEMS} items accepted in ${((performance.now() - posted) / 1000).toFixed(1)} s`);

  const FINAL = ['processed', 'failed', 'rejected', 'cancelled', 'reversed', 'needs_attention'];
  let last = -1;
  let lastChange = performance.now();
  let longestStallS = 0;
  let counts: Record<string, number> = {};
  const progress: { s: number; done: number }[] = [];
  for (;;) {
    const r = await fetch(`${api}/v1/payout-batches/${batch.id}`, { headers: { authorization: `Bearer ${key}` } });
    counts = ((await r.json()) as { counts: Record<string, number> }).counts ?? {};
    const done = FINAL.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
    const now = performance.now();
    if (done !== last) {
      longestStallS = Math.max(longestStallS, (now - lastChange) / 1000);
      lastChange = now;
      last = done;
    }
    const s = Math.round((now - posted) / 100) / 10;
    progress.push({ s, done });
    log(`  ${s.toFixed(1).padStart(6)} s  ${String(done).padStart(6)} / ${ITEMS} final  ${JSON.stringify(counts)}`);
    if (done >= ITEMS) break;
    if (now - posted > WAIT_MS) {
      log('  not finished within the wait');
      break;
    }
    if (child.exitCode !== null) throw new Error(`pnpm start exited during the run:\n${output.slice(-3000)}`);
    await sleep(2000);
  }
  longestStallS = Math.max(longestStallS, (performance.now() - lastChange) / 1000 - 2);
  const seconds = (performance.now() - posted) / 1000;
  const lag: Record<string, ReturnType<typeof lagBetween>> = {};
  for (const [n, u] of Object.entries(metricsUrls)) lag[n] = lagBetween(lagBefore[n] ?? new Map(), await scrapeLag(u));
  const errorLines = lines.filter((l) => /"level":(50|60)/.test(l)).length;
  const summary = {
    items: ITEMS,
    seconds: Math.round(seconds * 10) / 10,
    perSecond: Math.round((ITEMS / seconds) * 10) / 10,
    counts,
    longestStallSeconds: Math.round(longestStallS * 10) / 10,
    eventLoopDelay: lag,
    missingLockErrors: missingLock,
    errorLogLines: errorLines,
    progressEvery10s: progress.filter((_, i) => i % 5 === 0),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} finally {
  await cleanup();
}
process.exit(0);
