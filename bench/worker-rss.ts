/**
 * 6. Worker memory with 50,000 payouts being polled: 50k payouts `processing` in Postgres, each
 * known to the sandbox as a `…0003` payout that stays in progress; their 50k poll jobs enqueued as
 * the worker enqueues them; ONE worker process (`node apps/worker/dist/main.js`, compiled:
 * scripts/bench.ts builds first) polls them for 45 s while its VmRSS is sampled from /proc. Twice,
 * one after the other on the same queue: without V8 flags, then with the flags production starts
 * it with (NODE_FLAGS.worker), so the flags' memory and their cost in lookups/s come from one run.
 * Each pass also reads its RSS once started, before any job. Target (docs/benchmarks.md): ≤ 200 MB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '@payouts/core';
import { payouts } from '@payouts/db';
import { createRedis, jobIds, jobOptions, Queues } from '@payouts/queue';
import { NODE_FLAGS } from '@payouts/runtime';
import { startSandbox } from '@payouts/sandbox';
import { AppProcess, freePort, inheritedEnv, PATIENCE_MS, tail, waitForLogLine } from '@payouts/testing';
import type { Queue } from 'bullmq';
import { pidCpuSeconds, rssMb } from './meter.ts';
import { createBenchDatabase, createTenant } from './postgres.ts';
import { benchPrefix, benchRedis, deletePrefix } from './redis.ts';
import { type BenchContext, round, row } from './results.ts';
import { sandboxRequestCounter } from './system.ts';

const PAYOUTS = 50_000;
const RUN_SECONDS = 45;
const WORKER_ENV = {
  WORKER_PROVIDERS: 'razorpayx',
  RAZORPAYX_CONCURRENCY: '100',
  RAZORPAYX_RATE_PER_SECOND: '100000',
  POLL_FIRST_DELAY_MS: '1000',
  POLL_FACTOR: '2',
  POLL_MAX_DELAY_MS: '10000',
  // info, not warn: its start line is how we know it is up; polling logs nothing at info.
  LOG_LEVEL: 'info',
};

export async function run(ctx: BenchContext): Promise<void> {
  const database = await createBenchDatabase(ctx.adminUrl);
  const prefix = benchPrefix('rss');
  const redis = benchRedis(ctx.redisUrl);
  // Counts the sandbox's answers to payout lookups (one debug line per request).
  const requests = sandboxRequestCounter();
  const lookupCount = () =>
    Object.entries(requests.counts)
      .filter(([kind]) => kind.startsWith('GET '))
      .reduce((sum, [, n]) => sum + n, 0);
  const sandbox = await startSandbox({ port: 0, host: '127.0.0.1', logger: requests.logger });
  const producer = createRedis(ctx.redisUrl, 'worker');
  const queues = new Queues(producer, prefix);
  const logDir = mkdtempSync(join(tmpdir(), 'payouts-bench-rss-'));
  try {
    const db = (await database.open(4)).db;
    const { tenantId } = await createTenant(db, 'rss-bench');
    const razorpayx = sandbox.state.razorpayx;
    const accountNumber = razorpayx.credentials.accountNumber;

    // 50k payouts held in progress at the sandbox (…0003) and `processing` in Postgres.
    ctx.log(`  creating ${PAYOUTS} payouts at the sandbox and in Postgres`);
    const ids: string[] = [];
    for (let i = 0; i < PAYOUTS; i += 1000) {
      const values: (typeof payouts.$inferInsert)[] = [];
      for (let j = i; j < Math.min(PAYOUTS, i + 1000); j++) {
        const id = newId('payout');
        const input = {
          account_number: accountNumber,
          amount: 50_000,
          currency: 'INR' as const,
          mode: 'IMPS' as const,
          purpose: 'payout' as const,
          fund_account_id: `fa_bench${String(j).padStart(6, '0')}0003`,
          reference_id: id.slice(3, 43),
          narration: 'Acme salary',
        };
        const created = razorpayx.create(input, id.slice(3, 39), input);
        if (created.kind !== 'created') throw new Error(`sandbox create: ${created.kind}`);
        const wire = created.payout;
        ids.push(id);
        values.push({
          id,
          tenantId,
          status: 'processing',
          amount: 50_000n,
          currency: 'INR',
          provider: 'razorpayx',
          method: 'IMPS',
          purpose: 'payout',
          narration: 'Acme salary',
          beneficiary: { name: 'Asha Rao', provider_account_id: input.fund_account_id },
          providerIdempotencyKey: id,
          providerPayoutId: wire.id,
          providerStatus: wire.status,
          fees: wire.fees === null ? null : BigInt(wire.fees - (wire.tax ?? 0)),
          tax: wire.tax === null ? null : BigInt(wire.tax),
          feeReserve: 3_000n,
        });
      }
      await db.insert(payouts).values(values);
    }

    // The poll jobs, as the worker's ensurePolling adds them, first looks spread over 2 s.
    for (let i = 0; i < PAYOUTS; i += 1000) {
      await queues.provider('razorpayx').addBulk(
        ids.slice(i, i + 1000).map((payoutId) => ({
          name: 'poll',
          data: { payoutId, attempt: 0 },
          opts: jobOptions('poll', { jobId: jobIds.poll(payoutId), delay: Math.floor(Math.random() * 2000) }),
        })),
      );
    }

    // The same queue polled twice, one worker after the other: without V8 flags (the same run's
    // baseline), then as production starts it. Each pass finds ~50k jobs due or nearly due.
    const baseEnv = {
      ...inheritedEnv(),
      DATABASE_URL: database.url,
      REDIS_URL: ctx.redisUrl,
      QUEUE_PREFIX: prefix,
      RAZORPAYX_BASE_URL: `${sandbox.url}/razorpayx`,
      ...WORKER_ENV,
    };
    const pass = (label: string, nodeFlags: readonly string[]) =>
      pollWith(ctx, { label, nodeFlags, env: baseEnv, logDir, lookupCount, queue: queues.provider('razorpayx') });
    const bare = await pass('without flags', []);
    const production = await pass(`as production runs it (${NODE_FLAGS.worker.join(' ')})`, NODE_FLAGS.worker);
    const counts = await queues.provider('razorpayx').getJobCounts('delayed', 'waiting', 'active', 'failed');
    ctx.log(`  jobs at the end: ${JSON.stringify(counts)}`);
    const summary = (p: Pass) => ({
      idleRssMb: round(p.idleRss, 1),
      maxRssMb: round(p.maxRss, 1),
      lastRssMb: round(p.lastRss, 1),
      meanRssMb: round(p.meanRss, 1),
      rssEvery5sMb: p.rssEvery5s,
      lookups: p.lookups,
      lookupsPerSecond: round(p.lookupsPerSecond, 1),
      workerCpuPct: round(p.cpuPct, 0),
      cpuMsPerLookup: round(p.cpuMsPerLookup, 2),
      memoryAtEndMb: p.memory,
      gcSeconds: p.gcSeconds,
    });
    const lookupRatio = production.lookupsPerSecond / bare.lookupsPerSecond;
    ctx.rows.push(
      row({
        key: 'worker.rss',
        measurement: `worker RSS, ${PAYOUTS.toLocaleString('en-US')} payouts being polled (${RUN_SECONDS} s)`,
        value: production.maxRss,
        unit: 'MB',
        ours: `${production.maxRss.toFixed(0)} MB max, ${Math.round(production.lookupsPerSecond)} lookups/s`,
        baselineValue: bare.maxRss,
        baselineLabel: null,
        baseline:
          `without flags ${bare.maxRss.toFixed(0)} MB max, ${Math.round(bare.lookupsPerSecond)} lookups/s ` +
          `(${lookupRatio.toFixed(2)}×); idle ${production.idleRss.toFixed(0)} MB`,
        target: '≤ 200 MB',
        met: production.maxRss <= 200,
        details: {
          payouts: PAYOUTS,
          seconds: RUN_SECONDS,
          nodeFlags: NODE_FLAGS.worker,
          production: summary(production),
          withoutFlags: summary(bare),
          lookupsRatio: round(lookupRatio, 2),
          jobCountsAtEnd: counts,
          sandboxRequests: { ...requests.counts },
          env: WORKER_ENV,
        },
      }),
    );
  } finally {
    await queues.close();
    producer.disconnect();
    await sandbox.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await database.drop();
    rmSync(logDir, { recursive: true, force: true });
  }
}

/**
 * The worker's own memory figures from its /metrics (prom-client's default metrics), in MB, and the
 * time its garbage collector took so far, by kind, in seconds.
 */
async function heapReading(
  port: number,
): Promise<{ memory: Record<string, number>; gcSeconds: Record<string, number> }> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  const memory: Record<string, number> = {};
  const gcSeconds: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^nodejs_(heap_size_used|heap_size_total|external_memory)_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?)/.exec(line);
    if (m?.[1] && m[2]) memory[m[1]] = round(Number(m[2]) / 1048576, 1);
    const space = /^nodejs_heap_space_size_used_bytes\{[^}]*space="(\w+)"[^}]*\} (\d+)/.exec(line);
    if (space?.[1] && space[2] && Number(space[2]) > 4 * 1048576)
      memory[`used_${space[1]}`] = round(Number(space[2]) / 1048576, 1);
    const gc = /^nodejs_gc_duration_seconds_sum\{[^}]*kind="(\w+)"[^}]*\} (\d+(?:\.\d+)?(?:e-?\d+)?)/.exec(line);
    if (gc?.[1] && gc[2]) gcSeconds[gc[1]] = round(Number(gc[2]), 2);
  }
  return { memory, gcSeconds };
}

interface Pass {
  idleRss: number;
  maxRss: number;
  lastRss: number;
  meanRss: number;
  rssEvery5s: number[];
  lookups: number;
  lookupsPerSecond: number;
  cpuPct: number;
  /** The worker's CPU time per lookup: what the flags cost, less sensitive than lookups/s to how much CPU the machine gave it. */
  cpuMsPerLookup: number;
  memory: Record<string, number>;
  /** Seconds the garbage collector took, by kind (major, minor, incremental, weakcb), start-up included. */
  gcSeconds: Record<string, number>;
}

/**
 * One compiled worker (`node <nodeFlags> dist/main.js`) polls the queue for RUN_SECONDS while its
 * VmRSS is sampled every 0.5 s; its RSS once started, the queue paused, is its idle figure. Stopped
 * at the end (its jobs in flight go back to the queue for the next pass).
 */
async function pollWith(
  ctx: BenchContext,
  o: {
    label: string;
    nodeFlags: readonly string[];
    env: NodeJS.ProcessEnv;
    logDir: string;
    lookupCount: () => number;
    queue: Queue;
  },
): Promise<Pass> {
  const metricsPort = await freePort();
  const worker = new AppProcess(
    'worker',
    'worker',
    // Its own port: the default one may be taken by another worker on this machine.
    { ...o.env, METRICS_PORT: String(metricsPort) },
    // A log of its own: the start wait looks for the start line in it.
    join(o.logDir, `worker-${o.nodeFlags.length > 0 ? 'flags' : 'bare'}.log`),
    // Nothing to do on an exit: the start wait and the RSS sampling each fail on it with the log.
    () => {},
    'dist',
    o.nodeFlags,
  );
  // Paused until its idle RSS is read: the jobs are queued already.
  await o.queue.pause();
  try {
    worker.start();
    await waitForLogLine(worker, 'worker started', PATIENCE_MS);
    const pid = worker.pid;
    if (pid === undefined) throw new Error(`worker exited at start:\n${tail(worker.logPath)}`);
    // Started: its RSS before any job, once its start-up allocations settled, is its idle figure.
    await sleep(2000);
    const idleRss = rssMb(pid) ?? Number.NaN;
    ctx.log(`  worker ${o.label}: pid ${pid} started, RSS ${idleRss.toFixed(1)} MB`);
    await o.queue.resume();
    const samples: number[] = [];
    const cpu0 = pidCpuSeconds(pid) ?? 0;
    const lookups0 = o.lookupCount();
    const t0 = performance.now();
    while (performance.now() - t0 < RUN_SECONDS * 1000) {
      await sleep(500);
      const rss = rssMb(pid);
      if (rss === null) throw new Error(`worker exited during the run:\n${tail(worker.logPath)}`);
      samples.push(rss);
    }
    const seconds = (performance.now() - t0) / 1000;
    // Where the memory is at the end, by V8's account: heap used and reserved, and memory outside it.
    const { memory, gcSeconds } = await heapReading(metricsPort);
    const cpuSeconds = (pidCpuSeconds(pid) ?? cpu0) - cpu0;
    const cpuPct = (cpuSeconds / seconds) * 100;
    const lookups = o.lookupCount() - lookups0;
    const pass: Pass = {
      idleRss,
      maxRss: Math.max(...samples),
      lastRss: samples[samples.length - 1] ?? Number.NaN,
      meanRss: samples.reduce((a, b) => a + b, 0) / samples.length,
      rssEvery5s: samples.filter((_, i) => i % 10 === 9).map((v) => round(v, 0)),
      lookups,
      lookupsPerSecond: lookups / seconds,
      cpuPct,
      cpuMsPerLookup: (cpuSeconds * 1000) / lookups,
      memory,
      gcSeconds,
    };
    ctx.log(
      `  at the end: ${Object.entries(memory)
        .map(([k, v]) => `${k} ${v} MB`)
        .join(', ')}`,
    );
    ctx.log(
      `  RSS over ${RUN_SECONDS} s: max ${pass.maxRss.toFixed(1)} MB, last ${pass.lastRss.toFixed(1)} MB; ` +
        `${lookups} lookups (${Math.round(pass.lookupsPerSecond)}/s), worker CPU ${Math.round(cpuPct)}% ` +
        `(${pass.cpuMsPerLookup.toFixed(2)} ms a lookup); GC ${JSON.stringify(gcSeconds)} s`,
    );
    return pass;
  } finally {
    await worker.stop('SIGTERM', 15_000);
  }
}
