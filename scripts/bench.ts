/**
 * `pnpm bench` (docs/benchmarks.md): every performance figure beside the raw baseline that bounds it,
 * measured in the same run on this machine. Prints a table (measurement | ours | baseline | ratio |
 * target | met?) and writes the same figures, with the machine, to bench-results.json at the
 * repository root. Needs Postgres (DATABASE_URL, else 127.0.0.1:5432 as postgres, then root) and
 * Redis (REDIS_URL, else 127.0.0.1:6379); each measurement uses a database and a queue prefix of
 * its own and removes them afterwards. See docs/benchmarks.md.
 *
 *   pnpm bench                        everything (about 6 minutes)
 *   pnpm bench --only raw,ledger      some measurements (raw, ledger, batch, api, e2e, procs, latency, rss, redis, scale, webhooks, budget)
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase } from '@payouts/db';
import { run as apiSingle } from '../bench/api-single.ts';
import { run as batchIngestion } from '../bench/batch-ingestion.ts';
import { run as endToEnd } from '../bench/end-to-end.ts';
import { run as latency } from '../bench/latency.ts';
import { run as ledger } from '../bench/ledger.ts';
import { machineBusyPct, machineCpu } from '../bench/meter.ts';
import { dropLeftoverDatabases, rawClient, resolveAdminUrl } from '../bench/postgres.ts';
import { run as processes } from '../bench/processes.ts';
import { run as providerBudget } from '../bench/provider-budget.ts';
import { run as rawBaselines } from '../bench/raw-baselines.ts';
import { benchRedis, deleteLeftoverPrefixes, resolveRedisUrl } from '../bench/redis.ts';
import { run as redisMemory } from '../bench/redis-memory.ts';
import { type BenchContext, type Row, round } from '../bench/results.ts';
import { run as scaleOut } from '../bench/scale-out.ts';
import { run as webhookClaim } from '../bench/webhook-claim.ts';
import { run as workerRss } from '../bench/worker-rss.ts';
import { buildAll } from './build.ts';

const ROOT = resolve(import.meta.dirname, '..');

const MEASUREMENTS: { name: string; title: string; run: (ctx: BenchContext) => Promise<void> }[] = [
  { name: 'raw', title: 'raw baselines (BullMQ, Postgres)', run: rawBaselines },
  { name: 'ledger', title: 'ledger postings on one hot wallet', run: ledger },
  { name: 'batch', title: 'batch ingestion (POST /v1/payout-batches)', run: batchIngestion },
  { name: 'api', title: 'single POST /v1/payouts under autocannon', run: apiSingle },
  { name: 'e2e', title: 'end to end, accepted → processed, and accept → submit latency', run: endToEnd },
  {
    name: 'procs',
    title:
      'apps as processes: start time and idle RSS (tsx vs dist), e2e with Redis/Postgres work per payout and loop lag',
    run: processes,
  },
  {
    name: 'latency',
    title: 'accept → provider submit at half load, compiled apps as processes, stage by stage',
    run: latency,
  },
  { name: 'rss', title: 'worker RSS with 50k payouts being polled', run: workerRss },
  { name: 'redis', title: 'Redis bytes per payout in flight', run: redisMemory },
  { name: 'scale', title: 'scale-out: 1+1 vs 2+2 worker and reconciler processes', run: scaleOut },
  { name: 'webhooks', title: 'client webhook claim with a 10k / 100k backlog', run: webhookClaim },
  { name: 'budget', title: 'provider budget: calls per payout and settle time at 10 calls/s', run: providerBudget },
];

const args = process.argv.slice(2);
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? new Set((args[onlyArg + 1] ?? '').split(',')) : null;
const log = (message: string) => process.stderr.write(`${message}\n`);

const adminUrl = await resolveAdminUrl();
const redisUrl = resolveRedisUrl();

let cleaning = false;
async function cleanup() {
  if (cleaning) return;
  cleaning = true;
  await dropLeftoverDatabases(adminUrl).catch(() => {});
  await deleteLeftoverPrefixes(redisUrl).catch(() => {});
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: dropping the bench databases and queue keys`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function machine() {
  const admin = await openDatabase(adminUrl, { max: 1 });
  const [pg] = await rawClient(admin).unsafe<{ version: string }[]>('select version()');
  await admin.close();
  const redis = benchRedis(redisUrl);
  const info = await redis.info('server');
  const policy = ((await redis.config('GET', 'maxmemory-policy').catch(() => [])) as string[])[1] ?? null;
  redis.disconnect();
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    postgres: pg?.version ?? 'unknown',
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    redisMaxmemoryPolicy: policy,
    loadAvgAtStart: os.loadavg().map((l) => round(l, 2)),
  };
}

/** How busy the machine is before we start: other sessions' work depresses every figure. */
async function busyBefore(): Promise<number | null> {
  const before = machineCpu();
  await sleep(2000);
  return machineBusyPct(before, machineCpu());
}

const idleCheck = await busyBefore();
const started = performance.now();
const startedAt = new Date().toISOString();
const ctx: BenchContext = { adminUrl, redisUrl, baselines: new Map(), rows: [], log };
const timings: Record<string, number> = {};
const host = { ...(await machine()), cpuBusyBeforeStartPct: idleCheck };
log(
  `pnpm bench on ${host.cpuCount} × ${host.cpuModel}, ${host.totalMemoryGb} GB, Node ${host.node}, Redis ${host.redis}`,
);
log(`Postgres: ${host.postgres.split(' on ')[0]}`);
log(
  `Before the run the machine was ${idleCheck ?? '?'}% busy (of ${host.cpuCount * 100}%), load average ${host.loadAvgAtStart.join(' ')}\n`,
);

// The measurements that start app processes run them compiled, as production does (`pnpm build`).
const COMPILED = ['procs', 'latency', 'rss', 'scale'];
if (COMPILED.some((name) => !only || only.has(name))) {
  const t = performance.now();
  await buildAll();
  log(`pnpm build (for ${COMPILED.join(', ')}): ${round((performance.now() - t) / 1000, 1)} s\n`);
}

for (const m of MEASUREMENTS) {
  if (only && !only.has(m.name)) continue;
  log(`▶ ${m.title}`);
  const t = performance.now();
  try {
    await m.run(ctx);
  } catch (error) {
    log(
      `  FAILED: ${(error as Error).stack ?? error}${(error as Error).cause ? `\n  cause: ${String((error as Error).cause)}` : ''}`,
    );
    ctx.rows.push({
      key: `${m.name}.error`,
      measurement: `${m.title}: FAILED`,
      ours: null,
      value: null,
      unit: '',
      baseline: null,
      baselineValue: null,
      baselineLabel: null,
      ratio: null,
      target: '—',
      met: null,
      note: (error as Error).message,
    });
  }
  timings[m.name] = round((performance.now() - t) / 1000, 1);
  log(`  (${timings[m.name]} s)\n`);
}
await cleanup();
const totalS = round((performance.now() - started) / 1000, 1);

function table(rows: Row[]): string {
  const header = ['measurement', 'ours', 'baseline', 'ratio', 'target', 'met?'];
  const lines = rows.map((r) => [
    r.measurement,
    r.ours ?? (r.note ? r.note : '—'),
    r.baseline ?? '—',
    r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
    r.target,
    r.met === null ? '—' : r.met ? 'yes' : 'NO',
  ]);
  // Every line has one cell per header: the defaults below are never used.
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]?.length ?? 0)));
  const fmtLine = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [fmtLine(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmtLine)].join('\n');
}

process.stdout.write(`\n${table(ctx.rows)}\n\n`);
const missed = ctx.rows.filter((r) => r.met === false).length;
const met = ctx.rows.filter((r) => r.met === true).length;
process.stdout.write(`${met} targets met, ${missed} missed; total run time ${totalS} s.\n`);
const loadEnd = os.loadavg()[0] ?? 0;
if ((idleCheck ?? 0) > 50)
  process.stdout.write(
    `Note: other work was running on this machine (${idleCheck}% CPU busy before the run, load average ${round(loadEnd, 2)} at the end ` +
      `on ${host.cpuCount} cores): every figure above is lower than on a quiet machine.\n`,
  );

const file = resolve(ROOT, 'bench-results.json');
writeFileSync(
  file,
  `${JSON.stringify(
    {
      startedAt,
      totalSeconds: totalS,
      secondsPerMeasurement: timings,
      machine: { ...host, loadAvgAtEnd: os.loadavg().map((l) => round(l, 2)) },
      baselines: Object.fromEntries([...ctx.baselines].map(([k, v]) => [k, round(v, 3)])),
      rows: ctx.rows,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`Wrote ${file}\n`);
process.exit(0);
