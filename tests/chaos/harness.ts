/**
 * The chaos run (docs/architecture.md#guarantees): the apps as separate processes, exactly as
 * `pnpm start:*` starts them, on a private Redis and a private Postgres database. Payouts are
 * pushed through the public API while workers and reconcilers are killed with SIGKILL at random
 * moments, Redis is restarted once
 * and flushed once, and the simulated providers inject faults. Then the run waits for every payout
 * to be final and checks, from Postgres and from the simulator's own records:
 *   1. none lost: every id the API returned is in Postgres, and nothing else is;
 *   2. every payout is final;
 *   3. at most one provider-side payout per payout (exactly one when processed or reversed), none
 *      unaccounted for, and the provider's final word agrees with ours;
 *   4. the ledger verifies and every currency sums to zero;
 *   5. wallets: nothing held, available = funded − what processed payouts cost (amount + fees + tax).
 * Used by tests/chaos/chaos.test.ts (short) and scripts/chaos.ts (`pnpm chaos`, long).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FINAL_STATUSES } from '@payouts/core';
import { type DatabaseHandle, migrateDatabase, openDatabase, payoutEvents, payouts, rowsOf } from '@payouts/db';
import { verifyLedger, walletBalances } from '@payouts/ledger';
import {
  type AppKind,
  AppProcess,
  findPostgresAdminUrl,
  freePort,
  type HttpAnswer,
  http,
  inheritedEnv,
  portIsFree,
  redisAnswers,
  tail,
  waitUntil,
  withDatabase,
} from '@payouts/testing';
import { asc, inArray, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';

export const PROVIDERS = ['razorpayx', 'krayon', 'thai-gateway', 'druo'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const CURRENCIES = ['INR', 'THB', 'USD', 'COP'] as const;
/** How long processed payouts are watched for a reversal in a run (the apps' REVERSAL_WATCH_MS). */
const REVERSAL_WATCH_MS = 8000;

/** Sandbox faults while the chaos runs (PATCH /_admin/<provider>/config); all zero while settling. */
export interface SandboxFaults {
  progressDelayMs: number;
  http5xxShare: number;
  http429Share: number;
  retryAfterSeconds: number;
  timeoutAfterCommitShare: number;
  hangMs: number;
  failureShare: number;
  reversalShare: number;
  webhookDuplicateShare: number;
  webhookOutOfOrderShare: number;
}

export const DEFAULT_FAULTS: SandboxFaults = {
  progressDelayMs: 100,
  http5xxShare: 0.03,
  http429Share: 0.03,
  retryAfterSeconds: 1,
  timeoutAfterCommitShare: 0.02,
  hangMs: 2500,
  failureShare: 0.05,
  reversalShare: 0.02,
  webhookDuplicateShare: 0.2,
  webhookOutOfOrderShare: 0.2,
};

export interface ChaosOptions {
  /** How many payouts to push through the API. */
  payouts: number;
  /** POSTs in flight at once (default 16). */
  concurrency?: number;
  /** Spread the load at this many POSTs a second (default: as fast as the API takes them). */
  loadRatePerSecond?: number;
  workers?: number;
  reconcilers?: number;
  /** The chaos goes on after the load until at least this many kills happened (default 4)... */
  minKills?: number;
  /** ...and at least this long after the load finished (default 10 s). */
  chaosAfterLoadMs?: number;
  /** A SIGKILL every [min, max] ms (default 1.5–4 s)... */
  killEveryMs?: [number, number];
  /** ...and the victim restarted [min, max] ms later (default 0.5–2 s). */
  restartAfterMs?: [number, number];
  /** Share of the load after which Redis is restarted (0.4) and flushed (0.7). */
  redisRestartAt?: number;
  flushAt?: number;
  faults?: Partial<SandboxFaults>;
  /** Shares of payouts sent to the `0001` (fails at the bank) and `0002` (reversed) test accounts. */
  failAccountShare?: number;
  reverseAccountShare?: number;
  /** How long to wait for every payout to be final (default 120 s + 30 ms a payout). */
  settleTimeoutMs?: number;
  /** An overall budget: the settle wait is cut so the run (and its cleanup) ends within it. */
  deadlineMs?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Keep the temp dir (process logs, Redis AOF): always, or only when the run fails (default: never). */
  keepLogs?: boolean | 'on-failure';
  /** Aborting stops the run at its next step; cleanup still runs. */
  signal?: AbortSignal;
}

export interface WalletFigures {
  funded: string;
  expectedAvailable: string;
  available: string;
  held: string;
  /** available − expected (0 when right). */
  difference: string;
}

export interface ChaosReport {
  payouts: number;
  accepted: number;
  byProvider: Record<string, number>;
  byCurrency: Record<string, number>;
  states: Record<string, number>;
  kills: number;
  killsByKind: { worker: number; reconciler: number };
  processRestarts: number;
  unexpectedExits: { name: string; code: number | null; signal: string | null }[];
  redisRestarts: number;
  flushes: number;
  apiRetries: number;
  apiRetryReasons: Record<string, number>;
  lost: number;
  extraInDatabase: number;
  notFinal: number;
  providerPayouts: Record<string, number>;
  duplicatedAtProviders: number;
  missingAtProviders: number;
  unaccountedAtProviders: number;
  stateMismatches: number;
  ledgerProblems: string[];
  /** Sum of every ledger entry per currency (0 when balanced). */
  ledgerTotals: Record<string, string>;
  wallets: Record<string, WalletFigures>;
  durationsMs: { setup: number; load: number; chaos: number; settle: number; check: number; total: number };
  throughput: { acceptedPerSecond: number; settledPerSecond: number };
  violations: string[];
  warnings: string[];
  /** Where the process logs were kept (only when kept). */
  logDir: string | null;
}

type Log = (line: string) => void;

// ---------------------------------------------------------------------------------------------
// Small helpers

const between = ([min, max]: [number, number]) => min + Math.random() * (max - min);
const randomInt = (min: number, maxExclusive: number) => min + Math.floor(Math.random() * (maxExclusive - min));
const isFinal = (status: string) => (FINAL_STATUSES as ReadonlySet<string>).has(status);

function portLockPath(port: number): string {
  return join(tmpdir(), `payouts-chaos-redis-${port}.lock`);
}

/** Claims a port for this process: a lock file holding our pid; one left by a dead process is taken over. */
function claimPort(port: number): boolean {
  const path = portLockPath(port);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch {
      let pid = 0;
      try {
        pid = Number(readFileSync(path, 'utf8').trim());
      } catch {
        continue; // gone meanwhile: try to create it again
      }
      let alive = false;
      try {
        if (pid > 0) {
          process.kill(pid, 0);
          alive = true;
        }
      } catch (error) {
        alive = (error as { code?: string }).code === 'EPERM';
      }
      if (alive) return false;
      rmSync(path, { force: true });
    }
  }
  return false;
}

/** A private redis-server: restartable on the same port and dir (the AOF survives), flushable. */
class RedisServer {
  private child: ChildProcess | null = null;
  private lockPath: string | null = null;
  private spawnError: (Error & { code?: string }) | null = null;
  port = 0;

  constructor(
    private readonly dir: string,
    private readonly logPath: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * The first start looks for a free port from 6400 up and claims it with a lock file, so another
   * chaos run cannot take it while this Redis is down for its restart.
   */
  async start(): Promise<void> {
    if (this.port === 0) {
      for (let port = 6400; port < 6600; port++) {
        if (!claimPort(port)) continue;
        const lock = portLockPath(port);
        if (!(await portIsFree(port))) {
          rmSync(lock, { force: true });
          continue;
        }
        this.port = port;
        this.lockPath = lock;
        if (await this.launch()) return;
        rmSync(lock, { force: true });
        this.lockPath = null;
        if (this.spawnError?.code === 'ENOENT') throw new Error('redis-server is not on PATH: install Redis');
      }
      this.port = 0;
      throw new Error('could not start a private redis-server on any port from 6400 to 6599');
    }
    if (!(await this.launch())) throw new Error(`redis-server did not start again on port ${this.port}`);
  }

  /** Gives the port back (after the final stop). */
  release(): void {
    if (this.lockPath) rmSync(this.lockPath, { force: true });
    this.lockPath = null;
  }

  private async launch(): Promise<boolean> {
    const fd = openSync(this.logPath, 'a');
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    let gone = false;
    child.once('exit', () => {
      gone = true;
      if (this.child === child) this.child = null;
    });
    child.once('error', (error) => {
      this.spawnError = error;
      gone = true;
    });
    this.child = child;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !gone) {
      if (await this.ping()) return true;
      await sleep(50);
    }
    if (!gone) child.kill('SIGKILL');
    this.child = null;
    return false;
  }

  private async ping(): Promise<boolean> {
    return redisAnswers(this.url);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
    if (timedOut) {
      child.kill('SIGKILL');
      await Promise.race([exited, sleep(2000)]);
    }
    this.child = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async flushAll(): Promise<void> {
    const r = new Redis(this.url, { maxRetriesPerRequest: 2, connectTimeout: 2000 });
    r.on('error', () => {});
    try {
      await r.flushall();
    } finally {
      r.disconnect();
    }
  }

  killNow(): void {
    this.child?.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------
// Postgres

async function adminUrl(): Promise<string> {
  const { url, tried } = await findPostgresAdminUrl(process.env);
  if (url) return url;
  throw new Error(`no Postgres answers (tried ${tried.join(', ')}); set DATABASE_URL`);
}

async function adminExec(url: string, statement: string): Promise<void> {
  const handle = await openDatabase(url, { max: 1 });
  try {
    await handle.db.execute(sql.raw(statement));
  } finally {
    await handle.close();
  }
}

/** Chaos databases left by a run that was killed; anything older than an hour is garbage. */
async function dropStaleChaosDatabases(url: string): Promise<void> {
  const handle = await openDatabase(url, { max: 1 });
  try {
    const rows = rowsOf<{ datname: string }>(
      await handle.db.execute(sql`
        select datname from pg_database
        where datname like 'payouts_chaos_%'
          and (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification < now() - interval '1 hour'`),
    );
    for (const { datname } of rows) {
      await handle.db.execute(sql.raw(`drop database if exists "${datname}" with (force)`)).catch(() => {});
    }
  } catch {
    // Reading file dates needs privileges we may not have: then nothing is cleaned, which is fine.
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Payloads (shapes as in tests/e2e/providers.test.ts)

export interface PlannedPayout {
  index: number;
  provider: Provider;
  currency: string;
  amount: number;
  idempotencyKey: string;
  body: Record<string, unknown>;
}

function accountEnding(failShare: number, reverseShare: number): string {
  const r = Math.random();
  if (r < failShare) return '0001';
  if (r < failShare + reverseShare) return '0002';
  return String(randomInt(1000, 10_000)); // never 0001–0003
}

export function planPayout(index: number, runId: string, failShare: number, reverseShare: number): PlannedPayout {
  const provider = PROVIDERS[index % PROVIDERS.length]!;
  const account = accountEnding(failShare, reverseShare);
  let body: Record<string, unknown>;
  switch (provider) {
    case 'razorpayx':
      body = {
        amount: randomInt(100, 2_000_000),
        currency: 'INR',
        method: 'IMPS',
        purpose: 'payout',
        narration: 'Chaos payout',
        beneficiary: { name: 'Asha Rao', account_number: `12345678${account}`, bank_code: 'HDFC0001234' },
      };
      break;
    case 'krayon':
      body = {
        amount: randomInt(100, 2_000_000),
        currency: 'INR',
        provider: 'krayon',
        method: 'IMPS',
        description: 'chaos payout',
        beneficiary: {
          name: 'Elon Mush',
          first_name: 'elon',
          last_name: 'mush',
          email: 'elon@example.com',
          phone: '919895270111',
          country: 'IN',
          account_number: `111111${account}`,
          bank_code: 'KKBK0000261',
          address: { line1: 'Address Line 1', country: 'IN' },
        },
      };
      break;
    case 'thai-gateway':
      body = {
        amount: randomInt(100, 5_000_000),
        currency: 'THB',
        method: 'bank_account',
        description: 'Chaos payout',
        beneficiary: { name: 'John Doe', account_number: `123456${account}`, bank_code: '004' },
      };
      break;
    case 'druo': {
      const cop = Math.floor(index / PROVIDERS.length) % 2 === 1;
      body = {
        amount: cop ? randomInt(1_000, 50_000_000) : randomInt(100, 500_000),
        currency: cop ? 'COP' : 'USD',
        method: 'bank_account',
        description: 'Chaos payout',
        beneficiary: { provider_account_id: `acc_b7c41206-afb4-4954-a15c-dbcd5935${account}` },
      };
      break;
    }
  }
  return {
    index,
    provider,
    currency: body.currency as string,
    amount: body.amount as number,
    idempotencyKey: `chaos-${runId}-${index}`,
    body,
  };
}

// ---------------------------------------------------------------------------------------------
// The run

interface AcceptedPayout {
  id: string;
  plan: PlannedPayout;
}

interface ProviderRow {
  id: string;
  status: string;
  reference: string | null;
  idempotency_key: string | null;
  amount: number;
  currency: string;
  payout: unknown;
}

/** A provider-side status, in our words: did it pay, did it return, did it fail, or is it still going. */
function providerOutcome(status: string): 'processed' | 'reversed' | 'failed' | 'pending' {
  const s = status.toLowerCase();
  if (['processed', 'completed', 'successful', 'success', 'paid'].includes(s)) return 'processed';
  if (['reversed', 'returned', 'refunded'].includes(s)) return 'reversed';
  if (['failed', 'declined', 'rejected', 'cancelled', 'canceled', 'expired', 'error'].includes(s)) return 'failed';
  return 'pending';
}

/** DRUO declines a payout its float cannot cover: a dead attempt that never paid. */
function isFundsDecline(provider: Provider, row: ProviderRow): boolean {
  return provider === 'druo' && row.status === 'DECLINED' && /INSUFF?IC+IENT_FUNDS/.test(JSON.stringify(row.payout));
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const o = {
    concurrency: 16,
    workers: 2,
    reconcilers: 2,
    minKills: 4,
    chaosAfterLoadMs: 10_000,
    killEveryMs: [1500, 4000] as [number, number],
    restartAfterMs: [500, 2000] as [number, number],
    redisRestartAt: 0.4,
    flushAt: 0.7,
    failAccountShare: 0.02,
    reverseAccountShare: 0.02,
    settleTimeoutMs: 120_000 + options.payouts * 30,
    log: ((line: string) => process.stderr.write(`${line}\n`)) as Log,
    keepLogs: false as boolean | 'on-failure',
    ...options,
  };
  const faults: SandboxFaults = { ...DEFAULT_FAULTS, ...options.faults };
  const log = (line: string) => o.log(`[chaos +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  const t0 = Date.now();
  const deadline = o.deadlineMs ? t0 + o.deadlineMs : Number.POSITIVE_INFINITY;
  const runId = randomBytes(4).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'payouts-chaos-'));
  const logDir = join(dir, 'logs');
  const redisDir = join(dir, 'redis');
  mkdirSync(logDir);
  mkdirSync(redisDir);

  const report: ChaosReport = {
    payouts: o.payouts,
    accepted: 0,
    byProvider: {},
    byCurrency: {},
    states: {},
    kills: 0,
    killsByKind: { worker: 0, reconciler: 0 },
    processRestarts: 0,
    unexpectedExits: [],
    redisRestarts: 0,
    flushes: 0,
    apiRetries: 0,
    apiRetryReasons: {},
    lost: 0,
    extraInDatabase: 0,
    notFinal: 0,
    providerPayouts: {},
    duplicatedAtProviders: 0,
    missingAtProviders: 0,
    unaccountedAtProviders: 0,
    stateMismatches: 0,
    ledgerProblems: [],
    ledgerTotals: {},
    wallets: {},
    durationsMs: { setup: 0, load: 0, chaos: 0, settle: 0, check: 0, total: 0 },
    throughput: { acceptedPerSecond: 0, settledPerSecond: 0 },
    violations: [],
    warnings: [],
    logDir: null,
  };
  const violation = (message: string) => {
    report.violations.push(message);
  };

  const apps: AppProcess[] = [];
  const redis = new RedisServer(redisDir, join(logDir, 'redis.log'));
  let admin = '';
  const dbName = `payouts_chaos_${runId}${randomBytes(3).toString('hex')}`;
  let database: DatabaseHandle | null = null;
  let dbCreated = false;
  let stopping = false;
  const halted = () => stopping || o.signal?.aborted === true;
  const pendingRestarts = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  const killEverything = () => {
    for (const app of apps) app.killNow();
    redis.killNow();
    redis.release();
  };
  // Whatever ends this process (a test runner tearing its worker down, Ctrl-C), no child survives it.
  process.once('exit', killEverything);
  let failed = false;

  try {
    // --- Infrastructure --------------------------------------------------------------------
    admin = await adminUrl();
    const dbUrl = withDatabase(admin, dbName);
    await redis.start();
    log(`private redis-server on ${redis.url} (dir ${redisDir})`);
    await dropStaleChaosDatabases(admin);
    await adminExec(admin, `create database "${dbName}"`);
    dbCreated = true;
    database = await openDatabase(dbUrl, { max: 4 });
    await migrateDatabase(database);
    const db = database.db;
    log(`database ${dbName} migrated`);

    const apiPort = await freePort();
    const sandboxPort = await freePort();
    const operatorKey = `op_chaos_${randomBytes(16).toString('hex')}`;
    const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const env: NodeJS.ProcessEnv = {
      ...inheritedEnv(),
      DATABASE_URL: dbUrl,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: '{chaos}',
      LOG_LEVEL: 'warn',
      PORT: String(apiPort),
      SANDBOX_PORT: String(sandboxPort),
      SANDBOX_WEBHOOK_BASE_URL: apiUrl,
      OPERATOR_API_KEY: operatorKey,
      RAZORPAYX_BASE_URL: `${sandboxUrl}/razorpayx`,
      KRAYON_BASE_URL: `${sandboxUrl}/krayon`,
      THAI_GATEWAY_BASE_URL: `${sandboxUrl}/thai-gateway`,
      DRUO_BASE_URL: `${sandboxUrl}/druo`,
      RAZORPAYX_RATE_PER_SECOND: '2000',
      KRAYON_RATE_PER_SECOND: '2000',
      THAI_GATEWAY_RATE_PER_SECOND: '2000',
      DRUO_RATE_PER_SECOND: '2000',
      PROVIDER_TIMEOUT_MS: '1500',
      POLL_FIRST_DELAY_MS: '200',
      POLL_MAX_DELAY_MS: '2000',
      // Longer than SWEEP_AFTER_MS, so the sweeper restarts a reversal watch a flush lost.
      REVERSAL_WATCH_MS: String(REVERSAL_WATCH_MS),
      SWEEP_INTERVAL_MS: '2000',
      SWEEP_AFTER_MS: '5000',
      // Two workers and two reconcilers share this host: no fixed metrics port (it would clash).
      METRICS_PORT: '0',
    };

    // A process that dies on its own is restarted as a supervisor would, and reported.
    const onUnexpectedExit = (app: AppProcess, code: number | null, signal: string | null) => {
      if (stopping) return;
      report.unexpectedExits.push({ name: app.name, code, signal });
      const last = tail(app.logPath, 15)
        .split('\n')
        .map((l) => `    ${l.slice(0, 400)}`)
        .join('\n');
      report.warnings.push(
        `${app.name} exited on its own (code ${code}, signal ${signal}); restarted. Its last lines:\n${last}`,
      );
      log(`!! ${app.name} exited on its own (code ${code}, signal ${signal}); restarting in 1 s`);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) {
          app.start();
          report.processRestarts++;
        }
      }, 1000);
      timers.add(timer);
    };
    const app = (name: string, kind: AppKind) => {
      const p = new AppProcess(name, kind, env, join(logDir, `${name}.log`), onUnexpectedExit);
      apps.push(p);
      return p;
    };
    const sandbox = app('sandbox', 'sandbox');
    const api = app('api', 'api');
    const victims = [
      ...Array.from({ length: o.workers }, (_, i) => app(`worker-${i + 1}`, 'worker')),
      ...Array.from({ length: o.reconcilers }, (_, i) => app(`reconciler-${i + 1}`, 'reconciler')),
    ];

    // --- Apps ------------------------------------------------------------------------------
    sandbox.start();
    await waitUntil(
      async () => (await http(`${sandboxUrl}/healthz`, { timeoutMs: 1000 })).status === 200,
      60_000,
      'sandbox /healthz',
    );
    api.start();
    await waitUntil(
      async () => (await http(`${apiUrl}/readyz`, { timeoutMs: 3000 })).status === 200,
      90_000,
      'api /readyz',
    );
    // Reconcilers first: they migrate at start too, and fundings go through them.
    for (const v of victims) v.start();
    log(`sandbox ${sandboxUrl}, api ${apiUrl}, ${o.workers} workers, ${o.reconcilers} reconcilers started`);

    // --- Tenant, key, fundings, sandbox faults -----------------------------------------------
    const op = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      http(`${apiUrl}${path}`, {
        method,
        body,
        headers: { authorization: `Bearer ${operatorKey}`, ...headers },
        timeoutMs: 30_000,
      });
    const tenant = await op('POST', '/v1/admin/tenants', { name: `chaos ${runId}` }, { 'idempotency-key': runId });
    if (tenant.status !== 201) throw new Error(`create tenant: ${tenant.status} ${JSON.stringify(tenant.body)}`);
    const tenantId = tenant.body.id as string;
    const issued = await op('POST', `/v1/admin/tenants/${tenantId}/api-keys`, {});
    if (issued.status !== 201) throw new Error(`issue key: ${issued.status} ${JSON.stringify(issued.body)}`);
    const tenantKey = issued.body.key as string;
    const funded: Record<string, bigint> = {};
    const FUNDING = 10_000_000_000_000; // 10^13 minor units per currency: far beyond what the run spends
    for (const currency of CURRENCIES) {
      const res = await op('POST', `/v1/admin/tenants/${tenantId}/fundings`, {
        currency,
        amount: FUNDING,
        reference: `chaos-${runId}-${currency}`,
      });
      if (![200, 201, 202].includes(res.status))
        throw new Error(`funding ${currency}: ${res.status} ${JSON.stringify(res.body)}`);
      funded[currency] = BigInt(FUNDING);
    }
    await waitUntil(
      async () => {
        const balances = await walletBalances(db, tenantId);
        return CURRENCIES.every((c) => balances.find((b) => b.currency === c)?.available === funded[c]) || undefined;
      },
      60_000,
      'wallets funded',
    );

    const sandboxConfig = async (provider: Provider, patch: Record<string, unknown>) => {
      const res = await http(`${sandboxUrl}/_admin/${provider}/config`, { method: 'PATCH', body: patch });
      if (res.status !== 200) throw new Error(`sandbox ${provider} config: ${res.status} ${JSON.stringify(res.body)}`);
    };
    const hasWebhooks = (p: Provider) => p === 'razorpayx' || p === 'thai-gateway';
    for (const provider of PROVIDERS) {
      const patch: Partial<SandboxFaults> = { ...faults };
      if (!hasWebhooks(provider)) {
        delete patch.webhookDuplicateShare;
        delete patch.webhookOutOfOrderShare;
      }
      await sandboxConfig(provider, patch);
    }
    report.durationsMs.setup = Date.now() - t0;
    log(`tenant ${tenantId} funded; sandbox faults on; pushing ${o.payouts} payouts`);

    // --- Load and chaos, together -------------------------------------------------------------
    const accepted: AcceptedPayout[] = [];
    const plans = Array.from({ length: o.payouts }, (_, i) =>
      planPayout(i, runId, o.failAccountShare, o.reverseAccountShare),
    );
    const loadStart = Date.now();
    let loadDone = false;
    let loadEnd = 0;
    let laneError: unknown = null;
    const loadGiveUpAt = loadStart + Math.max(600_000, o.payouts * 100);

    const post = async (plan: PlannedPayout): Promise<void> => {
      let delay = 200;
      for (;;) {
        if (halted() || laneError) throw new Error('run stopped');
        let res: HttpAnswer | null = null;
        let reason: string;
        try {
          res = await http(`${apiUrl}/v1/payouts`, {
            method: 'POST',
            body: plan.body,
            headers: { authorization: `Bearer ${tenantKey}`, 'idempotency-key': plan.idempotencyKey },
            timeoutMs: 20_000,
          });
          reason = String(res.status);
        } catch (error) {
          reason = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network';
        }
        if (res?.status === 202) {
          if (typeof res.body?.id !== 'string') throw new Error(`202 without an id: ${JSON.stringify(res.body)}`);
          if (res.body.provider !== plan.provider)
            violation(`payout ${res.body.id} routed to ${res.body.provider}, asked for ${plan.provider}`);
          accepted.push({ id: res.body.id, plan });
          return;
        }
        if (res && res.status < 500 && res.status !== 409 && res.status !== 429) {
          throw new Error(
            `POST /v1/payouts ${plan.provider} #${plan.index}: ${res.status} ${JSON.stringify(res.body)}`,
          );
        }
        // The client's contract: a 5xx, a 409 (the first attempt still running) or no answer at
        // all is retried with the same Idempotency-Key until it is accepted.
        report.apiRetries++;
        report.apiRetryReasons[reason] = (report.apiRetryReasons[reason] ?? 0) + 1;
        if (Date.now() > loadGiveUpAt) throw new Error(`payout #${plan.index} never accepted (last: ${reason})`);
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    };

    const load = (async () => {
      let next = 0;
      const lane = async () => {
        for (;;) {
          if (halted() || laneError) return;
          const i = next++;
          if (i >= plans.length) return;
          if (o.loadRatePerSecond) {
            const due = loadStart + (i * 1000) / o.loadRatePerSecond;
            if (due > Date.now()) await sleep(due - Date.now());
          }
          await post(plans[i]!);
        }
      };
      await Promise.all(
        Array.from({ length: o.concurrency }, () =>
          lane().catch((error) => {
            laneError ??= error;
          }),
        ),
      );
      if (laneError) throw laneError;
    })().finally(() => {
      loadDone = true;
      loadEnd = Date.now();
    });

    // Redis: restarted once at ~40% of the load, flushed once at ~70%.
    const redisChaos = (async () => {
      const at = (share: number) => () => accepted.length >= Math.ceil(o.payouts * share) || loadDone;
      while (!at(o.redisRestartAt)()) await sleep(50);
      if (halted()) return;
      log(`restarting Redis at ${accepted.length} accepted`);
      await redis.restart();
      report.redisRestarts++;
      log('Redis is back (AOF kept)');
      while (!at(o.flushAt)()) await sleep(50);
      if (halted()) return;
      log(`FLUSHALL at ${accepted.length} accepted`);
      await redis.flushAll();
      report.flushes++;
    })();

    // Workers and reconcilers: SIGKILL one at random every 1.5–4 s, restart it 0.5–2 s later.
    const chaosStart = Date.now();
    const killer = (async () => {
      for (;;) {
        await sleep(between(o.killEveryMs));
        const enough = loadDone && report.kills >= o.minKills && Date.now() - loadEnd >= o.chaosAfterLoadMs;
        if (enough || halted()) return;
        const alive = victims.filter((v) => v.alive);
        const victim = alive[Math.floor(Math.random() * alive.length)];
        if (!victim) continue;
        await victim.stop('SIGKILL');
        report.kills++;
        report.killsByKind[victim.kind === 'worker' ? 'worker' : 'reconciler']++;
        const downFor = between(o.restartAfterMs);
        log(`SIGKILL ${victim.name} (kill ${report.kills}); back in ${Math.round(downFor)} ms`);
        const restart = sleep(downFor).then(() => {
          if (stopping) return;
          victim.start();
          report.processRestarts++;
        });
        pendingRestarts.add(restart);
        void restart.finally(() => pendingRestarts.delete(restart));
      }
    })();

    const progress = setInterval(() => {
      if (!loadDone) log(`load: ${accepted.length}/${o.payouts} accepted, ${report.apiRetries} retries`);
    }, 5000);
    timers.add(progress);
    try {
      await load;
    } finally {
      loadDone = true;
      clearInterval(progress);
      timers.delete(progress);
    }
    report.durationsMs.load = loadEnd - loadStart;
    report.accepted = accepted.length;
    log(`load done: ${accepted.length} accepted in ${(report.durationsMs.load / 1000).toFixed(1)} s`);
    await redisChaos;
    await killer;
    await Promise.all([...pendingRestarts]);
    report.durationsMs.chaos = Date.now() - chaosStart;
    log(`chaos over: ${report.kills} kills, ${report.redisRestarts} Redis restart, ${report.flushes} flush`);

    // --- Settle ----------------------------------------------------------------------------
    for (const v of victims) if (!v.alive) v.start();
    for (const provider of PROVIDERS) {
      await sandboxConfig(provider, {
        http5xxShare: 0,
        http429Share: 0,
        timeoutAfterCommitShare: 0,
        failureShare: 0,
        reversalShare: 0,
        ...(hasWebhooks(provider) ? { webhookDuplicateShare: 0, webhookOutOfOrderShare: 0 } : {}),
      });
    }
    const ids = accepted.map((a) => a.id);
    const settleStart = Date.now();
    const settleBy = Math.min(settleStart + o.settleTimeoutMs, deadline - 20_000);
    const statusCounts = async () => {
      const rows = rowsOf<{ status: string; n: string | number | bigint }>(
        await db.execute(sql`select status, count(*) as n from payouts group by status`),
      );
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Record<string, number>;
    };
    let lastLog = 0;
    let settled = false;
    while (Date.now() < settleBy && !halted()) {
      const counts = await statusCounts();
      const open = Object.entries(counts)
        .filter(([s]) => !isFinal(s))
        .reduce((n, [, c]) => n + c, 0);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      if (open === 0 && total >= ids.length) {
        settled = true;
        break;
      }
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        const openStates = Object.entries(counts)
          .filter(([s]) => !isFinal(s))
          .map(([s, c]) => `${s}=${c}`)
          .join(' ');
        log(`settling: ${open} open (${openStates})`);
      }
      await sleep(500);
    }
    const firstSettledAt = Date.now();
    if (settled) {
      // A reversal within the watch may still be seen (by a chain the sweeper restarted after a
      // flush: up to the watch, a sweep interval and a poll interval later), or a duplicate
      // webhook arrive: let them.
      await sleep(Math.min(REVERSAL_WATCH_MS + 5000, Math.max(0, deadline - 15_000 - Date.now())));
    }
    report.durationsMs.settle = firstSettledAt - settleStart;
    log(
      settled
        ? `every payout final ${(report.durationsMs.settle / 1000).toFixed(1)} s after the chaos`
        : 'settle timed out: checking what there is',
    );

    // --- Checks ----------------------------------------------------------------------------
    if (o.signal?.aborted) throw new Error('chaos run aborted');
    const checkStart = Date.now();
    const rows = await db
      .select({
        id: payouts.id,
        status: payouts.status,
        amount: payouts.amount,
        currency: payouts.currency,
        provider: payouts.provider,
        fees: payouts.fees,
        tax: payouts.tax,
        providerPayoutId: payouts.providerPayoutId,
      })
      .from(payouts);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const idSet = new Set(ids);
    if (idSet.size !== ids.length) violation(`the API returned ${ids.length - idSet.size} payout ids twice`);

    // 1. None lost, none extra.
    for (const a of accepted) {
      const row = byId.get(a.id);
      if (!row) {
        report.lost++;
        if (report.lost <= 10) violation(`lost: payout ${a.id} (#${a.plan.index}) was accepted but is not in Postgres`);
        continue;
      }
      if (row.amount !== BigInt(a.plan.amount) || row.currency !== a.plan.currency || row.provider !== a.plan.provider)
        violation(`payout ${a.id} stored as ${row.amount} ${row.currency} ${row.provider}, asked ${a.plan.amount}`);
      report.byProvider[row.provider] = (report.byProvider[row.provider] ?? 0) + 1;
      report.byCurrency[row.currency] = (report.byCurrency[row.currency] ?? 0) + 1;
    }
    if (report.lost > 10) violation(`lost: ${report.lost} payouts in all`);
    report.extraInDatabase = rows.filter((r) => !idSet.has(r.id)).length;
    if (report.extraInDatabase > 0)
      violation(`${report.extraInDatabase} payouts in Postgres that the API never returned (duplicate ingestion)`);
    if (rows.length !== idSet.size) violation(`Postgres holds ${rows.length} payouts for ${idSet.size} accepted ids`);

    // 2. Every payout final.
    for (const r of rows) report.states[r.status] = (report.states[r.status] ?? 0) + 1;
    const open = rows.filter((r) => !isFinal(r.status));
    report.notFinal = open.length;
    if (open.length > 0) {
      violation(
        `${open.length} payouts not final: ${Object.entries(report.states)
          .filter(([s]) => !isFinal(s))
          .map(([s, n]) => `${s}=${n}`)
          .join(', ')}`,
      );
    }

    // 3. Provider-side payouts: ≤ 1 per payout, exactly 1 when processed/reversed, none unaccounted.
    const providerRows = new Map<string, { provider: Provider; row: ProviderRow }[]>();
    for (const provider of PROVIDERS) {
      const res = await http(`${sandboxUrl}/_admin/${provider}/payouts`, { timeoutMs: 60_000 });
      if (res.status !== 200) throw new Error(`sandbox ${provider} payouts: ${res.status}`);
      const list = res.body.data as ProviderRow[];
      report.providerPayouts[provider] = list.length;
      let unaccounted = 0;
      for (const row of list) {
        const owner = [row.idempotency_key, row.reference].find((k) => k != null && byId.has(k));
        if (!owner) {
          unaccounted++;
          if (unaccounted <= 5)
            violation(`${provider} payout ${row.id} (reference ${row.reference}) belongs to no payout of ours`);
          continue;
        }
        if (byId.get(owner)!.provider !== provider)
          violation(`payout ${owner} (${byId.get(owner)!.provider}) found at ${provider} as ${row.id}`);
        if (isFundsDecline(provider, row)) continue;
        providerRows.set(owner, [...(providerRows.get(owner) ?? []), { provider, row }]);
      }
      report.unaccountedAtProviders += unaccounted;
    }
    const suspects: string[] = [];
    for (const r of rows) {
      const at = providerRows.get(r.id) ?? [];
      if (at.length > 1) {
        report.duplicatedAtProviders++;
        suspects.push(r.id);
        violation(
          `duplicate at ${r.provider}: payout ${r.id} (${r.status}) has ${at.length} provider payouts: ${at
            .map((x) => `${x.row.id}=${x.row.status}`)
            .join(', ')}`,
        );
      }
      if ((r.status === 'processed' || r.status === 'reversed') && at.length === 0) {
        report.missingAtProviders++;
        suspects.push(r.id);
        violation(`payout ${r.id} is ${r.status} but ${r.provider} has no payout for it`);
      }
      // The provider's final word must agree with ours: otherwise money moved that the ledger did not record.
      if (at.length === 1 && isFinal(r.status)) {
        const theirs = providerOutcome(at[0]!.row.status);
        const ours = r.status === 'processed' || r.status === 'reversed' ? r.status : 'failed';
        if (theirs !== ours) {
          report.stateMismatches++;
          suspects.push(r.id);
          violation(`payout ${r.id} is ${r.status} here but ${at[0]!.row.status} at ${r.provider} (${at[0]!.row.id})`);
        }
      }
    }

    // 4. The ledger verifies and balances to the unit.
    const ledger = await verifyLedger(db);
    report.ledgerProblems = ledger.problems;
    for (const t of ledger.totals) report.ledgerTotals[t.currency] = t.sum.toString();
    for (const p of ledger.problems.slice(0, 20)) violation(`ledger: ${p}`);
    for (const t of ledger.totals) if (t.sum !== 0n) violation(`ledger in ${t.currency} sums to ${t.sum}, not 0`);

    // 5. Wallets: nothing held; available = funded − Σ processed (amount + fees + tax).
    const spent: Record<string, bigint> = {};
    for (const r of rows) {
      if (r.status !== 'processed') continue;
      spent[r.currency] = (spent[r.currency] ?? 0n) + r.amount + (r.fees ?? 0n) + (r.tax ?? 0n);
    }
    const balances = await walletBalances(db, tenantId);
    for (const currency of CURRENCIES) {
      const b = balances.find((x) => x.currency === currency) ?? { available: 0n, held: 0n };
      const expected = funded[currency]! - (spent[currency] ?? 0n);
      report.wallets[currency] = {
        funded: funded[currency]!.toString(),
        expectedAvailable: expected.toString(),
        available: b.available.toString(),
        held: b.held.toString(),
        difference: (b.available - expected).toString(),
      };
      if (b.held !== 0n) violation(`${currency} wallet still holds ${b.held}`);
      if (b.available !== expected)
        violation(
          `${currency} wallet available ${b.available}, expected ${expected} (off by ${b.available - expected})`,
        );
    }

    // What the suspects went through, for whoever reads the failure.
    if (suspects.length > 0) {
      const sample = [...new Set(suspects)].slice(0, 5);
      const events = await db
        .select()
        .from(payoutEvents)
        .where(inArray(payoutEvents.payoutId, sample))
        .orderBy(asc(payoutEvents.id));
      for (const id of sample) {
        const history = events
          .filter((e) => e.payoutId === id)
          .map(
            (e) =>
              `${e.createdAt.toISOString().slice(11, 23)} ${e.fromStatus ?? '∅'}→${e.toStatus}${e.applied ? '' : ' (ignored)'} by ${e.source}${e.detail ? ` ${JSON.stringify(e.detail).slice(0, 160)}` : ''}`,
          );
        report.warnings.push(`history of ${id}:\n    ${history.join('\n    ')}`);
      }
    }
    if (open.length > 0) {
      const sample = open.slice(0, 5).map((r) => r.id);
      const events = await db
        .select()
        .from(payoutEvents)
        .where(inArray(payoutEvents.payoutId, sample))
        .orderBy(asc(payoutEvents.id));
      for (const id of sample) {
        const history = events
          .filter((e) => e.payoutId === id)
          .map((e) => `${e.fromStatus ?? '∅'}→${e.toStatus}${e.applied ? '' : ' (ignored)'} by ${e.source}`);
        report.warnings.push(`stuck ${id} (${byId.get(id)?.status}): ${history.join(', ')}`);
      }
    }

    report.durationsMs.check = Date.now() - checkStart;
    report.throughput.acceptedPerSecond = round(accepted.length / Math.max(report.durationsMs.load / 1000, 0.001));
    report.throughput.settledPerSecond = round(accepted.length / Math.max((firstSettledAt - loadStart) / 1000, 0.001));
    if (report.violations.length > 0) failed = true;
    return report;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    stopping = true;
    for (const t of timers) clearTimeout(t);
    await Promise.all([...pendingRestarts]).catch(() => {});
    if (failed) {
      const crashed = new Set(report.unexpectedExits.map((e) => e.name));
      for (const a of apps.filter((x) => crashed.has(x.name)))
        o.log(`--- last lines of ${a.name} (${a.logPath}):\n${tail(a.logPath)}`);
    }
    await Promise.all(apps.map((a) => a.stop('SIGKILL')));
    await redis.stop().catch(() => redis.killNow());
    redis.release();
    process.removeListener('exit', killEverything);
    await database?.close().catch(() => {});
    if (dbCreated) await adminExec(admin, `drop database if exists "${dbName}" with (force)`).catch(() => {});
    if (o.keepLogs === true || (failed && o.keepLogs === 'on-failure')) {
      report.logDir = logDir;
      o.log(`logs kept in ${logDir}`);
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
    report.durationsMs.total = Date.now() - t0;
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The figures as a two-column table (for `pnpm chaos` and a failing test). */
export function formatReport(r: ChaosReport): string {
  const rows: [string, string][] = [
    ['payouts pushed / accepted', `${r.payouts} / ${r.accepted}`],
    [
      'per provider',
      Object.entries(r.byProvider)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    [
      'per currency',
      Object.entries(r.byCurrency)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    [
      'final states',
      Object.entries(r.states)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['SIGKILLs', `${r.kills} (workers ${r.killsByKind.worker}, reconcilers ${r.killsByKind.reconciler})`],
    ['process restarts', `${r.processRestarts} (unexpected exits ${r.unexpectedExits.length})`],
    ['Redis restarts / flushes', `${r.redisRestarts} / ${r.flushes}`],
    ['API retries (same key)', `${r.apiRetries} ${JSON.stringify(r.apiRetryReasons)}`],
    ['lost', String(r.lost)],
    ['not final', String(r.notFinal)],
    [
      'provider-side payouts',
      Object.entries(r.providerPayouts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['duplicated at providers', String(r.duplicatedAtProviders)],
    ['missing at providers', String(r.missingAtProviders)],
    ['unaccounted at providers', String(r.unaccountedAtProviders)],
    ['state mismatches (ours vs provider)', String(r.stateMismatches)],
    [
      'ledger sum per currency',
      Object.entries(r.ledgerTotals)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['ledger problems', String(r.ledgerProblems.length)],
    [
      'wallet difference',
      Object.entries(r.wallets)
        .map(([k, w]) => `${k} ${w.difference} (held ${w.held})`)
        .join(', '),
    ],
    [
      'durations',
      `setup ${s(r.durationsMs.setup)}, load ${s(r.durationsMs.load)}, chaos ${s(r.durationsMs.chaos)}, settle ${s(r.durationsMs.settle)}, check ${s(r.durationsMs.check)}, total ${s(r.durationsMs.total)}`,
    ],
    [
      'throughput',
      `${r.throughput.acceptedPerSecond} accepted/s, ${r.throughput.settledPerSecond} settled/s (load start → all final)`,
    ],
    ['violations', String(r.violations.length)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

function s(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
