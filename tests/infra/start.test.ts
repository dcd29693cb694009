import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { toMajorString } from '@payouts/core';
import { openDatabase } from '@payouts/db';
import {
  deleteKeysUnder,
  freePort,
  inheritedEnv,
  PATIENCE_MS,
  testQueuePrefix,
  testRedisUrl,
  waitFor,
} from '@payouts/testing';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, test } from 'vitest';

/**
 * `pnpm start` as a newcomer runs it: no DATABASE_URL (here the Postgres on 127.0.0.1:5432 answers,
 * so a database of the data folder's own and every app a supervised process of its own; on a
 * machine without one, embedded PGlite in the data folder), the banner's curl pasted as printed,
 * then a restart. The key must survive the restart
 * and the banner must print the wallets as they are, not as they were funded.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const data = mkdtempSync(join(tmpdir(), 'payouts-start-'));
const prefix = testQueuePrefix();
let running: ChildProcess | null = null;
/** The database `pnpm start` chose for the data folder, when it is a Postgres one (it then keeps it). */
let postgresDatabase: string | null = null;

afterAll(async () => {
  running?.kill('SIGKILL');
  const redis = new Redis(testRedisUrl());
  await deleteKeysUnder(redis, prefix);
  redis.disconnect();
  rmSync(data, { recursive: true, force: true });
  if (postgresDatabase) await dropStartDatabase(postgresDatabase);
});

async function dropStartDatabase(name: string): Promise<void> {
  const admin = await openDatabase('postgres://postgres@127.0.0.1:5432/postgres', { max: 1 });
  try {
    await admin.db.execute(sql.raw(`drop database if exists "${name}" with (force)`));
  } finally {
    await admin.close();
  }
}

async function start(
  ports: {
    api: number;
    sandbox: number;
  },
  extraEnv: Record<string, string> = {},
  patienceMs = PATIENCE_MS,
): Promise<{ banner: string; stop: () => Promise<number> }> {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: {
      ...inheritedEnv(),
      PAYOUTS_DATA_DIR: data,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: prefix,
      PORT: String(ports.api),
      SANDBOX_PORT: String(ports.sandbox),
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = child;
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number>((done) => child.once('exit', (code) => done(code ?? -1)));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`pnpm start exited ${child.exitCode}:\n${output}`);
      // The banner's last line: everything above it is printed.
      return /\/v1\/balances -H/.test(output) || undefined;
    },
    { message: 'the start banner', timeoutMs: patienceMs },
  );
  postgresDatabase = /^\s+Database\s+postgres:\/\/\S+\/(payouts_dev_[0-9a-f]+)/m.exec(output)?.[1] ?? postgresDatabase;
  return {
    banner: output,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      running = null;
      return code;
    },
  };
}

function keyIn(banner: string): string {
  const key = /Tenant API key\s+(sk_test_\S+)/.exec(banner)?.[1];
  if (!key) throw new Error(`no tenant key in the banner:\n${banner}`);
  return key;
}

function inrLine(banner: string): string | undefined {
  return /^\s+INR\s+([\d.]+) available/m.exec(banner)?.[1];
}

describe('pnpm start, from nothing and again', () => {
  test('the banner curl pays out; a restart keeps the key and prints the balances the ledger has', async () => {
    const ports = { api: await freePort(), sandbox: await freePort() };
    const first = await start(ports);
    const key = keyIn(first.banner);
    expect(readFileSync(join(data, 'demo-tenant-key'), 'utf8').trim()).toBe(key);
    expect(inrLine(first.banner)).toBe('1000000.00');

    // The curl exactly as printed, run by a shell as a person pasting it would.
    const curl = first.banner.slice(first.banner.indexOf('curl -s -X POST'), first.banner.indexOf("}}'") + 3);
    const { stdout } = await promisify(execFile)('sh', ['-c', curl]);
    const payout = JSON.parse(stdout) as { id: string; status: string };
    expect(payout.status).toBe('accepted');
    // The README's curl too: it reads the key from the data folder, so it works without copying it.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const readmeCurl = /```sh\n(curl -s -X POST[\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(readmeCurl).toContain('$(cat .data/demo-tenant-key)');
    const fromReadme = await promisify(execFile)('sh', [
      '-c',
      readmeCurl.replace('localhost:3000', `localhost:${ports.api}`).replace('.data/', `${data}/`),
    ]);
    expect(JSON.parse(fromReadme.stdout)).toMatchObject({ status: 'accepted', amount: 50000, currency: 'INR' });
    const api = (path: string) =>
      fetch(`http://127.0.0.1:${ports.api}${path}`, { headers: { authorization: `Bearer ${key}` } }).then(
        (r) => r.json() as Promise<Record<string, unknown>>,
      );
    await waitFor(async () => ((await api(`/v1/payouts/${payout.id}`)).status === 'processed' ? true : undefined), {
      message: 'the demo payout to be processed',
    });
    const settled = (await api(`/v1/payouts/${payout.id}`)) as { provider_payout_id: string };
    expect(await first.stop()).toBe(0);

    const second = await start(ports);
    expect(keyIn(second.banner)).toBe(key);
    // The sandbox kept its state in the data folder: the provider still knows the payout, as a
    // real one would, instead of answering 404 to every lookup after a restart.
    const atProvider = (await fetch(`http://127.0.0.1:${ports.sandbox}/_admin/razorpayx/payouts`).then((r) =>
      r.json(),
    )) as { data: { id: string; status: string }[] };
    expect(atProvider.data.filter((p) => p.id === settled.provider_payout_id)).toEqual([
      expect.objectContaining({ status: 'processed' }),
    ]);
    const balances = (await api('/v1/balances')) as { data: { currency: 'INR'; available: number }[] };
    const inr = balances.data.find((b) => b.currency === 'INR');
    expect(inr?.available).toBeLessThan(100_000_000);
    expect(inrLine(second.banner)).toBe(toMajorString(BigInt(inr?.available ?? 0), 'INR'));
    expect(await second.stop()).toBe(0);
    // Two whole starts (PGlite, migrations, every app in one process) and a payout: on a busy
    // 2-core machine each start alone can take a minute, so this test has twice the usual ceiling.
  }, 360_000);
});

describe('pnpm start on embedded PGlite (DATABASE_URL=pglite:…, or no Postgres on the machine)', () => {
  test('every app in one process: the banner says so, the demo wallet is funded, and SIGTERM stops it cleanly', async () => {
    const ports = { api: await freePort(), sandbox: await freePort() };
    // PGlite migrates a new database in WebAssembly, one statement at a time: on a busy 2-core
    // machine that alone took over 100 s, so this start gets more patience than a Postgres one.
    const embedded = await start(ports, { DATABASE_URL: `pglite:${join(data, 'embedded-pglite')}` }, 300_000);
    expect(embedded.banner).toMatch(/Database\s+embedded PGlite in /);
    expect(embedded.banner).toMatch(/Processes\s+one \(\d+\)/);
    expect(inrLine(embedded.banner)).toBe('1000000.00');
    expect(await embedded.stop()).toBe(0);
  }, 420_000);
});
