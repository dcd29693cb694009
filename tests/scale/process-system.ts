/**
 * The apps as separate OS processes, as `pnpm start:*` starts them (packages/testing's
 * AppProcess): one sandbox, one API, and any number of workers and reconcilers on one Redis (or
 * Redis Cluster) and one Postgres database. Each worker and reconciler connects to Postgres with
 * its own `application_name` (its name, e.g. `worker-2`), so what each process did can be read
 * back from Postgres (see `installWorkObservers`). Used by tests/scale/multi-process.test.ts and
 * bench/scale-out.ts.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Database } from '@payouts/db';
import { rowsOf } from '@payouts/db';
import { sandboxProviderEnv } from '@payouts/providers';
import { createRedis } from '@payouts/queue';
import {
  type AppKind,
  AppProcess,
  type AppRuntime,
  deleteKeysUnder,
  freePort,
  type HttpAnswer,
  http,
  inheritedEnv,
  PATIENCE_MS,
  tail,
  waitForLogLine,
  waitUntil,
} from '@payouts/testing';
import { sql } from 'drizzle-orm';

export interface ProcessSystemOptions {
  /** The database: migrated, or empty (the API and the reconciler migrate it at start). */
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  workers: number;
  reconcilers: number;
  /** Where each process's output goes (`<name>.log`). */
  logDir: string;
  /** Settings for every app, over the defaults below. */
  env?: Record<string, string>;
  /** `dist`: the compiled apps (`node dist/main.js`, after `pnpm build`), as production runs them. */
  runtime?: AppRuntime;
}

export interface ProcessSystem {
  apiUrl: string;
  sandboxUrl: string;
  operatorKey: string;
  workers: AppProcess[];
  reconcilers: AppProcess[];
  /** Every process of the system, the sandbox and the API first (for their pids). */
  apps: AppProcess[];
  /** `GET /metrics` of each worker and reconciler, by process name (`worker-1`, …). */
  metricsUrls: Record<string, string>;
  /** Processes that exited without being told to, with their last log lines. */
  unexpectedExits: string[];
  /** A call to the API with the operator key (or another key). */
  call(method: string, path: string, body?: unknown, key?: string): Promise<HttpAnswer>;
  /** PATCH /_admin/<provider>/config on the sandbox. */
  sandboxConfig(provider: string, patch: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

function withApplicationName(url: string, name: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}application_name=${encodeURIComponent(name)}`;
}

export async function startProcessSystem(o: ProcessSystemOptions): Promise<ProcessSystem> {
  const apiPort = await freePort();
  const sandboxPort = await freePort();
  const operatorKey = `op_scale_${randomBytes(16).toString('hex')}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: o.prefix,
    LOG_LEVEL: 'info',
    PORT: String(apiPort),
    SANDBOX_PORT: String(sandboxPort),
    OPERATOR_API_KEY: operatorKey,
    ...sandboxProviderEnv(sandboxUrl, 5000),
    PROVIDER_TIMEOUT_MS: '5000',
    ABSENCE_AFTER_MS: '10000',
    POLL_FIRST_DELAY_MS: '100',
    POLL_MAX_DELAY_MS: '1000',
    REVERSAL_WATCH_MS: '0',
    SWEEP_INTERVAL_MS: '5000',
    SWEEP_AFTER_MS: '30000',
    ...o.env,
  };

  const unexpectedExits: string[] = [];
  let stopping = false;
  const apps: AppProcess[] = [];
  const app = (name: string, kind: AppKind, extra: NodeJS.ProcessEnv = {}) => {
    const p = new AppProcess(
      name,
      kind,
      { ...env, ...extra },
      join(o.logDir, `${name}.log`),
      (a, code, signal) => {
        if (!stopping) unexpectedExits.push(`${a.name} (code ${code}, signal ${signal}):\n${tail(a.logPath, 20)}`);
      },
      o.runtime,
    );
    apps.push(p);
    return p;
  };
  // The API and the sandbox would log a line per request: only what goes wrong.
  const sandbox = app('sandbox', 'sandbox', { LOG_LEVEL: 'warn' });
  const api = app('api', 'api', { LOG_LEVEL: 'warn' });
  // Several processes of a kind on one host: each its own metrics port.
  const metricsUrls: Record<string, string> = {};
  const named = async (kind: 'worker' | 'reconciler', n: number) => {
    const out: AppProcess[] = [];
    for (let i = 1; i <= n; i++) {
      const name = `${kind}-${i}`;
      const metricsPort = await freePort();
      metricsUrls[name] = `http://127.0.0.1:${metricsPort}/metrics`;
      out.push(
        app(name, kind, {
          DATABASE_URL: withApplicationName(o.databaseUrl, name),
          METRICS_PORT: String(metricsPort),
        }),
      );
    }
    return out;
  };
  const reconcilers = await named('reconciler', o.reconcilers);
  const workers = await named('worker', o.workers);

  const stop = async () => {
    stopping = true;
    await Promise.all(apps.map((a) => a.stop('SIGTERM', 15_000)));
  };
  const killEverything = () => {
    for (const a of apps) a.killNow();
  };
  process.once('exit', killEverything);

  try {
    sandbox.start();
    await waitUntil(
      async () => (await http(`${sandboxUrl}/healthz`, { timeoutMs: 1000 })).status === 200,
      PATIENCE_MS,
      'sandbox /healthz',
    );
    api.start();
    for (const r of reconcilers) r.start();
    for (const w of workers) w.start();
    await waitUntil(
      async () => (await http(`${apiUrl}/readyz`, { timeoutMs: 3000 })).status === 200,
      PATIENCE_MS,
      'api /readyz',
    );
    // Every worker and reconciler listening before any load, so each can take a share of it.
    await Promise.all([
      ...reconcilers.map((r) => waitForLogLine(r, 'reconciler started', PATIENCE_MS)),
      ...workers.map((w) => waitForLogLine(w, 'worker started', PATIENCE_MS)),
    ]);
  } catch (error) {
    await stop();
    process.removeListener('exit', killEverything);
    throw error;
  }

  return {
    apiUrl,
    sandboxUrl,
    operatorKey,
    workers,
    reconcilers,
    apps,
    metricsUrls,
    unexpectedExits,
    call: (method, path, body, key = operatorKey) =>
      http(`${apiUrl}${path}`, {
        method,
        body,
        headers: {
          authorization: `Bearer ${key}`,
          ...(method === 'POST' ? { 'idempotency-key': `scale-${randomBytes(8).toString('hex')}` } : {}),
        },
        timeoutMs: 60_000,
      }),
    async sandboxConfig(provider, patch) {
      const res = await http(`${sandboxUrl}/_admin/${provider}/config`, { method: 'PATCH', body: patch });
      if (res.status !== 200) throw new Error(`sandbox ${provider} config: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async stop() {
      await stop();
      process.removeListener('exit', killEverything);
    },
  };
}

/**
 * The whole system at work once: a tenant with an API key and a funded INR wallet, and one payout
 * paid through the sandbox. Throws, with the answer that went wrong, if any step does not happen.
 */
export async function payOnePayout(system: ProcessSystem, name: string): Promise<{ payoutId: string }> {
  const expectStatus = (what: string, answer: HttpAnswer, statuses: number[]) => {
    if (!statuses.includes(answer.status))
      throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`);
  };
  const tenant = await system.call('POST', '/v1/admin/tenants', { name });
  expectStatus('create the tenant', tenant, [201]);
  const issued = await system.call('POST', `/v1/admin/tenants/${tenant.body.id}/api-keys`, {});
  expectStatus('issue its API key', issued, [201]);
  const amount = 1_000_000;
  const funding = await system.call('POST', `/v1/admin/tenants/${tenant.body.id}/fundings`, {
    currency: 'INR',
    amount,
    reference: `${name}-funding`,
  });
  // 202: the reconciler had not answered in time; the funding is applied all the same.
  expectStatus('fund its wallet', funding, [201, 202]);
  await waitUntil(
    async () => {
      const balances = await system.call('GET', `/v1/admin/tenants/${tenant.body.id}/balances`);
      return (balances.body?.data ?? []).some((b: { available: number }) => b.available === amount);
    },
    PATIENCE_MS,
    'the wallet funded',
  );
  const payout = await system.call(
    'POST',
    '/v1/payouts',
    {
      amount: 50_000,
      currency: 'INR',
      method: 'IMPS',
      purpose: 'payout',
      narration: 'One payout',
      beneficiary: { name: 'Asha Rao', account_number: '123456789012', bank_code: 'HDFC0001234' },
    },
    issued.body.key,
  );
  expectStatus('post a payout', payout, [202]);
  await waitUntil(
    async () => {
      if (system.unexpectedExits.length > 0) throw new Error(system.unexpectedExits.join('\n'));
      const read = await system.call('GET', `/v1/payouts/${payout.body.id}`, undefined, issued.body.key);
      return read.body?.status === 'processed';
    },
    PATIENCE_MS,
    'the payout processed',
  );
  return { payoutId: payout.body.id };
}

/**
 * Observation only, in a throwaway database (never a migration): triggers that note which process
 * (its Postgres `application_name`) claimed each submission — the worker's claim, just before it
 * calls the provider — and wrote each ledger transaction. Read back with `workByProcess`.
 */
export async function installWorkObservers(db: Database): Promise<void> {
  await db.execute(sql`create table if not exists scale_observed_work (
    what text not null, payout_id text, app text not null, at timestamptz not null default clock_timestamp())`);
  await db.execute(sql`create or replace function scale_observe_claim() returns trigger language plpgsql as $$
    begin
      insert into scale_observed_work (what, payout_id, app) values ('claim', new.payout_id, current_setting('application_name'));
      return new;
    end $$`);
  await db.execute(sql`create or replace function scale_observe_ledger() returns trigger language plpgsql as $$
    begin
      insert into scale_observed_work (what, payout_id, app) values ('ledger:' || new.kind, new.payout_id, current_setting('application_name'));
      return new;
    end $$`);
  await db.execute(sql`drop trigger if exists scale_observe_claim on provider_submissions`);
  await db.execute(sql`create trigger scale_observe_claim after insert or update on provider_submissions
    for each row execute function scale_observe_claim()`);
  await db.execute(sql`drop trigger if exists scale_observe_ledger on ledger_transactions`);
  await db.execute(sql`create trigger scale_observe_ledger after insert on ledger_transactions
    for each row execute function scale_observe_ledger()`);
}

/** How many claims (`claim`) and ledger transactions (`ledger:<kind>`) each process made. */
export async function workByProcess(db: Database): Promise<Record<string, Record<string, number>>> {
  const rows = rowsOf<{ what: string; app: string; n: string | number }>(
    await db.execute(
      sql`select what, app, count(*) as n from scale_observed_work group by what, app order by what, app`,
    ),
  );
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows) out[r.what] = { ...out[r.what], [r.app]: Number(r.n) };
  return out;
}

/** Deletes every BullMQ key under `prefix`, after the processes that used it stopped. */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = createRedis(redisUrl, 'worker');
  try {
    await deleteKeysUnder(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
