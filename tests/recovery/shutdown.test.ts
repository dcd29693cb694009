import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import {
  createTestDatabase,
  freePort,
  type TestDatabase,
  testQueuePrefix,
  testRedisUrl,
  waitFor,
} from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/**
 * SIGTERM (a deploy, a scale-down): each app stops taking work, finishes what is in flight, closes
 * its connections in order and exits 0 — well within the deadline Kubernetes or compose gives it.
 */
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

function start(app: string, extra: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', `apps/${app}/src/main.ts`], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: testQueuePrefix(),
      LOG_LEVEL: 'info',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return { child, output: () => out };
}

async function stopsCleanly(app: string, ready: RegExp, extra: Record<string, string> = {}) {
  // A port of its own for the metrics server, so that it is closed too and no other process (a
  // parallel test run, a `pnpm start`) holding the default port can keep this one from starting.
  const { child, output } = start(app, { METRICS_PORT: String(await freePort()), ...extra });
  try {
    await waitFor(() => ready.test(output()) || undefined, { message: `${app} to start` }).catch((error: Error) => {
      throw new Error(`${error.message}:\n${output()}`);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exited;
    // Exit 0 means every closer finished: the shutdown deadline (15 s) exits with 1 and says so.
    expect(code, output()).toBe(0);
    expect(output()).not.toContain('shutdown deadline passed');
    return output();
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Where each `closed <name>` line sits in the output; -1 if it is missing. */
function closingOrder(out: string, names: string[]): number[] {
  return names.map((name) => out.indexOf(`"msg":"closed ${name}"`));
}

describe('graceful shutdown on SIGTERM', () => {
  // Each app closes in the reverse order it opened: it stops taking work before it closes the
  // connections that work needs.
  test.each([
    [
      'the reconciler stops taking work, then closes queues, Redis and Postgres',
      'reconciler',
      /reconciler started/,
      {},
      ['metrics', 'reconciler', 'queues', 'redis', 'database'],
    ],
    [
      'a worker stops its provider workers, then closes queues, Redis and Postgres',
      'worker',
      /worker started/,
      {},
      ['metrics', 'workers', 'queues', 'redis', 'database'],
    ],
    [
      'the API stops listening before it closes its connections',
      'api',
      /api listening/,
      { PORT: '0' },
      ['api', 'database'],
    ],
  ] as const)('%s, and exits 0', async (_what, app, ready, extra, closes) => {
    const out = await stopsCleanly(app, ready, extra);
    const order = closingOrder(out, [...closes]);
    expect(
      order.every((i) => i >= 0),
      out,
    ).toBe(true);
    expect(
      [...order].sort((a, b) => a - b),
      out,
    ).toEqual(order);
  });
});

/** GET on a connection of its own, so that the cluster's primary hands each to the next API process. */
function getAlone(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('API_PROCESSES=2', () => {
  test('starts two API processes on one port, /metrics counts both, and one SIGTERM stops them all', async () => {
    const port = await freePort();
    const { child, output } = start('api', { PORT: String(port), API_PROCESSES: '2', LOG_LEVEL: 'debug' });
    try {
      const lines = () =>
        output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { msg?: string; pid: number; req?: { url?: string } });
      const listening = await waitFor(
        () => {
          const pids = lines()
            .filter((l) => l.msg === 'api listening')
            .map((l) => l.pid);
          return pids.length === 2 && pids;
        },
        { message: 'two API processes listening' },
      ).catch((error: Error) => {
        throw new Error(`${error.message}:\n${output()}`);
      });
      // Both are the primary's children, and neither is the primary.
      for (const pid of listening) {
        expect(pid).not.toBe(child.pid);
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])).toBe(child.pid);
      }
      expect((await getAlone(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

      const requests = 20;
      for (let i = 0; i < requests; i++) expect((await getAlone(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      // Both processes answered some (each request line names its process)...
      await waitFor(
        () =>
          lines().filter((l) => l.req?.url === '/healthz' && l.msg === 'request completed').length === requests ||
          undefined,
        { message: 'a log line for each request' },
      );
      const servedBy = new Set(
        lines()
          .filter((l) => l.req?.url === '/healthz' && l.msg === 'request completed')
          .map((l) => l.pid),
      );
      expect(servedBy).toEqual(new Set(listening));
      // ...and /metrics, from whichever one answers, counts the requests of both.
      const metrics = await getAlone(`http://127.0.0.1:${port}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(
        new RegExp(`payouts_http_request_duration_seconds_count\\{[^}]*route="/healthz"[^}]*\\} ${requests}\\n`),
      );

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited, output()).toBe(0);
      // Each API process finished its shutdown (it logs `closed api`) before the primary exited.
      expect(output().match(/"msg":"closed api"/g)?.length, output()).toBe(2);
      expect(output()).not.toContain('shutdown deadline passed');
      for (const pid of listening) expect(alive(pid)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
