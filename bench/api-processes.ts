/**
 * 3b. Single `POST /v1/payouts` with the API as its own process, API_PROCESSES=1 against 2 (the
 * primary forks that many API processes sharing the port, apps/api/src/api-processes.ts), in the
 * same run: what a second API process buys on this machine, where Postgres, Redis and the load
 * generator share the same cores. Each API is started as `pnpm start:api` starts it (tsx), on the
 * same database and tenant; autocannon as in 3, 32 connections.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxProviderEnv } from '@payouts/providers';
import { AppProcess, freePort, inheritedEnv, must, tail, waitFor } from '@payouts/testing';
import { runLoad } from './load-generator.ts';
import { machineBusyPct, machineCpu, procCpu } from './meter.ts';
import { createBenchDatabase, createTenant } from './postgres.ts';
import { benchPrefix, benchRedis, deletePrefix } from './redis.ts';
import { type BenchContext, round, row } from './results.ts';
import { INR_PAYOUT } from './system.ts';

const PROCESSES = [1, 2] as const;
const CONNECTIONS = 32;
const SECONDS = 15;
const WARMUP_SECONDS = 3;

/** The parent of a process, from /proc (null when it is gone or not on Linux). */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** CPU seconds of the API: its primary and the API processes it forked. */
function apiCpuSeconds(primary: number): number {
  const pids = new Set([primary]);
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && parentOf(pid) === primary) pids.add(pid);
  }
  let sum = 0;
  for (const seconds of procCpu((pid) => pids.has(pid)).values()) sum += seconds;
  return sum;
}

export async function runApiProcesses(ctx: BenchContext): Promise<void> {
  ctx.log('  the API as a process, API_PROCESSES=1 against 2:');
  const database = await createBenchDatabase(ctx.adminUrl);
  const prefix = benchPrefix('api-procs');
  const logDir = mkdtempSync(join(tmpdir(), 'payouts-bench-api-procs-'));
  const port = await freePort();
  try {
    const setup = await database.open(2);
    const { key } = await createTenant(setup.db, 'api-procs-bench');
    const results: Record<number, { rps: number; p99: number }> = {};
    for (const processes of PROCESSES) {
      const api = new AppProcess(
        `api-${processes}`,
        'api',
        {
          ...inheritedEnv(),
          DATABASE_URL: database.url,
          REDIS_URL: ctx.redisUrl,
          QUEUE_PREFIX: prefix,
          LOG_LEVEL: 'error',
          PORT: String(port),
          API_PROCESSES: String(processes),
          // As in 3: the limiter runs, but never throttles the load generator's one key.
          RATE_LIMIT_PER_SECOND: '1000000',
          // Never called here (the workers are not running); any address will do.
          ...sandboxProviderEnv('http://127.0.0.1:9'),
        },
        join(logDir, `api-${processes}.log`),
        () => {},
      );
      api.start();
      try {
        await waitFor(
          async () => {
            if (!api.alive) throw new Error(`the API exited at start:\n${tail(api.logPath)}`);
            return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok;
          },
          { message: `API_PROCESSES=${processes} ready` },
        );
        const load = (connections: number, durationS: number, tag: string) =>
          runLoad({
            url: `http://127.0.0.1:${port}`,
            path: '/v1/payouts',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify(INR_PAYOUT),
            connections,
            durationS,
            keyPrefix: `bench-procs${processes}-${tag}-${Date.now()}`,
          });
        // Each API process warms up on its share of the connections.
        await load(16, WARMUP_SECONDS, 'warmup');
        const pid = must(api.pid, 'the API primary pid');
        const cpu0 = apiCpuSeconds(pid);
        const machine0 = machineCpu();
        const result = await load(CONNECTIONS, SECONDS, 'run');
        const apiCpuPct = round(((apiCpuSeconds(pid) - cpu0) / result.durationS) * 100, 0);
        const machinePct = machineBusyPct(machine0, machineCpu());
        const accepted = result.statusCodes['202'] ?? 0;
        const rps = accepted / result.durationS;
        results[processes] = { rps, p99: result.latencyMs.p99 };
        ctx.log(
          `  API_PROCESSES=${processes}: ${Math.round(rps)} req/s (202s), p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms; ` +
            `API ${apiCpuPct}% CPU (${accepted > 0 ? round(((apiCpuPct / 100) * result.durationS * 1000) / accepted, 2) : '—'} ms a request), machine ${machinePct}%`,
        );
        if (result.non2xx > 0 || result.errors > 0)
          ctx.log(`  non-2xx ${result.non2xx}, errors ${result.errors}: ${JSON.stringify(result.statusCodes)}`);
        const one = results[1];
        ctx.rows.push(
          row({
            key: `api.processes.${processes}`,
            measurement: `POST /v1/payouts, ${CONNECTIONS} connections, ${SECONDS} s, API as a process, API_PROCESSES=${processes}`,
            value: rps,
            unit: 'req/s',
            ours: `${Math.round(rps).toLocaleString('en-US')} req/s, p50 ${result.latencyMs.p50} / p99 ${result.latencyMs.p99} ms`,
            baselineValue: processes === 1 || !one ? null : one.rps,
            baselineLabel: processes === 1 || !one ? null : 'API_PROCESSES=1 in the same run, req/s',
            target: '≥ 2,500 req/s at p99 ≤ 50 ms',
            met: rps >= 2500 && result.latencyMs.p99 <= 50,
            details: { ...result, acceptedPerSecond: round(rps, 1), apiCpuPct, machinePct },
          }),
        );
      } finally {
        await api.stop('SIGTERM', 25_000);
      }
    }
  } finally {
    const redis = benchRedis(ctx.redisUrl);
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await database.drop();
    rmSync(logDir, { recursive: true, force: true });
  }
}
