import type { Server } from 'node:http';
import { newId } from '@payouts/core';
import { apiKeys, type Database } from '@payouts/db';
import { createRegistry, type Logger, type Registry } from '@payouts/observability';
import { createAdapters, PROVIDERS, workerLimits } from '@payouts/providers';
import { createRedis, Queues, RECONCILER_QUEUE, whenReady } from '@payouts/queue';
import { QueueEvents } from 'bullmq';
import { hashApiKey, keyPrefix } from './api-keys.ts';
import { clusterMetrics } from './api-processes.ts';
import { createApp } from './app.ts';
import type { ApiEnv } from './env.ts';
import { answerClientError } from './problem.ts';
import { ReconcilerClient } from './reconciler-client.ts';

export interface RunningApi {
  url: string;
  port: number;
  server: Server;
  /** The API's metrics (served at `GET /metrics`). */
  registry: Registry;
  close(): Promise<void>;
}

/** Builds the API's dependencies from its configuration and listens. Used by main.ts, `pnpm start` and tests. */
export async function startApi(options: {
  env: ApiEnv;
  db: Database;
  logger: Logger;
  host?: string;
  /** One of several API processes (API_PROCESSES): `GET /metrics` answers the total of all (api-processes.ts). */
  clustered?: boolean;
}): Promise<RunningApi> {
  const { env, db, logger } = options;
  // First: in a cluster the primary's scrape asks every API process for its share, this one too
  // while it waits for Redis below.
  const registry = createRegistry('api');
  const readMetrics = options.clustered ? clusterMetrics(registry) : undefined;
  const redis = createRedis(env.REDIS_URL, 'producer');
  // Not fatal: without Redis the API still stores payouts (the sweeper enqueues them later).
  if (!(await whenReady(redis, 10_000))) logger.warn('Redis is not ready after 10 s; starting anyway');
  const queues = new Queues(redis, env.QUEUE_PREFIX);
  const events = new QueueEvents(RECONCILER_QUEUE, {
    connection: createRedis(env.REDIS_URL, 'worker'),
    prefix: env.QUEUE_PREFIX,
  });
  const adapters = createAdapters(env);
  if (env.OPERATOR_API_KEY) await ensureOperatorKey(db, env.OPERATOR_API_KEY);

  const app = createApp(
    {
      db,
      redis,
      queues,
      reconciler: new ReconcilerClient(queues, events, env.RECONCILER_ANSWER_TIMEOUT_MS),
      logger,
      adapters,
      routes: env.PROVIDER_ROUTES,
      groupCommit: { windowMs: env.PAYOUT_GROUP_COMMIT_WINDOW_MS, maxSize: env.PAYOUT_GROUP_COMMIT_MAX },
      rails: env.PROVIDER_RAIL_LIMITS,
      allowPrivateWebhookTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      consoleSessionTtlSeconds: env.CONSOLE_SESSION_TTL_SECONDS,
      operatorApprovals: env.OPERATOR_APPROVALS,
      systemicFailureCodes: env.SYSTEMIC_FAILURE_CODES,
      confirmWindowMs: env.CONFIRM_WINDOW_MS,
      providerRates: new Map(PROVIDERS.map((r) => [r.id, workerLimits(env, r).ratePerSecond])),
      rateLimit:
        env.RATE_LIMIT_PER_SECOND > 0
          ? {
              perSecond: env.RATE_LIMIT_PER_SECOND,
              burst: env.RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(env.RATE_LIMIT_PER_SECOND * 2)),
            }
          : undefined,
    },
    {
      registry,
      metricsToken: env.METRICS_TOKEN,
      readMetrics,
    },
  );
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(env.PORT, options.host ?? '0.0.0.0', () => resolve(s));
  });
  // Slightly above typical load-balancer idle timeouts, so the balancer closes first.
  server.keepAliveTimeout = 65_000;
  // Requests Node's HTTP parser refuses before express sees them (a URL or headers over the
  // 16 KB limit, a malformed request line) still get a problem+json answer.
  server.on('clientError', answerClientError);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    registry,
    async close() {
      // Stop accepting, let requests in flight finish, then close connections to Redis.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await events.close();
      await queues.close();
      redis.disconnect();
    },
  };
}

/** The operator key from the environment, stored hashed like any other (idempotent across restarts). */
export async function ensureOperatorKey(db: Database, key: string): Promise<void> {
  await db
    .insert(apiKeys)
    .values({ id: newId('apiKey'), tenantId: null, role: 'operator', prefix: keyPrefix(key), hash: hashApiKey(key) })
    .onConflictDoNothing({ target: apiKeys.hash });
}
