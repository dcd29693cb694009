/**
 * The whole system in this process, started exactly as scripts/start.ts and
 * tests/support/system.ts start it, and the payout the measurements post to it.
 */
import { Writable } from 'node:stream';
import { type RunningApi, readApiEnv, startApi } from '@payouts/api';
import { createLogger } from '@payouts/observability';
import { sandboxProviderEnv } from '@payouts/providers';
import { createRedis, Queues, type RedisConnection } from '@payouts/queue';
import { type RunningReconciler, readReconcilerEnv, reconcilerSettings, startReconciler } from '@payouts/reconciler';
import { type ProviderConfigPatch, type RunningSandbox, startSandbox } from '@payouts/sandbox';
import { must } from '@payouts/testing';
import { adaptersFromEnv, type RunningWorkers, readWorkerEnv, startWorkers, workerSettings } from '@payouts/worker';
import type { BenchDatabase } from './postgres.ts';

export const INR_PAYOUT = {
  amount: 50_000,
  currency: 'INR',
  method: 'IMPS',
  purpose: 'payout',
  narration: 'Acme salary',
  beneficiary: { name: 'Asha Rao', account_number: '123456789012', bank_code: 'HDFC0001234' },
};

/** Counts the sandbox's requests by kind, from its debug log lines (one per request). */
export function sandboxRequestCounter() {
  const counts: Record<string, number> = {};
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      try {
        const line = JSON.parse(chunk.toString()) as { method?: string; path?: string };
        if (line.method && line.path) {
          const kind = `${line.method} ${line.path.replace(/\/(pout|po|dep|wd|tx)_[A-Za-z0-9_-]+$/, '/:id')}`;
          counts[kind] = (counts[kind] ?? 0) + 1;
        }
      } catch {}
      done();
    },
  });
  return { counts, logger: createLogger({ name: 'sandbox', level: 'debug', destination: stream }) };
}

export interface System {
  api: RunningApi;
  sandbox: RunningSandbox;
  /** Sandbox requests by kind (method and path, ids folded), since start. */
  sandboxRequests: Record<string, number>;
  queues: Queues;
  producer: RedisConnection;
  prefix: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Sandbox, api, and (with `processing`) reconciler and workers, each built from its own env parser
 * as its main.ts does, with its own connection pool of the size its main.ts opens (api 20,
 * reconciler 10, worker 10). `env` overrides the defaults below.
 */
export async function startSystem(options: {
  db: BenchDatabase;
  redisUrl: string;
  prefix: string;
  processing: boolean;
  sandbox?: ProviderConfigPatch;
  env?: Record<string, string>;
}): Promise<System> {
  const config = { progressDelayMs: 20, ...options.sandbox };
  const requests = sandboxRequestCounter();
  const sandbox = await startSandbox({
    port: 0,
    host: '127.0.0.1',
    logger: requests.logger,
    config,
  });
  const env: Record<string, string> = {
    DATABASE_URL: options.db.url,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.prefix,
    PORT: '0',
    LOG_LEVEL: 'error',
    ...sandboxProviderEnv(sandbox.url),
    SWEEP_INTERVAL_MS: '60000',
    SWEEP_AFTER_MS: '120000',
    // The limiter runs on every request (its Redis round trip is part of what is measured), but
    // the load generator's one key must not be throttled by the default of 1,000/s.
    RATE_LIMIT_PER_SECOND: '1000000',
    ...options.env,
  };
  const logger = createLogger({ name: 'bench', level: env.LOG_LEVEL });
  // options.env may have replaced either.
  const producer = createRedis(must(env.REDIS_URL, 'REDIS_URL'), 'worker');
  const queues = new Queues(producer, must(env.QUEUE_PREFIX, 'QUEUE_PREFIX'));

  let reconciler: RunningReconciler | null = null;
  let workers: RunningWorkers | null = null;
  if (options.processing) {
    const reconcilerDb = await options.db.open(10);
    reconciler = startReconciler({
      ...reconcilerSettings(readReconcilerEnv(env)),
      // The bench measures the pipeline: no daily re-check of processed payouts in its runs.
      recheck: undefined,
      db: reconcilerDb.db,
      queues,
      logger: logger.child({ app: 'reconciler' }),
    });
    const workerEnv = readWorkerEnv(env);
    const workerDb = await options.db.open(10);
    const adapters = adaptersFromEnv(workerEnv);
    workers = startWorkers({
      db: workerDb.db,
      redisUrl: workerEnv.REDIS_URL,
      prefix: workerEnv.QUEUE_PREFIX,
      queues,
      logger: logger.child({ app: 'worker' }),
      adapters,
      providers: workerEnv.WORKER_PROVIDERS ?? [...adapters.keys()],
      settings: workerSettings(workerEnv),
    });
  }
  const apiDb = await options.db.open(20);
  const api = await startApi({
    env: readApiEnv(env),
    db: apiDb.db,
    logger: logger.child({ app: 'api' }),
    host: '127.0.0.1',
  });
  return {
    api,
    sandbox,
    sandboxRequests: requests.counts,
    queues,
    producer,
    prefix: options.prefix,
    env,
    async stop() {
      await api.close();
      await workers?.close(2000);
      await reconciler?.close(2000);
      await queues.close();
      producer.disconnect();
      await sandbox.close();
    },
  };
}
