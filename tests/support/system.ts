import { type RunningApi, readApiEnv, startApi } from '@payouts/api';
import type { ProviderId } from '@payouts/core';
import { createLogger } from '@payouts/observability';
import { sandboxProviderEnv, type ThaiGatewayAmountUnit, WEBHOOK_PROVIDERS } from '@payouts/providers';
import { createRedis, Queues, type RedisConnection } from '@payouts/queue';
import { type RunningReconciler, readReconcilerEnv, reconcilerSettings, startReconciler } from '@payouts/reconciler';
import { type ProviderConfigPatch, type RunningSandbox, startSandbox } from '@payouts/sandbox';
import type { TestDatabase } from '@payouts/testing';
import { createTestDatabase, deleteKeysUnder, must, testQueuePrefix, testRedisUrl, waitFor } from '@payouts/testing';
import { adaptersFromEnv, type RunningWorkers, readWorkerEnv, startWorkers, workerSettings } from '@payouts/worker';
import { assertDocumented } from './openapi.ts';

/**
 * The whole system in this test process — api, reconciler, worker and sandbox — each built from
 * its own configuration exactly as its main.ts does, over real Postgres (a database of its own)
 * and real Redis (a queue prefix of its own). Only the providers are simulated, at HTTP.
 */
export interface TestSystem {
  api: RunningApi;
  sandbox: RunningSandbox;
  db: TestDatabase;
  redis: RedisConnection;
  queues: Queues;
  /** The running reconciler (throws while processing is stopped). */
  readonly reconciler: RunningReconciler;
  /** The running workers (throws while processing is stopped). */
  readonly workers: RunningWorkers;
  prefix: string;
  /** Stops (and restarts) the reconciler and workers, as a crash or a deploy would. */
  stopProcessing(): Promise<void>;
  startProcessing(): void;
  /** Deletes every Redis key of this system: a flushed or failed-over Redis. */
  flushQueues(): Promise<void>;
  /**
   * Pauses the provider's queue and waits for the jobs already taken to finish (a pause lets them):
   * from then on no worker calls the provider.
   */
  pauseProvider(provider: ProviderId): Promise<void>;
  operatorKey: string;
  stop(): Promise<void>;
}

export const OPERATOR_KEY = 'op_test_key_0123456789abcdef';

export async function startTestSystem(
  options: {
    sandbox?: ProviderConfigPatch;
    env?: Record<string, string>;
    webhooks?: boolean;
    /** Another Redis than the tests' own, e.g. `redis+cluster://…` from tests/support/redis-cluster.ts. */
    redisUrl?: string;
    /** Where every app's log lines go (one JSON object per line), e.g. to capture them in a test. */
    logDestination?: NodeJS.WritableStream;
  } = {},
): Promise<TestSystem> {
  const db = await createTestDatabase();
  const config = { progressDelayMs: 40, ...options.sandbox };
  // The sandbox follows the engine's unit settings, as `pnpm start` gives both the same environment.
  const amountUnit = options.env?.THAI_GATEWAY_AMOUNT_UNIT as ThaiGatewayAmountUnit | undefined;
  const feeMode = options.env?.KRAYON_FEE_MODE as 'on_top' | 'deducted' | undefined;
  const sandbox = await startSandbox({
    port: 0,
    config,
    ...(amountUnit ? { thaiGateway: { amountUnit } } : {}),
    ...(feeMode ? { krayon: { feeMode } } : {}),
  });
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: options.redisUrl ?? testRedisUrl(),
    QUEUE_PREFIX: testQueuePrefix(),
    PORT: '0',
    // The tests' webhook receivers listen on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    OPERATOR_API_KEY: OPERATOR_KEY,
    ...sandboxProviderEnv(sandbox.url, 1000),
    POLL_FIRST_DELAY_MS: '30',
    POLL_FACTOR: '1.5',
    POLL_MAX_DELAY_MS: '300',
    REVERSAL_WATCH_MS: '3000',
    PROVIDER_TIMEOUT_MS: '2000',
    ABSENCE_AFTER_MS: '4000',
    SWEEP_INTERVAL_MS: '60000',
    ...options.env,
  };
  const logger = createLogger({ name: 'test', level: env.LOG_LEVEL, destination: options.logDestination });
  // options.env may have replaced either.
  const redisUrl = must(env.REDIS_URL, 'REDIS_URL');
  const prefix = must(env.QUEUE_PREFIX, 'QUEUE_PREFIX');
  const redis = createRedis(redisUrl, 'worker');
  const queues = new Queues(redis, prefix);

  const reconcilerEnv = readReconcilerEnv(env);
  const workerEnv = readWorkerEnv(env);
  const adapters = adaptersFromEnv(workerEnv);
  const settings = reconcilerSettings(reconcilerEnv);
  const startProcessing = () => ({
    reconciler: startReconciler({
      // WEBHOOK_* in options.env (e.g. a tiny WEBHOOK_RETRY_BASE_MS) reach the deliverer from here.
      ...settings,
      batch: { ...settings.batch, maxConcurrent: 2 },
      db: db.db,
      queues,
      logger: logger.child({ app: 'reconciler' }),
    }),
    workers: startWorkers({
      db: db.db,
      redisUrl: workerEnv.REDIS_URL,
      prefix: workerEnv.QUEUE_PREFIX,
      queues,
      logger: logger.child({ app: 'worker' }),
      adapters,
      providers: [...adapters.keys()],
      settings: workerSettings(workerEnv),
    }),
  });
  let processing: { reconciler: RunningReconciler; workers: RunningWorkers } | null = startProcessing();
  async function stopProcessing() {
    if (!processing) return;
    const running = processing;
    processing = null;
    await running.workers.close(2000);
    await running.reconciler.close(2000);
  }
  const api = await startApi({
    env: readApiEnv(env),
    db: db.db,
    logger: logger.child({ app: 'api' }),
    host: '127.0.0.1',
  });
  if (options.webhooks) {
    for (const provider of WEBHOOK_PROVIDERS) {
      await configureSandbox(sandbox.url, provider, { webhookUrl: `${api.url}/v1/webhooks/${provider}` });
    }
  }

  return {
    api,
    sandbox,
    db,
    redis,
    queues,
    get reconciler() {
      if (!processing) throw new Error('processing is stopped');
      return processing.reconciler;
    },
    get workers() {
      if (!processing) throw new Error('processing is stopped');
      return processing.workers;
    },
    prefix,
    stopProcessing,
    startProcessing() {
      processing ??= startProcessing();
    },
    async flushQueues() {
      // What FLUSHALL does to us, limited to this test's own keys (other test files share Redis).
      await deleteKeysUnder(redis, prefix);
    },
    async pauseProvider(provider) {
      const queue = queues.provider(provider);
      await queue.pause();
      await waitFor(async () => (await queue.getActiveCount()) === 0, {
        message: `the ${provider} jobs already taken to finish`,
      });
    },
    operatorKey: OPERATOR_KEY,
    async stop() {
      await api.close();
      await stopProcessing();
      await queues.close();
      redis.disconnect();
      await sandbox.close();
      await db.drop();
    },
  };
}

/** A small HTTP client for the API under test. */
export function client(baseUrl: string, key?: string) {
  return async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely and assert on them
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    // Every answer a test sees is held to the OpenAPI document: a drift fails the test that saw it.
    assertDocumented({
      method,
      url: path,
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: parsed,
      headers: res.headers,
    });
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

/**
 * `fetch` for a test that needs the raw request or response (a CSV upload, headers, a signature),
 * with the answer held to the OpenAPI document like the client's; the body stays readable.
 */
export async function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, init);
  const text = await res.clone().text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  const { pathname, search } = new URL(url);
  assertDocumented({
    method: init.method ?? 'GET',
    url: `${pathname}${search}`,
    status: res.status,
    contentType: res.headers.get('content-type'),
    body,
    headers: res.headers,
  });
  return res;
}

/** A tenant with its key and funded wallets (a number funds INR only). */
export async function createFundedTenant(
  system: TestSystem,
  name: string,
  funds: number | Partial<Record<'INR' | 'THB' | 'USD' | 'COP', number>> = 10_000_000,
) {
  const op = client(system.api.url, system.operatorKey);
  const tenant = await op('POST', '/v1/admin/tenants', { name }, { 'idempotency-key': `tenant-${name}-${Date.now()}` });
  if (tenant.status !== 201) throw new Error(`tenant: ${tenant.status} ${JSON.stringify(tenant.body)}`);
  const key = await op('POST', `/v1/admin/tenants/${tenant.body.id}/api-keys`, {});
  if (key.status !== 201) throw new Error(`key: ${key.status} ${JSON.stringify(key.body)}`);
  for (const [currency, amount] of Object.entries(typeof funds === 'number' ? { INR: funds } : funds)) {
    if (!amount) continue;
    const funding = await op('POST', `/v1/admin/tenants/${tenant.body.id}/fundings`, {
      currency,
      amount,
      reference: `seed-${name}-${currency}`,
    });
    if (funding.status !== 201) throw new Error(`funding: ${funding.status} ${JSON.stringify(funding.body)}`);
  }
  return { id: tenant.body.id as string, key: key.body.key as string, api: client(system.api.url, key.body.key) };
}

/** Changes one simulator's behaviour (its admin config: latency, faults, webhooks, credentials). */
export async function configureSandbox(sandboxUrl: string, provider: string, patch: Record<string, unknown>) {
  const res = await fetch(`${sandboxUrl}/_admin/${provider}/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  if (!res.ok) throw new Error(`sandbox ${provider} config: ${res.status} ${await res.text()}`);
}

export function inrPayout(overrides: Record<string, unknown> = {}) {
  return {
    amount: 50_000,
    currency: 'INR',
    method: 'IMPS',
    purpose: 'payout',
    narration: 'Acme salary',
    beneficiary: { name: 'Asha Rao', account_number: '123456789012', bank_code: 'HDFC0001234' },
    ...overrides,
  };
}
