/**
 * Readings of the apps running as processes (bench/processes.ts, bench/start-batch.ts): their
 * event-loop delay from /metrics, Redis commands by command, Postgres rows by table, and lines
 * counted in their logs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Database, rowsOf } from '@payouts/db';
import { freePort } from '@payouts/testing';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { round } from './results.ts';

/** Cumulative bucket counts of payouts_event_loop_delay_seconds, by upper bound (seconds; +Inf as Infinity). */
export type LagBuckets = Map<number, number>;

export async function scrapeLag(metricsUrl: string): Promise<LagBuckets> {
  const text = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
  const out: LagBuckets = new Map();
  for (const m of text.matchAll(/^payouts_event_loop_delay_seconds_bucket\{le="([^"]+)"[^}]*\} (\d+)/gm))
    out.set(m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), Number(m[2]));
  return out;
}

/** The two stall counters (payouts_event_loop_stalled_seconds_total and its CPU), in seconds. */
export interface StallReading {
  stalledS: number;
  cpuS: number;
}

export async function scrapeStalls(metricsUrl: string): Promise<StallReading> {
  const text = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
  const value = (name: string) => Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'))?.[1] ?? 0);
  return {
    stalledS: value('payouts_event_loop_stalled_seconds_total'),
    cpuS: value('payouts_event_loop_stalled_cpu_seconds_total'),
  };
}

/** Stall time between two readings, and the share of it the process was computing (%). */
export function stallsBetween(
  before: StallReading,
  after: StallReading,
): { stalledS: number; onCpuPct: number | null } {
  const stalledS = after.stalledS - before.stalledS;
  return {
    stalledS: round(stalledS, 2),
    onCpuPct: stalledS > 0 ? round((100 * (after.cpuS - before.cpuS)) / stalledS, 0) : null,
  };
}

/**
 * p99 and the worst bucket between two scrapes, in ms, as Prometheus' histogram_quantile does it
 * (linear within the bucket): a p99 "≤ 25 ms" bucket is as exact as the histogram is.
 */
export function lagBetween(
  before: LagBuckets,
  after: LagBuckets,
): { p99Ms: number | null; maxBucketMs: number | null; samples: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const delta = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = delta.at(-1) ?? 0;
  if (total <= 0) return { p99Ms: null, maxBucketMs: null, samples: 0 };
  const rank = 0.99 * total;
  let p99: number | null = null;
  for (let i = 0; i < bounds.length; i++) {
    const count = delta[i] ?? 0;
    if (count >= rank) {
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      const below = i === 0 ? 0 : (delta[i - 1] ?? 0);
      const upper = bounds[i] ?? 0;
      p99 = Number.isFinite(upper) ? lower + ((upper - lower) * (rank - below)) / Math.max(1, count - below) : lower;
      break;
    }
  }
  // The lowest bound under which every sample fell.
  const maxBound = bounds.find((_, i) => (delta[i] ?? 0) >= total) ?? null;
  return {
    p99Ms: p99 === null ? null : round(p99 * 1000, 1),
    maxBucketMs: maxBound === null ? null : Number.isFinite(maxBound) ? maxBound * 1000 : null,
    samples: total,
  };
}

/** INFO commandstats: calls by command (lower-case name). */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1] as string, Number(m[2]));
  return out;
}

/** Per payout, by command, largest first; the `info` and `ping` of the measuring itself left out. */
export function commandsPerPayout(
  before: Map<string, number>,
  after: Map<string, number>,
  payouts: number,
): { total: number; byCommand: Record<string, number> } {
  const rows: [string, number][] = [];
  let total = 0;
  for (const [cmd, n] of after) {
    const d = n - (before.get(cmd) ?? 0);
    if (d <= 0 || cmd === 'info') continue;
    total += d;
    rows.push([cmd.toUpperCase(), d]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  return {
    total: round(total / payouts, 1),
    byCommand: Object.fromEntries(rows.map(([c, d]) => [c, round(d / payouts, 2)])),
  };
}

/** Rows inserted per table since the database was created (pg_stat_user_tables.n_tup_ins). */
export async function rowsInserted(db: Database): Promise<Map<string, number>> {
  const rows = rowsOf<{ table: string; n: number }>(
    await db.execute(sql`select relname as "table", n_tup_ins::float8 as n from pg_stat_user_tables`),
  );
  return new Map(rows.map((r) => [r.table, r.n]));
}

export function rowsPerPayout(
  before: Map<string, number>,
  after: Map<string, number>,
  payouts: number,
): { total: number; byTable: Record<string, number> } {
  const rows: [string, number][] = [];
  let total = 0;
  for (const [table, n] of after) {
    const d = n - (before.get(table) ?? 0);
    if (d <= 0) continue;
    total += d;
    rows.push([table, d]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  return {
    total: round(total / payouts, 1),
    byTable: Object.fromEntries(rows.map(([t, d]) => [t, round(d / payouts, 2)])),
  };
}

/** How many lines of these log files contain `needle`. */
export function countLines(paths: string[], needle: string): number {
  let n = 0;
  for (const path of paths) {
    try {
      for (const line of readFileSync(path, 'utf8').split('\n')) if (line.includes(needle)) n++;
    } catch {
      // No log yet.
    }
  }
  return n;
}

/**
 * A Redis server of the measurement's own (`redis-server` on a free port, nothing persisted), so
 * that INFO commandstats counts our commands only: the machine's Redis serves other work too.
 * Null when no redis-server is on PATH (the caller then says its counts are server-wide).
 */
export async function privateRedis(): Promise<{ url: string; stop(): Promise<void> } | null> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'payouts-bench-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  );
  const failed = new Promise<boolean>((done) => child.once('error', () => done(true)));
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if (await Promise.race([failed, sleep(100).then(() => false)])) return null;
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const ok = await r
      .connect()
      .then(() => r.ping())
      .then(
        () => true,
        () => false,
      );
    r.disconnect();
    if (ok) {
      return {
        url,
        async stop() {
          child.kill('SIGTERM');
          await new Promise((done) => child.once('exit', done));
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
  }
  child.kill('SIGKILL');
  return null;
}
