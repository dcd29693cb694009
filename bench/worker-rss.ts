/**
 * 6. Worker memory with 50,000 payouts being polled: 50k payouts `processing` in Postgres, each
 * known to the sandbox as a `…0003` payout that stays in progress; their 50k poll jobs enqueued as
 * the worker enqueues them; ONE worker process (`node apps/worker/dist/main.js`, compiled as
 * production runs it: scripts/bench.ts builds first) polls them for 45 s while its VmRSS is sampled from /proc.
 * Baseline: the same process's RSS once started, before any job. Target (docs/benchmarks.md): ≤ 200 MB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '@payouts/core';
import { payouts } from '@payouts/db';
import { createRedis, jobIds, jobOptions, Queues } from '@payouts/queue';
import { startSandbox } from '@payouts/sandbox';
import { AppProcess, freePort, inheritedEnv, PATIENCE_MS, tail, waitForLogLine } from '@payouts/testing';
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
  let worker: AppProcess | null = null;
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

    const metricsPort = await freePort();
    worker = new AppProcess(
      'worker',
      'worker',
      {
        ...inheritedEnv(),
        DATABASE_URL: database.url,
        REDIS_URL: ctx.redisUrl,
        QUEUE_PREFIX: prefix,
        RAZORPAYX_BASE_URL: `${sandbox.url}/razorpayx`,
        // Its own port: the default one may be taken by another worker on this machine.
        METRICS_PORT: String(metricsPort),
        ...WORKER_ENV,
      },
      join(logDir, 'worker.log'),
      // Nothing to do on an exit: the start wait and the RSS sampling each fail on it with the log.
      () => {},
      'dist',
    );
    worker.start();
    await waitForLogLine(worker, 'worker started', PATIENCE_MS);
    const pid = worker.pid;
    if (pid === undefined) throw new Error(`worker exited at start:\n${tail(worker.logPath)}`);
    // Started: its RSS before any job, once its start-up allocations settled, is the baseline.
    await sleep(2000);
    const idleRss = rssMb(pid) ?? Number.NaN;
    ctx.log(`  worker pid ${pid} started, RSS ${idleRss.toFixed(1)} MB`);

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

    const samples: number[] = [];
    const cpu0 = pidCpuSeconds(pid) ?? 0;
    const lookups0 = lookupCount();
    const t0 = performance.now();
    while (performance.now() - t0 < RUN_SECONDS * 1000) {
      await sleep(500);
      const rss = rssMb(pid);
      if (rss === null) throw new Error(`worker exited during the run:\n${tail(worker.logPath)}`);
      samples.push(rss);
    }
    const seconds = (performance.now() - t0) / 1000;
    // Where the memory is at the end, by V8's account: heap used and reserved, and memory outside it.
    const memory = await heapReading(metricsPort);
    ctx.log(
      `  at the end: ${Object.entries(memory)
        .map(([k, v]) => `${k} ${v} MB`)
        .join(', ')}`,
    );
    const cpuPct = (((pidCpuSeconds(pid) ?? cpu0) - cpu0) / seconds) * 100;
    const polls = lookupCount() - lookups0;
    const counts = await queues.provider('razorpayx').getJobCounts('delayed', 'waiting', 'active', 'failed');
    const maxRss = Math.max(...samples);
    const lastRss = samples[samples.length - 1] ?? Number.NaN;
    ctx.log(
      `  RSS over ${RUN_SECONDS} s: max ${maxRss.toFixed(1)} MB, last ${lastRss.toFixed(1)} MB; ` +
        `${polls} lookups (${Math.round(polls / seconds)}/s), worker CPU ${Math.round(cpuPct)}%; jobs ${JSON.stringify(counts)}`,
    );
    ctx.rows.push(
      row({
        key: 'worker.rss',
        measurement: `worker RSS, ${PAYOUTS.toLocaleString('en-US')} payouts being polled (${RUN_SECONDS} s)`,
        value: maxRss,
        unit: 'MB',
        ours: `${maxRss.toFixed(0)} MB max`,
        baselineValue: idleRss,
        baselineLabel: null,
        baseline: `${idleRss.toFixed(0)} MB idle worker`,
        target: '≤ 200 MB',
        met: maxRss <= 200,
        details: {
          payouts: PAYOUTS,
          seconds: round(seconds, 1),
          idleRssMb: round(idleRss, 1),
          maxRssMb: round(maxRss, 1),
          lastRssMb: round(lastRss, 1),
          rssEvery5sMb: samples.filter((_, i) => i % 10 === 9).map((v) => round(v, 0)),
          meanRssMb: round(samples.reduce((a, b) => a + b, 0) / samples.length, 1),
          lookups: polls,
          lookupsPerSecond: round(polls / seconds, 1),
          workerCpuPct: round(cpuPct, 0),
          jobCountsAtEnd: counts,
          sandboxRequests: { ...requests.counts },
          env: WORKER_ENV,
          memoryAtEndMb: memory,
        },
      }),
    );
  } finally {
    await worker?.stop('SIGTERM', 15_000);
    await queues.close();
    producer.disconnect();
    await sandbox.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await database.drop();
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** The worker's own memory figures from its /metrics (prom-client's default metrics), in MB. */
async function heapReading(port: number): Promise<Record<string, number>> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^nodejs_(heap_size_used|heap_size_total|external_memory)_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?)/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = round(Number(m[2]) / 1048576, 1);
    const space = /^nodejs_heap_space_size_used_bytes\{[^}]*space="(\w+)"[^}]*\} (\d+)/.exec(line);
    if (space?.[1] && space[2] && Number(space[2]) > 4 * 1048576)
      out[`used_${space[1]}`] = round(Number(space[2]) / 1048576, 1);
  }
  return out;
}
