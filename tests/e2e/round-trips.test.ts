/**
 * Round trips per payout, end to end (docs/benchmarks.md, "Round trips per payout"): every Redis
 * command the system sends under its queue prefix (MONITOR, filtered by the prefix, so other
 * processes on the same Redis are not counted) and every row it inserts (counted per table in its
 * own database), for payouts created one by one by POST /v1/payouts and settled by the sandbox.
 * The breakdown is printed for the benchmark page; the rows per payout are pinned, so a change
 * that writes more per payout fails here.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { rowsOf } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { testRedisUrl, waitFor } from '@payouts/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

const PAYOUTS = 100;

let system: TestSystem;
let monitor: ChildProcess | null = null;

beforeAll(async () => {
  system = await startTestSystem();
});
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

/** The queue a command touched (its stage), from the first key under the prefix it names. */
function stageOf(args: string[], prefix: string): string {
  for (const a of args) {
    if (!a.startsWith(`${prefix}:`)) continue;
    return a.slice(prefix.length + 1).split(':')[0] ?? '?';
  }
  return '?';
}

describe('round trips per payout, end to end', () => {
  test(`${PAYOUTS} payouts created one by one and processed: Redis commands and rows per payout, by kind`, async () => {
    const tenant = await createFundedTenant(system, 'round-trips', 10_000_000_000);
    // Warm up (connections, scripts loaded, accounts created), not counted.
    const warm = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'warm-up' });
    expect(warm.status).toBe(202);
    await waitFor(async () => (await tenant.api('GET', `/v1/payouts/${warm.body.id}`)).body.status === 'processed');

    // redis-cli's MONITOR: every command the server runs, with the ones a Lua script (BullMQ's)
    // runs marked `[0 lua]`, which INFO commandstats counts too. Only this system's keys count.
    const commands: { name: string; stage: string; lua: boolean }[] = [];
    monitor = spawn('redis-cli', ['-u', testRedisUrl(), 'monitor'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: monitor.stdout as NodeJS.ReadableStream });
    let started = false;
    const ready = new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        if (!started) {
          started = true;
          resolve();
        }
        if (!line.includes(system.prefix)) return;
        const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1] ?? '');
        commands.push({
          name: String(args[0]).toUpperCase(),
          stage: stageOf(args, system.prefix),
          lua: line.includes(' lua] '),
        });
      });
    });
    await ready;
    const before = await rowCounts();

    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async (_, c) => {
        for (let i = c; i < PAYOUTS; i += 4) {
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
    // state changed in Postgres: wait until the queues are quiet.
    let seen = -1;
    await waitFor(
      () => {
        if (commands.length === seen) return true;
        seen = commands.length;
        return false;
      },
      { intervalMs: 1000, message: 'the queues quiet' },
    );
    monitor.kill();
    const after = await rowCounts();

    const byName = new Map<string, number>();
    const byStage = new Map<string, number>();
    for (const c of commands) {
      byName.set(c.name, (byName.get(c.name) ?? 0) + 1);
      byStage.set(c.stage, (byStage.get(c.stage) ?? 0) + 1);
    }
    const rows = [...after].map(([t, n]) => [t, n - (before.get(t) ?? 0)] as const).filter(([, n]) => n > 0);
    const per = (n: number) => (n / PAYOUTS).toFixed(2);
    const sorted = (m: Map<string, number> | (readonly [string, number])[]) => [...m].sort((a, b) => b[1] - a[1]);
    const totalRows = rows.reduce((s, [, n]) => s + n, 0);
    process.stdout.write(
      [
        `Redis commands per payout: ${per(commands.length)} (sent by clients: ${per(commands.filter((c) => !c.lua).length)}, run by scripts: ${per(commands.filter((c) => c.lua).length)})`,
        `  by command: ${sorted(byName)
          .map(([k, n]) => `${k} ${per(n)}`)
          .join(', ')}`,
        `  by queue (stage): ${sorted(byStage)
          .map(([k, n]) => `${k} ${per(n)}`)
          .join(', ')}`,
        `Rows inserted per payout: ${per(totalRows)}`,
        `  by table: ${sorted(rows)
          .map(([k, n]) => `${k} ${per(n)}`)
          .join(', ')}`,
        '',
      ].join('\n'),
    );

    expect(ids).toHaveLength(PAYOUTS);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
    expect(commands.length).toBeGreaterThan(0);
    // Rows hardly depend on timing: a payout settled without surprises writes the same ones (16
    // today: ledger entries 7, payout events 4, ledger transactions 2, idempotency key, provider
    // submission, payout); a repeated report recorded as not applied (a slow machine's retries)
    // and background rows (a reconciliation run) ride on top, hence the margin. Redis commands do
    // depend on timing (the workers' own polling and lock renewals run while the test waits), so
    // they are printed, not pinned.
    expect(totalRows / PAYOUTS).toBeLessThanOrEqual(18);
  });
});
