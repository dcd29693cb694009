/**
 * CPU meters for this process, the measurement's Postgres backends, Redis and the whole machine,
 * and a process's RSS: from /proc on Linux (null or empty elsewhere) and Redis's INFO.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { RawSql } from './postgres.ts';
import { round } from './results.ts';

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

interface MachineCpu {
  busy: number;
  total: number;
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpu(): MachineCpu | null {
  try {
    // The first line is the "cpu" total over all cores.
    const [line = ''] = readFileSync('/proc/stat', 'utf8').split('\n', 1);
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
  } catch {
    return null;
  }
}

/** How busy the whole machine was between two readings, in % of ONE core (up to cores × 100). */
export function machineBusyPct(before: MachineCpu | null, after: MachineCpu | null): number | null {
  if (!before || !after) return null;
  return round(((after.busy - before.busy) / (after.total - before.total)) * os.cpus().length * 100, 0);
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
  private machine: MachineCpu | null = null;
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
      machineCpuPct: machineBusyPct(this.machine, machine),
      loadAvg1: round(os.loadavg()[0] ?? 0, 2),
    };
  }
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
