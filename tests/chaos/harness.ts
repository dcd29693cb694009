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
 * Used by tests/chaos/chaos.test.ts (short) and scripts/chaos.ts (`pnpm chaos`, long). The run's parts live beside this file: redis-server.ts,
 * postgres.ts, payloads.ts, checks.ts (the invariants) and report.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FINAL_STATUSES } from '@payouts/core';
import { type Database, type DatabaseHandle, migrateDatabase, openDatabase, rowsOf } from '@payouts/db';
import { walletBalances } from '@payouts/ledger';
import { sandboxProviderEnv, WEBHOOK_PROVIDERS } from '@payouts/providers';
import {
  type AppKind,
  AppProcess,
  adminExec,
  freePort,
  type HttpAnswer,
  http,
  inheritedEnv,
  tail,
  waitUntil,
  withDatabase,
} from '@payouts/testing';
import { sql } from 'drizzle-orm';
import { checkInvariants } from './checks.ts';
import {
  type AcceptedPayout,
  CURRENCIES,
  type PlannedPayout,
  PROVIDERS,
  type Provider,
  planPayout,
} from './payloads.ts';
import { adminUrl, dropStaleChaosDatabases } from './postgres.ts';
import { RedisServer } from './redis-server.ts';
import { type ChaosReport, emptyReport } from './report.ts';

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

type Log = (line: string) => void;

const between = ([min, max]: [number, number]) => min + Math.random() * (max - min);
const isFinal = (status: string) => (FINAL_STATUSES as ReadonlySet<string>).has(status);

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function withDefaults(options: ChaosOptions) {
  return {
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
}

/** One run's settings, its report, and what its cleanup must undo. */
interface Run {
  o: ReturnType<typeof withDefaults>;
  faults: SandboxFaults;
  log: Log;
  t0: number;
  deadline: number;
  runId: string;
  dir: string;
  logDir: string;
  redisDir: string;
  report: ChaosReport;
  violation(message: string): void;
  apps: AppProcess[];
  redis: RedisServer;
  admin: string;
  dbName: string;
  database: DatabaseHandle | null;
  dbCreated: boolean;
  /** Set once cleanup begins: nothing is restarted after it. */
  stopping: boolean;
  halted(): boolean;
  pendingRestarts: Set<Promise<void>>;
  timers: Set<NodeJS.Timeout>;
}

/** The apps of a run, and where they answer. */
interface Cluster {
  apiUrl: string;
  sandboxUrl: string;
  operatorKey: string;
  /** Workers and reconcilers: what the chaos kills. */
  victims: AppProcess[];
}

/** The tenant the load is posted for, and what each of its wallets was funded with. */
interface FundedTenant {
  tenantId: string;
  tenantKey: string;
  /** A second person's key (an approver) for the payouts the tenant's approval policy catches. */
  approverKey: string;
  funded: Record<string, bigint>;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const o = withDefaults(options);
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'payouts-chaos-'));
  const logDir = join(dir, 'logs');
  const redisDir = join(dir, 'redis');
  mkdirSync(logDir);
  mkdirSync(redisDir);
  const runId = randomBytes(4).toString('hex');
  const report = emptyReport(o.payouts);
  const run: Run = {
    o,
    faults: { ...DEFAULT_FAULTS, ...options.faults },
    log: (line: string) => o.log(`[chaos +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`),
    t0,
    deadline: o.deadlineMs ? t0 + o.deadlineMs : Number.POSITIVE_INFINITY,
    runId,
    dir,
    logDir,
    redisDir,
    report,
    violation: (message: string) => {
      report.violations.push(message);
    },
    apps: [],
    redis: new RedisServer(redisDir, join(logDir, 'redis.log')),
    admin: '',
    dbName: `payouts_chaos_${runId}${randomBytes(3).toString('hex')}`,
    database: null,
    dbCreated: false,
    stopping: false,
    halted: () => run.stopping || o.signal?.aborted === true,
    pendingRestarts: new Set(),
    timers: new Set(),
  };
  const killEverything = () => {
    for (const app of run.apps) app.killNow();
    run.redis.killNow();
    run.redis.release();
  };
  // Whatever ends this process (a test runner tearing its worker down, Ctrl-C), no child survives it.
  process.once('exit', killEverything);
  let failed = false;

  try {
    const { db, dbUrl } = await startInfrastructure(run);
    const cluster = await startApps(run, dbUrl);
    const tenant = await fundTenant(run, db, cluster);
    for (const provider of PROVIDERS)
      await configureSandbox(cluster.sandboxUrl, provider, faultsFor(provider, run.faults));
    report.durationsMs.setup = Date.now() - t0;
    run.log(`tenant ${tenant.tenantId} funded; sandbox faults on; pushing ${o.payouts} payouts`);

    const { accepted, loadStart } = await loadUnderChaos(run, cluster, tenant.tenantKey, tenant.approverKey);
    const firstSettledAt = await settle(run, db, cluster, accepted.length);

    if (o.signal?.aborted) throw new Error('chaos run aborted');
    const checkStart = Date.now();
    await checkInvariants({ db, sandboxUrl: cluster.sandboxUrl, accepted, ...tenant }, report);
    report.durationsMs.check = Date.now() - checkStart;
    report.throughput.acceptedPerSecond = round(accepted.length / Math.max(report.durationsMs.load / 1000, 0.001));
    report.throughput.settledPerSecond = round(accepted.length / Math.max((firstSettledAt - loadStart) / 1000, 0.001));
    if (report.violations.length > 0) failed = true;
    return report;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await cleanUp(run, failed);
    process.removeListener('exit', killEverything);
    report.durationsMs.total = Date.now() - t0;
  }
}

/** The private Redis and the run's own migrated database. */
async function startInfrastructure(run: Run): Promise<{ db: Database; dbUrl: string }> {
  const { redis, redisDir, dbName, log } = run;
  run.admin = await adminUrl();
  const admin = run.admin;
  const dbUrl = withDatabase(admin, dbName);
  await redis.start();
  log(`private redis-server on ${redis.url} (dir ${redisDir})`);
  await dropStaleChaosDatabases(admin);
  await adminExec(admin, `create database "${dbName}"`);
  run.dbCreated = true;
  const database = await openDatabase(dbUrl, { max: 4 });
  run.database = database;
  await migrateDatabase(database);
  const db = database.db;
  log(`database ${dbName} migrated`);
  return { db, dbUrl };
}

/** Sandbox, API, workers and reconcilers as child processes, each restarted when it dies on its own. */
async function startApps(run: Run, dbUrl: string): Promise<Cluster> {
  const { o, redis, report, log, logDir, apps, timers } = run;
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
    ...sandboxProviderEnv(sandboxUrl, 2000),
    PROVIDER_TIMEOUT_MS: '1500',
    ABSENCE_AFTER_MS: '4000',
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
    if (run.stopping) return;
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
      if (!run.stopping) {
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

  return { apiUrl, sandboxUrl, operatorKey, victims };
}

/** A tenant with its own key, every currency's wallet funded far beyond what the run spends. */
async function fundTenant(run: Run, db: Database, { apiUrl, operatorKey }: Cluster): Promise<FundedTenant> {
  const { runId } = run;
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

  // About one payout in ten is over these thresholds (the amounts are random): it waits in
  // pending_approval until the approver below approves it, while the processes are being killed.
  const policy = await http(`${apiUrl}/v1/approval-policy`, {
    method: 'PUT',
    body: { rules: [{ kind: 'payout', min_amount: APPROVAL_THRESHOLDS, approvals_required: 1 }] },
    headers: { authorization: `Bearer ${tenantKey}` },
    timeoutMs: 30_000,
  });
  if (policy.status !== 200) throw new Error(`approval policy: ${policy.status} ${JSON.stringify(policy.body)}`);
  const approver = await op('POST', `/v1/admin/tenants/${tenantId}/api-keys`, {
    role: 'approver',
    label: 'chaos approver',
  });
  if (approver.status !== 201) throw new Error(`approver key: ${approver.status} ${JSON.stringify(approver.body)}`);

  return { tenantId, tenantKey, approverKey: approver.body.key as string, funded };
}

/** Per currency, the amount from which a payout needs an approval (about the top tenth of payloads.ts's amounts). */
const APPROVAL_THRESHOLDS = { INR: 1_800_000, THB: 4_500_000, USD: 450_000, COP: 45_000_000 };

/**
 * An operator call that must go through, tried again while the API is busy or its answer is lost
 * (the processes around it are being killed); a 4xx is the harness's bug and throws.
 */
async function operatorCall(
  apiUrl: string,
  operatorKey: string,
  method: 'POST',
  path: string,
  body?: unknown,
): Promise<{ id: string }> {
  for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
    const res = await http(`${apiUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { body }),
      headers: { authorization: `Bearer ${operatorKey}`, 'idempotency-key': `chaos-${path}` },
      timeoutMs: 20_000,
    }).catch(() => null);
    if (res && res.status < 300) return res.body as { id: string };
    if (res && res.status < 500 && res.status !== 409 && res.status !== 429) {
      throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    await sleep(delay);
  }
}

async function configureSandbox(sandboxUrl: string, provider: Provider, patch: Record<string, unknown>): Promise<void> {
  const res = await http(`${sandboxUrl}/_admin/${provider}/config`, { method: 'PATCH', body: patch });
  if (res.status !== 200) throw new Error(`sandbox ${provider} config: ${res.status} ${JSON.stringify(res.body)}`);
}

const hasWebhooks = (p: Provider) => (WEBHOOK_PROVIDERS as readonly string[]).includes(p);

/** The run's faults, without the webhook ones for a provider that sends no webhooks. */
function faultsFor(provider: Provider, faults: SandboxFaults): Partial<SandboxFaults> {
  const patch: Partial<SandboxFaults> = { ...faults };
  if (!hasWebhooks(provider)) {
    delete patch.webhookDuplicateShare;
    delete patch.webhookOutOfOrderShare;
  }
  return patch;
}

/**
 * Pushes every planned payout through the API (retrying as a client must) while Redis is restarted
 * and flushed and workers and reconcilers are killed; returns once the load and the chaos are over.
 */
async function loadUnderChaos(
  run: Run,
  { apiUrl, sandboxUrl, operatorKey, victims }: Cluster,
  tenantKey: string,
  approverKey: string,
): Promise<{ accepted: AcceptedPayout[]; loadStart: number }> {
  const { o, report, log, redis, runId, halted, violation, pendingRestarts, timers } = run;
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
        if (res.body.status === 'pending_approval') {
          report.approvalsNeeded++;
          approvals.push(approve(res.body.id));
        }
        return;
      }
      if (res && res.status < 500 && res.status !== 409 && res.status !== 429) {
        throw new Error(`POST /v1/payouts ${plan.provider} #${plan.index}: ${res.status} ${JSON.stringify(res.body)}`);
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

  /**
   * A second person approves a payout that waits for approval, retrying through the chaos as a
   * client would: a 5xx or no answer is tried again; a 409 saying it was approved already (an
   * earlier try went through, its answer lost) is done.
   */
  const approvals: Promise<void>[] = [];
  const approve = async (id: string): Promise<void> => {
    let delay = 200;
    for (;;) {
      if (halted() || laneError) return;
      let res: HttpAnswer | null = null;
      try {
        res = await http(`${apiUrl}/v1/payouts/${id}/approve`, {
          method: 'POST',
          headers: { authorization: `Bearer ${approverKey}` },
          timeoutMs: 20_000,
        });
      } catch {
        // no answer: tried again
      }
      if (res?.status === 200 || (res?.status === 409 && res.body?.approval_status === 'approved')) {
        report.approved++;
        return;
      }
      if (res && res.status < 500 && res.status !== 429) {
        violation(`approving ${id}: ${res.status} ${JSON.stringify(res.body)}`);
        return;
      }
      if (Date.now() > loadGiveUpAt) {
        violation(`payout ${id} never approved`);
        return;
      }
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
        const plan = plans[i];
        if (plan === undefined) return;
        if (o.loadRatePerSecond) {
          const due = loadStart + (i * 1000) / o.loadRatePerSecond;
          if (due > Date.now()) await sleep(due - Date.now());
        }
        await post(plan);
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

  // RazorpayX: its credentials revoked at ~20% of the load (rotated at the provider) and restored
  // 4 s later (the operator's fix), then an operator downtime on IMPS from ~50%, ended 4 s later.
  // Neither may fail a payout: a parked provider and a downtime hold payouts where they are.
  const providerChaos = (async () => {
    const at = (share: number) => () => accepted.length >= Math.ceil(o.payouts * share) || loadDone;
    while (!at(0.2)()) await sleep(50);
    if (halted()) return;
    log(`revoking RazorpayX credentials at ${accepted.length} accepted`);
    await configureSandbox(sandboxUrl, 'razorpayx', { credentialsRevoked: true });
    await sleep(4_000);
    await configureSandbox(sandboxUrl, 'razorpayx', { credentialsRevoked: false });
    report.credentialRotations++;
    log('RazorpayX credentials valid again');
    while (!at(0.5)()) await sleep(50);
    if (halted()) return;
    const declared = await operatorCall(apiUrl, operatorKey, 'POST', '/v1/admin/providers/razorpayx/downtime', {
      modes: ['IMPS'],
      starts_at: new Date(Date.now() - 1_000).toISOString(),
      ends_at: null,
    });
    log(`RazorpayX IMPS downtime ${declared.id} declared at ${accepted.length} accepted`);
    await sleep(4_000);
    await operatorCall(apiUrl, operatorKey, 'POST', `/v1/admin/providers/razorpayx/downtimes/${declared.id}/end`);
    report.downtimes++;
    log('RazorpayX IMPS downtime ended');
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
        if (run.stopping) return;
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
  await Promise.all(approvals);
  report.durationsMs.load = loadEnd - loadStart;
  report.accepted = accepted.length;
  log(`load done: ${accepted.length} accepted in ${(report.durationsMs.load / 1000).toFixed(1)} s`);
  await redisChaos;
  await providerChaos;
  await killer;
  await Promise.all([...pendingRestarts]);
  report.durationsMs.chaos = Date.now() - chaosStart;
  log(`chaos over: ${report.kills} kills, ${report.redisRestarts} Redis restart, ${report.flushes} flush`);

  return { accepted, loadStart };
}

/**
 * Faults off and every app up, then waits for every payout to be final (and a little longer, for
 * late reversals and duplicate webhooks); returns when they first all were.
 */
async function settle(
  run: Run,
  db: Database,
  { sandboxUrl, victims }: Cluster,
  acceptedCount: number,
): Promise<number> {
  const { o, report, log, deadline, halted } = run;
  for (const v of victims) if (!v.alive) v.start();
  for (const provider of PROVIDERS) {
    await configureSandbox(sandboxUrl, provider, {
      http5xxShare: 0,
      http429Share: 0,
      timeoutAfterCommitShare: 0,
      failureShare: 0,
      reversalShare: 0,
      ...(hasWebhooks(provider) ? { webhookDuplicateShare: 0, webhookOutOfOrderShare: 0 } : {}),
    });
  }
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
    if (open === 0 && total >= acceptedCount) {
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

  return firstSettledAt;
}

/** Stops every process, drops the database, and keeps or removes the logs. */
async function cleanUp(run: Run, failed: boolean): Promise<void> {
  const { o, report, apps, redis, timers, pendingRestarts, admin, dbName, logDir, dir } = run;
  run.stopping = true;
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
  await run.database?.close().catch(() => {});
  if (run.dbCreated) await adminExec(admin, `drop database if exists "${dbName}" with (force)`).catch(() => {});
  if (o.keepLogs === true || (failed && o.keepLogs === 'on-failure')) {
    report.logDir = logDir;
    o.log(`logs kept in ${logDir}`);
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
}
