/**
 * 11. Accept → provider submit at half load, the compiled apps as processes (as `pnpm start` and
 * production run them: tests/scale/process-system.ts, one sandbox, api, reconciler and worker).
 *
 * First the system's throughput: N payouts posted through the API by autocannon as fast as it takes
 * them, rate = N / (last `processed` − first `created_at`), as in measurement 10b. Then half that
 * rate, posted at a steady pace (autocannon's overall rate) for 10 s, and per payout:
 *
 *   accepted      `payouts.created_at` (the API's statement; the commit follows)
 *   enqueued      the `payouts.accepted` job of its group commit added (BullMQ's `added` event): the API's commit and enqueue
 *   taken         that job taken by the reconciler (`active`)
 *   hold batch    its `reserved` history row's `created_at`: the start of the hold's transaction
 *   hold done     the `submit` job added (or the `submits` job carrying it), right after that transaction committed
 *   claimed job   that job taken by the worker (`active`)
 *   claim         `provider_submissions.first_at` (the worker's claim statement)
 *   at provider   the sandbox received the create (RazorpayX's `received_at_ms`)
 *
 * Accept → submit is `at provider − accepted`. BullMQ's events come from each queue's event stream
 * (read as the run goes, so its trimming loses none), stamped by Redis's clock; the rest by
 * Postgres's and the sandbox's: one machine, one clock. Each stage's p50, p99 and mean, and its
 * share of the mean, say where the time goes. CPU of each process and of the machine during the
 * half-load run says what bounds it.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { rowsOf } from '@payouts/db';
import { jobIds, providerQueueName, RECONCILER_QUEUE } from '@payouts/queue';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { runLoad } from './load-generator.ts';
import { machineBusyPct, machineCpu, pidCpuSeconds } from './meter.ts';
import { createTenant } from './postgres.ts';
import { benchProcessSystem, E2E_ENV } from './processes.ts';
import { type BenchContext, percentile, round, row } from './results.ts';
import { INR_PAYOUT } from './system.ts';

const THROUGHPUT_PAYOUTS = 2_000;

interface Variant {
  key: string;
  label: string;
  env: Record<string, string>;
}
/**
 * The defaults, and beside them, measured in the same run at the same rate (half the defaults'
 * throughput), the reconciler with no linger at all: what a linger costs in latency and buys in
 * throughput on the same machine, minutes apart.
 */
const VARIANTS: Variant[] = [
  { key: 'defaults', label: 'defaults', env: {} },
  { key: 'noLinger', label: 'RECONCILER_LINGER_MS=0', env: { RECONCILER_LINGER_MS: '0' } },
];
const HALF_LOAD_SECONDS = 10;
const WAIT_MS = 120_000;

/** The moments of one payout, ms since the epoch, in path order (see the file's comment). */
const MOMENTS = [
  'accepted',
  'enqueued',
  'taken',
  'holdBatch',
  'holdDone',
  'claimedJob',
  'claim',
  'atProvider',
] as const;
type Moment = (typeof MOMENTS)[number];

const STAGES: { from: Moment; to: Moment; label: string }[] = [
  { from: 'accepted', to: 'enqueued', label: 'API: statement → committed and enqueued' },
  { from: 'enqueued', to: 'taken', label: 'reconciler queue: added → taken' },
  { from: 'taken', to: 'holdBatch', label: 'reconciler: taken → hold batch starts' },
  { from: 'holdBatch', to: 'holdDone', label: 'hold batch: start → committed, submit added' },
  { from: 'holdDone', to: 'claimedJob', label: 'provider queue: added → taken by the worker' },
  { from: 'claimedJob', to: 'claim', label: 'worker: taken → claim (load, gate)' },
  { from: 'claim', to: 'atProvider', label: 'worker: claim → at the provider' },
];

interface StageFigures {
  label: string;
  p50: number;
  p99: number;
  mean: number;
  sharePct: number;
}

/** Reads a BullMQ event stream from where it was last read: `added` and `active` times by job id. */
class EventTimes {
  private last = '-';
  readonly added = new Map<string, number>();
  readonly active = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async read(): Promise<void> {
    for (;;) {
      const start = this.last === '-' ? '-' : `(${this.last}`;
      const entries = await this.redis.xrange(this.key, start, '+', 'COUNT', 5000);
      for (const [id, fields] of entries) {
        const f = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
        const jobId = f.get('jobId');
        const at = Number(id.split('-')[0]);
        // The first time each: a job taken again (retried, stalled) keeps its first.
        if (jobId && f.get('event') === 'added' && !this.added.has(jobId)) this.added.set(jobId, at);
        if (jobId && f.get('event') === 'active' && !this.active.has(jobId)) this.active.set(jobId, at);
        this.last = id;
      }
      if (entries.length < 5000) return;
    }
  }
}

/** The reconciler's transactions so far and the events they applied (`payouts_ledger_batch_size`). */
async function reconcilerBatches(metricsUrl: string): Promise<{ batches: number; events: number }> {
  const text = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
  const read = (suffix: string) =>
    Number(new RegExp(`^payouts_ledger_batch_size_${suffix}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  return { batches: read('count'), events: read('sum') };
}

/** Events per reconciler transaction between two readings. */
function eventsPerBatch(before: { batches: number; events: number }, after: { batches: number; events: number }) {
  const batches = after.batches - before.batches;
  return batches > 0 ? round((after.events - before.events) / batches, 2) : null;
}

function figures(values: number[]): { p50: number; p99: number; mean: number } {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { p50: round(percentile(sorted, 50), 1), p99: round(percentile(sorted, 99), 1), mean: round(mean, 1) };
}

/** Returns the rate it posted at (the next variant posts at the same). */
async function measure(ctx: BenchContext, variant: Variant, rate?: number): Promise<number> {
  const { redis, database, prefix, system, stop } = await benchProcessSystem(ctx, 'latency', {
    ...E2E_ENV,
    ...variant.env,
  });
  const handle = await database.open(2);
  const db = handle.db;
  try {
    await system.sandboxConfig('razorpayx', { latencyMs: 0, progressDelayMs: 20 });

    const post = async (tag: string, load: { amount?: number; rate?: number; seconds?: number }) => {
      const tenant = await createTenant(db, `latency-${variant.key}-${tag}`);
      const result = await runLoad({
        url: system.apiUrl,
        path: '/v1/payouts',
        headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(INR_PAYOUT),
        connections: load.rate ? 32 : 64,
        ...(load.amount ? { amount: load.amount } : { durationS: load.seconds ?? HALF_LOAD_SECONDS }),
        ...(load.rate ? { overallRate: load.rate } : {}),
        keyPrefix: `bench-latency-${variant.key}-${tag}-${Date.now()}`,
      });
      const accepted = result.statusCodes['202'] ?? 0;
      if (result.non2xx > 0 || result.errors > 0)
        ctx.log(`  ${tag}: non-2xx ${result.non2xx}, errors ${result.errors}: ${JSON.stringify(result.statusCodes)}`);
      return { ...tenant, accepted, load: result };
    };
    const waitUntilDone = async (tenantId: string, expected: number, tick?: () => Promise<void>) => {
      const deadline = performance.now() + WAIT_MS;
      for (;;) {
        await tick?.();
        const [r] = rowsOf<{ n: number }>(
          await db.execute(
            sql`select count(*)::int as n from payouts where tenant_id = ${tenantId} and status in ('processed', 'failed', 'rejected', 'needs_attention')`,
          ),
        );
        if ((r?.n ?? 0) >= expected || performance.now() > deadline) return r?.n ?? 0;
        if (system.unexpectedExits.length > 0) throw new Error(system.unexpectedExits.join('\n'));
        await sleep(200);
      }
    };

    const reconcilerMetrics = system.metricsUrls['reconciler-1'] ?? '';
    // The system's throughput as processes (the warm-up as well: JIT, pools, prepared plans).
    const batchesBefore = await reconcilerBatches(reconcilerMetrics);
    const full = await post('throughput', { amount: THROUGHPUT_PAYOUTS });
    await waitUntilDone(full.tenantId, full.accepted);
    const batchesFull = await reconcilerBatches(reconcilerMetrics);
    const fullBatch = eventsPerBatch(batchesBefore, batchesFull);
    const [span] = rowsOf<{ seconds: number; done: number }>(
      await db.execute(sql`
        select extract(epoch from max(updated_at) - min(created_at))::float8 as seconds, count(*)::int as done
        from payouts where tenant_id = ${full.tenantId} and status = 'processed'`),
    );
    const throughput = round((span?.done ?? 0) / (span?.seconds ?? Number.NaN), 1);
    const halfRate = rate ?? Math.max(10, Math.round(throughput / 2));
    const rateText =
      rate === undefined ? `half of ${throughput}/s` : `the first variant's rate; its own throughput ${throughput}/s`;
    ctx.log(
      `  [${variant.label}] throughput as processes: ${span?.done} processed in ${round(span?.seconds ?? 0, 1)} s = ${throughput}/s; ${fullBatch} events per reconciler transaction`,
    );

    // Half of it, at a steady pace, with the event streams read as the run goes.
    const streams = {
      reconciler: new EventTimes(redis, `${prefix}:${RECONCILER_QUEUE}:events`),
      provider: new EventTimes(redis, `${prefix}:${providerQueueName('razorpayx')}:events`),
    };
    await Promise.all([streams.reconciler.read(), streams.provider.read()]);
    const readStreams = async () => {
      await Promise.all([streams.reconciler.read(), streams.provider.read()]);
    };
    let reading = true;
    const reader = (async () => {
      while (reading) {
        await readStreams();
        await sleep(250);
      }
    })();
    const pids = system.apps.map((a) => [a.name, a.pid ?? -1] as const);
    const cpuBefore = pids.map(([, pid]) => pidCpuSeconds(pid) ?? 0);
    const machineBefore = machineCpu();
    const t0 = performance.now();
    const half = await post('half-load', { rate: halfRate, seconds: HALF_LOAD_SECONDS });
    const loadSeconds = (performance.now() - t0) / 1000;
    const cpuPct = Object.fromEntries(
      pids.map(([name, pid], i) => [
        name,
        round((((pidCpuSeconds(pid) ?? 0) - (cpuBefore[i] ?? 0)) / loadSeconds) * 100, 0),
      ]),
    );
    const machinePct = machineBusyPct(machineBefore, machineCpu());
    await waitUntilDone(half.tenantId, half.accepted);
    const halfBatch = eventsPerBatch(batchesFull, await reconcilerBatches(reconcilerMetrics));
    reading = false;
    await reader;
    await readStreams();

    const dbMoments = rowsOf<{ id: string; accepted: number; holdBatch: number | null; claim: number | null }>(
      await db.execute(sql`
        select p.id,
               extract(epoch from p.created_at)::float8 * 1000 as accepted,
               extract(epoch from (select min(e.created_at) from payout_events e
                                   where e.payout_id = p.id and e.to_status = 'reserved'))::float8 * 1000 as "holdBatch",
               extract(epoch from s.first_at)::float8 * 1000 as claim
        from payouts p left join provider_submissions s on s.payout_id = p.id
        where p.tenant_id = ${half.tenantId}`),
    );
    const sandboxPayouts = (await fetch(`${system.sandboxUrl}/_admin/razorpayx/payouts`).then((r) => r.json())) as {
      data: { reference: string | null; received_at_ms?: number }[];
    };
    const atProvider = new Map<string, number>();
    for (const p of sandboxPayouts.data)
      if (p.reference && p.received_at_ms !== undefined && !atProvider.has(p.reference))
        atProvider.set(p.reference, p.received_at_ms);

    // The API hands a group commit's payouts over in one `payouts.accepted` job, named after the
    // group's first payout; a group's payouts share `created_at` (one statement's transaction time).
    const byCommit = new Map<number, string[]>();
    for (const r of dbMoments) byCommit.set(r.accepted, [...(byCommit.get(r.accepted) ?? []), r.id]);
    const acceptedJob = (r: { id: string; accepted: number }): string => {
      if (streams.reconciler.added.has(jobIds.accepted(r.id))) return jobIds.accepted(r.id);
      const group = byCommit.get(r.accepted) ?? [];
      const first = group.find((id) => streams.reconciler.added.has(jobIds.acceptedGroup(id)));
      return first ? jobIds.acceptedGroup(first) : jobIds.accepted(r.id);
    };
    // Payouts posted on their own that one hold batch reserved ride in one `submits` job, named
    // after its first payout; a hold batch's payouts share their `reserved` row's `created_at` (its
    // transaction's time). A batch that filled more than one such job is timed by the first found.
    const byHold = new Map<number, string[]>();
    for (const r of dbMoments)
      if (r.holdBatch !== null) byHold.set(r.holdBatch, [...(byHold.get(r.holdBatch) ?? []), r.id]);
    // `submits-<first payout>-<digest of the set>`: by its first payout.
    const submitsByFirst = new Map<string, string>();
    for (const jobId of streams.provider.added.keys()) {
      const first = /^submits-(.+)-[0-9a-f]{16}$/.exec(jobId)?.[1];
      if (first && !submitsByFirst.has(first)) submitsByFirst.set(first, jobId);
    }
    const submitJob = (r: { id: string; holdBatch: number | null }): string => {
      if (streams.provider.added.has(jobIds.submit(r.id))) return jobIds.submit(r.id);
      const group = r.holdBatch === null ? [] : (byHold.get(r.holdBatch) ?? []);
      const first = group.find((id) => submitsByFirst.has(id));
      return (first && submitsByFirst.get(first)) || jobIds.submit(r.id);
    };
    const payouts = dbMoments.map(
      (r): Record<Moment, number> => ({
        accepted: r.accepted,
        enqueued: streams.reconciler.added.get(acceptedJob(r)) ?? Number.NaN,
        taken: streams.reconciler.active.get(acceptedJob(r)) ?? Number.NaN,
        holdBatch: r.holdBatch ?? Number.NaN,
        holdDone: streams.provider.added.get(submitJob(r)) ?? Number.NaN,
        claimedJob: streams.provider.active.get(submitJob(r)) ?? Number.NaN,
        claim: r.claim ?? Number.NaN,
        atProvider: atProvider.get(r.id) ?? Number.NaN,
      }),
    );
    const complete = payouts.filter((p) => MOMENTS.every((m) => Number.isFinite(p[m])));
    const total = figures(complete.map((p) => p.atProvider - p.accepted));
    const toClaim = figures(complete.map((p) => p.claim - p.accepted));
    const stages: StageFigures[] = STAGES.map((s) => {
      const f = figures(complete.map((p) => p[s.to] - p[s.from]));
      return { label: s.label, ...f, sharePct: round((f.mean / Math.max(1e-9, total.mean)) * 100, 0) };
    });
    ctx.log(
      `  [${variant.label}] accept → at the provider at ${halfRate}/s (${rateText}), ${complete.length} of ${payouts.length} payouts with every moment: ` +
        `p50 ${total.p50} / p99 ${total.p99} ms (mean ${total.mean}); accept → claim p50 ${toClaim.p50} / p99 ${toClaim.p99} ms`,
    );
    for (const s of stages)
      ctx.log(`    ${s.label.padEnd(50)} p50 ${s.p50} / p99 ${s.p99} / mean ${s.mean} ms (${s.sharePct}% of the mean)`);
    ctx.log(
      `    CPU during the half-load run (% of one core): ${JSON.stringify(cpuPct)}; machine ${machinePct}%; ${halfBatch} events per reconciler transaction`,
    );

    const hopP50 = ctx.baselines.get('bullmq.hopP50') ?? null;
    const hopP99 = ctx.baselines.get('bullmq.hopP99') ?? null;
    ctx.rows.push(
      row({
        key: `latency.acceptToSubmit.${variant.key}`,
        measurement: `accept → provider submit at ${halfRate}/s (${rateText}), compiled apps as processes, ${variant.label}`,
        value: total.p50,
        unit: 'ms',
        ours: `p50 ${total.p50} / p99 ${total.p99} ms`,
        baselineValue: hopP50,
        baselineLabel: null,
        baseline: hopP50 === null ? null : `BullMQ hop p50 ${hopP50.toFixed(2)} / p99 ${hopP99?.toFixed(2)} ms`,
        target: variant.key === 'defaults' ? 'p50 ≤ 50 ms, p99 ≤ 200 ms (issue 17)' : '—',
        met: variant.key !== 'defaults' || complete.length === 0 ? null : total.p50 <= 50 && total.p99 <= 200,
        details: {
          throughputPerSecond: throughput,
          eventsPerReconcilerTransaction: { throughputRun: fullBatch, halfLoadRun: halfBatch },
          ratePerSecond: halfRate,
          seconds: HALF_LOAD_SECONDS,
          accepted: half.accepted,
          measured: complete.length,
          apiLatencyMs: half.load.latencyMs,
          acceptToSubmitMs: total,
          acceptToClaimMs: toClaim,
          stages,
          cpuPct,
          machinePct,
          env: { ...E2E_ENV, ...variant.env },
        },
      }),
    );
    return halfRate;
  } finally {
    await stop();
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  let rate: number | undefined;
  for (const variant of VARIANTS) rate = await measure(ctx, variant, rate);
}
