/**
 * Shared setup for `pnpm bench` (scripts/bench.ts): a Postgres database of its own per
 * measurement (`payouts_bench_<random>`, migrated, dropped afterwards), a Redis queue prefix of its
 * own per measurement (its keys deleted afterwards — never FLUSHALL: tests share that Redis), the
 * whole system started in this process exactly as scripts/start.ts and tests/support/system.ts do,
 * an HTTP load generator in a child process, and CPU meters for this process, Postgres and Redis.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { resolve } from 'node:path';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { generateApiKey, hashApiKey, keyPrefix, type RunningApi, readApiEnv, startApi } from '@payouts/api';
import type { Currency } from '@payouts/core';
import { newId } from '@payouts/core';
import { apiKeys, type Database, type DatabaseHandle, migrateDatabase, openDatabase, tenants } from '@payouts/db';
import { fundingTransaction, postTransactions } from '@payouts/ledger';
import { createLogger } from '@payouts/observability';
import { sandboxProviderEnv } from '@payouts/providers';
import { createRedis, Queues, type RedisConnection } from '@payouts/queue';
import { type RunningReconciler, readReconcilerEnv, startReconciler } from '@payouts/reconciler';
import { type ProviderConfigPatch, type RunningSandbox, startSandbox } from '@payouts/sandbox';
import { findPostgresAdminUrl, withDatabase } from '@payouts/testing';
import { adaptersFromEnv, type RunningWorkers, readWorkerEnv, startWorkers, workerSettings } from '@payouts/worker';
import { Redis } from 'ioredis';

export const ROOT = resolve(import.meta.dirname, '..');

// ── results ─────────────────────────────────────────────────────────────────────────────────────

/** One line of the table (and of bench-results.json). */
export interface Row {
  key: string;
  measurement: string;
  /** Our figure, formatted for the table; null when not measured (see `note`). */
  ours: string | null;
  value: number | null;
  unit: string;
  /** The raw baseline measured in the same run, formatted, with what it is. */
  baseline: string | null;
  baselineValue: number | null;
  baselineLabel: string | null;
  /** ours / baseline (for latencies and memory: ours / baseline too, lower is better). */
  ratio: number | null;
  target: string;
  /** null: no target (a raw baseline) or not measured. */
  met: boolean | null;
  note?: string;
  details?: Record<string, unknown>;
}

export interface BenchContext {
  adminUrl: string;
  redisUrl: string;
  /** Figures later measurements compare against, by key (e.g. `bullmq.addBulk`). */
  baselines: Map<string, number>;
  rows: Row[];
  log(message: string): void;
}

export function row(r: Omit<Row, 'ratio' | 'ours' | 'baseline'> & { ours?: string | null; baseline?: string | null }) {
  const ratio = r.value !== null && r.baselineValue ? r.value / r.baselineValue : null;
  return {
    ...r,
    ours: r.ours ?? (r.value === null ? null : `${fmt(r.value)} ${r.unit}`),
    baseline:
      r.baseline ??
      (r.baselineValue === null ? null : `${fmt(r.baselineValue)}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`),
    ratio,
  } satisfies Row;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

// ── Postgres ────────────────────────────────────────────────────────────────────────────────────

/** The postgres-js client under drizzle, for the raw baselines (the `postgres` package is not a root dependency). */
export interface RawSql {
  unsafe<T = Record<string, unknown>[]>(query: string, params?: unknown[]): Promise<T>;
}

export function rawClient(handle: DatabaseHandle): RawSql {
  return (handle.db as unknown as { $client: RawSql }).$client;
}

/** DATABASE_URL when it is a postgres URL, else the local server as postgres, then as root. */
export async function resolveAdminUrl(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { url, tried } = await findPostgresAdminUrl(env);
  if (url) return url;
  throw new Error(`pnpm bench needs Postgres: none answered at ${tried.join(', ')} (set DATABASE_URL)`);
}

export function resolveRedisUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

async function adminQuery(adminUrl: string, query: string): Promise<void> {
  const admin = await openDatabase(adminUrl, { max: 1 });
  try {
    await rawClient(admin).unsafe(query);
  } finally {
    await admin.close();
  }
}

const liveDatabases = new Set<string>();

export interface BenchDatabase {
  name: string;
  url: string;
  /** A pool of `max` connections on this database; closed by drop(). */
  open(max: number): Promise<DatabaseHandle>;
  /** What a Meter needs to attribute Postgres backends to this database. */
  stats: { adminSql: () => Promise<RawSql>; name: string };
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `payouts_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `create database "${name}"`);
  liveDatabases.add(name);
  const url = withDatabase(adminUrl, name);
  const handles: DatabaseHandle[] = [];
  const open = async (max: number) => {
    const h = await openDatabase(url, { max });
    handles.push(h);
    return h;
  };
  const first = await open(2);
  await migrateDatabase(first);
  return {
    name,
    url,
    open,
    stats: { adminSql: async () => rawClient(first), name },
    async drop() {
      await Promise.all(handles.map((h) => h.close().catch(() => {})));
      await adminQuery(adminUrl, `drop database if exists "${name}" with (force)`);
      liveDatabases.delete(name);
    },
  };
}

/** Drops whatever a failed or interrupted measurement left behind. */
export async function dropLeftoverDatabases(adminUrl: string): Promise<void> {
  for (const name of [...liveDatabases]) {
    await adminQuery(adminUrl, `drop database if exists "${name}" with (force)`).catch(() => {});
    liveDatabases.delete(name);
  }
}

/** A tenant with a tenant API key and a funded wallet, written directly (no reconciler needed). */
export async function createTenant(
  db: Database,
  name: string,
  funds: Partial<Record<Currency, bigint>> = { INR: 10n ** 15n },
): Promise<{ tenantId: string; key: string }> {
  const tenantId = newId('tenant');
  await db.insert(tenants).values({ id: tenantId, name });
  const key = generateApiKey('test');
  await db.insert(apiKeys).values({
    id: newId('apiKey'),
    tenantId,
    role: 'tenant',
    prefix: keyPrefix(key),
    hash: hashApiKey(key),
  });
  await db.transaction(async (tx) => {
    await postTransactions(
      tx,
      Object.entries(funds).map(([currency, amount]) =>
        fundingTransaction(tenantId, currency as Currency, amount!, `bench-${name}-${currency}`),
      ),
    );
  });
  return { tenantId, key };
}

// ── Redis ───────────────────────────────────────────────────────────────────────────────────────

const livePrefixes = new Set<string>();

/** A queue prefix of its own (hash-tagged like the production one). */
export function benchPrefix(tag: string): string {
  const prefix = `{bench-${tag}-${randomBytes(4).toString('hex')}}`;
  livePrefixes.add(prefix);
  return prefix;
}

export function benchRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: 'payouts-bench' });
}

/** Deletes every key under the prefix (SCAN + UNLINK), and nothing else. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  livePrefixes.delete(prefix);
  return deleted;
}

export async function deleteLeftoverPrefixes(url: string): Promise<void> {
  if (livePrefixes.size === 0) return;
  const redis = benchRedis(url);
  try {
    for (const p of [...livePrefixes]) await deletePrefix(redis, p).catch(() => {});
  } finally {
    redis.disconnect();
  }
}

// ── CPU meters ──────────────────────────────────────────────────────────────────────────────────

const CLOCK_TICKS = 100;

/** CPU seconds per process whose pid and command name pass `filter`, from /proc (Linux; empty elsewhere). */
export function procCpu(filter: (pid: number, comm: string) => boolean): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(open + 1, close);
      if (!filter(pid, comm)) continue;
      const fields = stat.slice(close + 2).split(' ');
      // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

export function pidCpuSeconds(pid: number): number | null {
  return procCpu((p) => p === pid).get(pid) ?? null;
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
  } catch {
    return null;
  }
}

export function rssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return get('used_cpu_sys') + get('used_cpu_user');
}

/** Every figure is % of ONE core (this machine has os.cpus().length of them). */
export interface Usage {
  wallS: number;
  /** This Node process (all in-process apps together). */
  nodeCpuPct: number;
  /** Main-thread event-loop utilisation, %: near 100 means this thread is the bottleneck. */
  eventLoopPct: number;
  /** The Postgres backends serving this measurement's database. */
  postgresCpuPct: number | null;
  /** Every postgres process on the machine (other sessions' backends and background writers too). */
  postgresAllCpuPct: number | null;
  /** The Redis server (INFO cpu); it may serve other sessions too. */
  redisCpuPct: number;
  /** The whole machine, busy: up to cores × 100. The rest of it is other processes than ours. */
  machineCpuPct: number | null;
  /** 1-minute load average at the end. */
  loadAvg1: number;
}

export class Meter {
  private t = 0;
  private cpu: NodeJS.CpuUsage = process.cpuUsage();
  private elu: EventLoopUtilization = performance.eventLoopUtilization();
  private pg = new Map<number, number>();
  private machine: { busy: number; total: number } | null = null;
  private redisCpu = 0;

  constructor(
    private readonly redis: Redis,
    /** The measurement's database, to attribute Postgres backends to it. */
    private readonly database?: { adminSql: () => Promise<RawSql>; name: string },
  ) {}

  async start(): Promise<void> {
    this.pg = procCpu((_, comm) => comm === 'postgres');
    this.machine = machineCpu();
    this.redisCpu = await redisCpuSeconds(this.redis);
    this.t = performance.now();
    this.cpu = process.cpuUsage();
    this.elu = performance.eventLoopUtilization();
  }

  async stop(): Promise<Usage> {
    const wallS = (performance.now() - this.t) / 1000;
    const cpu = process.cpuUsage(this.cpu);
    const elu = performance.eventLoopUtilization(this.elu);
    const pg = procCpu((_, comm) => comm === 'postgres');
    const machine = machineCpu();
    const redisCpu = await redisCpuSeconds(this.redis);
    const delta = (pids: Iterable<number>) => {
      let sum = 0;
      for (const pid of pids) sum += (pg.get(pid) ?? 0) - (this.pg.get(pid) ?? 0);
      return sum;
    };
    let ours: number | null = null;
    if (this.database && pg.size > 0) {
      const sql = await this.database.adminSql();
      const rows = await sql.unsafe<{ pid: number }[]>('select pid from pg_stat_activity where datname = $1', [
        this.database.name,
      ]);
      ours = delta(rows.map((r) => Number(r.pid)));
    }
    const pct = (seconds: number) => round((seconds / wallS) * 100, 0);
    return {
      wallS: round(wallS, 2),
      nodeCpuPct: pct((cpu.user + cpu.system) / 1e6),
      eventLoopPct: round(elu.utilization * 100, 0),
      postgresCpuPct: ours === null ? null : pct(ours),
      postgresAllCpuPct: pg.size === 0 ? null : pct(delta(pg.keys())),
      redisCpuPct: pct(redisCpu - this.redisCpu),
      machineCpuPct:
        machine && this.machine
          ? round(
              ((machine.busy - this.machine.busy) / (machine.total - this.machine.total)) * os.cpus().length * 100,
              0,
            )
          : null,
      loadAvg1: round(os.loadavg()[0] ?? 0, 2),
    };
  }
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function usageText(u: Usage, extra: Record<string, number | null> = {}): string {
  const parts = [
    `node ${u.nodeCpuPct}% CPU (event loop ${u.eventLoopPct}% busy)`,
    `postgres ${u.postgresCpuPct ?? '?'}% (all postgres ${u.postgresAllCpuPct ?? '?'}%)`,
    `redis ${u.redisCpuPct}%`,
    ...Object.entries(extra).map(([k, v]) => `${k} ${v ?? '?'}%`),
    `machine ${u.machineCpuPct ?? '?'}% of ${os.cpus().length * 100}%, load ${u.loadAvg1}`,
  ];
  return parts.join(', ');
}

// ── HTTP load generator (autocannon, in a child process so it does not share our event loop) ────

export interface LoadOptions {
  url: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationS?: number;
  /** Stop after this many requests (instead of a duration). */
  amount?: number;
  /** Requests per second across all connections (open-loop pacing). */
  overallRate?: number;
  /** Every request gets `Idempotency-Key: <keyPrefix>-<n>`. */
  keyPrefix: string;
}

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  statusCodes: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** The load generator's own CPU, % of one core. */
  cpuPct: number;
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'bench/load.ts')], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`load generator exited ${code}: ${err.slice(-2000)}`));
        return;
      }
      resolvePromise(JSON.parse(last) as LoadResult);
    });
    child.stdin.end(JSON.stringify(options));
  });
}

export const INR_PAYOUT = {
  amount: 50_000,
  currency: 'INR',
  method: 'IMPS',
  purpose: 'payout',
  narration: 'Acme salary',
  beneficiary: { name: 'Asha Rao', account_number: '123456789012', bank_code: 'HDFC0001234' },
};

// ── the whole system in this process (as scripts/start.ts and tests/support/system.ts) ──────────

/** Counts the sandbox's requests by kind, from its debug log lines (one per request). */
export function sandboxRequestCounter() {
  const counts: Record<string, number> = {};
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      try {
        const line = JSON.parse(chunk.toString()) as { method?: string; path?: string };
        if (line.method && line.path) {
          const kind = `${line.method} ${line.path.replace(/\/(pout|po|dep|wd|tx)_[A-Za-z0-9_-]+$/, '/:id')}`;
          counts[kind] = (counts[kind] ?? 0) + 1;
        }
      } catch {}
      done();
    },
  });
  return { counts, logger: createLogger({ name: 'sandbox', level: 'debug', destination: stream }) };
}

export interface System {
  api: RunningApi;
  sandbox: RunningSandbox;
  /** Sandbox requests by kind (method and path, ids folded), since start. */
  sandboxRequests: Record<string, number>;
  queues: Queues;
  producer: RedisConnection;
  prefix: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Sandbox, api, and (with `processing`) reconciler and workers, each built from its own env parser
 * as its main.ts does, with its own connection pool of the size its main.ts opens (api 20,
 * reconciler 10, worker 10). `env` overrides the defaults below.
 */
export async function startSystem(options: {
  db: BenchDatabase;
  redisUrl: string;
  prefix: string;
  processing: boolean;
  sandbox?: ProviderConfigPatch;
  env?: Record<string, string>;
}): Promise<System> {
  const config = { progressDelayMs: 20, ...options.sandbox };
  const requests = sandboxRequestCounter();
  const sandbox = await startSandbox({
    port: 0,
    host: '127.0.0.1',
    logger: requests.logger,
    config,
  });
  const env: Record<string, string> = {
    DATABASE_URL: options.db.url,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.prefix,
    PORT: '0',
    LOG_LEVEL: 'error',
    ...sandboxProviderEnv(sandbox.url),
    SWEEP_INTERVAL_MS: '60000',
    SWEEP_AFTER_MS: '120000',
    // The limiter runs on every request (its Redis round trip is part of what is measured), but
    // the load generator's one key must not be throttled by the default of 1,000/s.
    RATE_LIMIT_PER_SECOND: '1000000',
    ...options.env,
  };
  const logger = createLogger({ name: 'bench', level: env.LOG_LEVEL });
  const producer = createRedis(env.REDIS_URL!, 'worker');
  const queues = new Queues(producer, env.QUEUE_PREFIX!);

  let reconciler: RunningReconciler | null = null;
  let workers: RunningWorkers | null = null;
  if (options.processing) {
    const reconcilerEnv = readReconcilerEnv(env);
    const reconcilerDb = await options.db.open(10);
    reconciler = startReconciler({
      db: reconcilerDb.db,
      redisUrl: reconcilerEnv.REDIS_URL,
      prefix: reconcilerEnv.QUEUE_PREFIX,
      queues,
      logger: logger.child({ app: 'reconciler' }),
      batch: {
        maxBatch: reconcilerEnv.RECONCILER_BATCH_SIZE,
        lingerMs: reconcilerEnv.RECONCILER_LINGER_MS,
        maxConcurrent: reconcilerEnv.RECONCILER_CONCURRENT_BATCHES,
      },
      sweepIntervalMs: reconcilerEnv.SWEEP_INTERVAL_MS,
      sweepAfterMs: reconcilerEnv.SWEEP_AFTER_MS,
      reversalWatchMs: reconcilerEnv.REVERSAL_WATCH_MS,
    });
    const workerEnv = readWorkerEnv(env);
    const workerDb = await options.db.open(10);
    const adapters = adaptersFromEnv(workerEnv);
    workers = startWorkers({
      db: workerDb.db,
      redisUrl: workerEnv.REDIS_URL,
      prefix: workerEnv.QUEUE_PREFIX,
      queues,
      logger: logger.child({ app: 'worker' }),
      adapters,
      providers: workerEnv.WORKER_PROVIDERS ?? [...adapters.keys()],
      settings: workerSettings(workerEnv),
    });
  }
  const apiDb = await options.db.open(20);
  const api = await startApi({
    env: readApiEnv(env),
    db: apiDb.db,
    logger: logger.child({ app: 'api' }),
    host: '127.0.0.1',
  });
  return {
    api,
    sandbox,
    sandboxRequests: requests.counts,
    queues,
    producer,
    prefix: options.prefix,
    env,
    async stop() {
      await api.close();
      await workers?.close(2000);
      await reconciler?.close(2000);
      await queues.close();
      producer.disconnect();
      await sandbox.close();
    },
  };
}

// ── CPU profile of this process, grouped by package ────────────────────────────────────────────

/** Starts V8's sampling profiler on this process; stop() returns self time by package and the hottest functions. */
export async function startProfiler() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return analyseProfile(profile as { nodes: ProfileNode[] });
    },
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}

/**
 * Self time of the sampled profile, grouped by package (node_modules name, or apps/x, packages/x),
 * and the hottest functions.
 */
export function analyseProfile(profile: { nodes: ProfileNode[] }) {
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let all = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    all += hits;
    const { url, functionName, lineNumber, columnNumber } = node.callFrame;
    const pkg = bucket(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
    const file = url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*\/node_modules\//, '');
    const fn = url ? `${functionName || '(anonymous)'} (${file}:${lineNumber + 1}:${columnNumber + 1})` : functionName;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  }
  const ranked = (m: Map<string, number>) =>
    [...m].map(([name, hits]) => ({ name, pct: round((hits / all) * 100, 1) })).sort((a, b) => b.pct - a.pct);
  return { cpuByPackage: ranked(byPackage), topFunctions: ranked(byFunction) };
}

function bucket(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(program)') return '(program)';
    return '(native)';
  }
  if (url.startsWith('node:')) return 'node core';
  const modules = url.split('/node_modules/');
  if (modules.length > 1) {
    const last = modules[modules.length - 1]!.split('/');
    return last[0]!.startsWith('@') ? `${last[0]}/${last[1]}` : last[0]!;
  }
  const own = /\/(apps|packages|bench)\/([^/]+)\//.exec(url);
  if (own) return own[1] === 'bench' ? 'bench' : `${own[1]}/${own[2]}`;
  return 'other';
}
