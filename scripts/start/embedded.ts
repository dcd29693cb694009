/**
 * `pnpm start` without a Postgres server (scripts/start.ts): an embedded PGlite database, and
 * therefore every app in this one Node process. PGlite is one process and one session, so the
 * apps cannot be processes of their own on it. Under a large batch the one event loop is shared
 * by every stage (docs/operations.md, "pnpm start"); with Postgres on 127.0.0.1:5432 or
 * DATABASE_URL, `pnpm start` runs them as separate processes instead.
 */
import { resolve } from 'node:path';
import { readApiEnv, startApi } from '@payouts/api';
import type { DatabaseHandle } from '@payouts/db';
import { type Logger, type MetricsServer, type Registry, serveMetrics, startTracing } from '@payouts/observability';
import { WEBHOOK_PROVIDERS } from '@payouts/providers';
import { createRedis, Queues } from '@payouts/queue';
import { readReconcilerEnv, reconcilerSettings, startReconciler } from '@payouts/reconciler';
import { onShutdown } from '@payouts/runtime';
import { startSandbox } from '@payouts/sandbox';
import { adaptersFromEnv, readWorkerEnv, startWorkers, workerSettings } from '@payouts/worker';
import { banner, demoBalances, demoTenant } from './common.ts';

export async function startEmbedded(o: {
  database: DatabaseHandle;
  redisUrl: string;
  opKey: string;
  dataDir: string;
  sandboxPort: number;
  logger: Logger;
  /** The apps' environment for a sandbox at this URL. */
  engineEnv: (sandboxUrl: string) => Record<string, string | undefined>;
}): Promise<void> {
  const { database, logger } = o;
  const sandbox = await startSandbox({
    port: o.sandboxPort,
    host: '127.0.0.1',
    stateDir: resolve(o.dataDir, 'sandbox'),
  });
  onShutdown('sandbox', () => sandbox.close());
  const env = o.engineEnv(sandbox.url);

  const producer = createRedis(o.redisUrl, 'worker');
  onShutdown('redis client', async () => producer.disconnect());
  const reconcilerEnv = readReconcilerEnv(env);
  const queues = new Queues(producer, reconcilerEnv.QUEUE_PREFIX);
  onShutdown('queues', () => queues.close());

  const reconciler = startReconciler({
    ...reconcilerSettings(reconcilerEnv),
    db: database.db,
    queues,
    logger: logger.child({ app: 'reconciler' }),
  });
  onShutdown('reconciler', () => reconciler.close());

  const workerEnv = readWorkerEnv(env);
  const adapters = adaptersFromEnv(workerEnv);
  const workers = startWorkers({
    db: database.db,
    redisUrl: o.redisUrl,
    prefix: workerEnv.QUEUE_PREFIX,
    queues,
    logger: logger.child({ app: 'worker' }),
    adapters,
    providers: workerEnv.WORKER_PROVIDERS ?? [...adapters.keys()],
    settings: workerSettings(workerEnv),
  });
  onShutdown('workers', () => workers.close());

  // Each app's metrics on its own port, as when they run apart (0 turns one off; a taken port only warns).
  async function metricsOn(name: string, registry: Registry, port: number): Promise<MetricsServer | null> {
    if (port === 0) return null;
    try {
      const server = await serveMetrics(registry, port, '127.0.0.1');
      onShutdown(`${name} metrics`, () => server.close());
      return server;
    } catch (error) {
      logger.warn({ err: error, port }, `${name} metrics not served: port taken (set METRICS_PORT)`);
      return null;
    }
  }
  const workerMetrics = await metricsOn('worker', workers.registry, workerEnv.METRICS_PORT);
  const reconcilerMetrics = await metricsOn('reconciler', reconciler.registry, reconcilerEnv.METRICS_PORT);
  const tracing = await startTracing({
    enabled: workerEnv.OTEL_TRACING_ENABLED,
    serviceName: 'payouts',
    endpoint: workerEnv.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  if (tracing) onShutdown('tracing', () => tracing.shutdown());

  const api = await startApi({ env: readApiEnv(env), db: database.db, logger: logger.child({ app: 'api' }) });
  onShutdown('api', () => api.close());

  // The sandbox sends signed webhooks to our API, as the real providers would (those that have them).
  for (const provider of WEBHOOK_PROVIDERS) {
    await fetch(`${sandbox.url}/_admin/${provider}/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ webhookUrl: `http://127.0.0.1:${api.port}/v1/webhooks/${provider}` }),
    });
  }

  const demo = await demoTenant(database.db, queues, o.dataDir);
  const balances = await demoBalances(database.db, demo.id, 30_000);
  process.stdout.write(
    banner({
      apiPort: api.port,
      sandboxUrl: sandbox.url,
      metrics: `${workerMetrics ? `, worker ${workerMetrics.url}` : ''}${reconcilerMetrics ? `, reconciler ${reconcilerMetrics.url}` : ''}`,
      database: `embedded PGlite in ${database.url.slice('pglite:'.length)}`,
      redisUrl: o.redisUrl,
      processes: `one (${process.pid}): PGlite is one session, so every app runs in this process`,
      demo,
      balances,
      opKey: o.opKey,
      dataDir: o.dataDir,
    }),
  );
}
