import { readConfigOrExit } from '@payouts/config';
import { migrateDatabase, openDatabase } from '@payouts/db';
import { createLogger, serveMetrics, startTracing } from '@payouts/observability';
import { checkEvictionPolicy, createRedis, Queues } from '@payouts/queue';
import { installSignalHandlers, onShutdown } from '@payouts/runtime';
import { readReconcilerEnv, reconcilerSettings } from './env.ts';
import { startReconciler } from './reconciler.ts';

const env = readConfigOrExit('reconciler', readReconcilerEnv);
const logger = createLogger({ name: 'reconciler', level: env.LOG_LEVEL });
installSignalHandlers({ deadlineMs: 15_000, log: (msg, extra) => logger.info(extra ?? {}, msg) });
const tracing = await startTracing({
  enabled: env.OTEL_TRACING_ENABLED,
  serviceName: 'payouts-reconciler',
  endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
});
if (tracing) onShutdown('tracing', () => tracing.shutdown());

const database = await openDatabase(env.DATABASE_URL, { max: 10 });
onShutdown('database', () => database.close());
await migrateDatabase(database);

const producer = createRedis(env.REDIS_URL, 'worker');
onShutdown('redis', async () => producer.disconnect());
const policy = await checkEvictionPolicy(producer);
if (policy) logger.warn({ policy }, 'Redis maxmemory-policy is not noeviction: queued jobs can be evicted');
const queues = new Queues(producer, env.QUEUE_PREFIX);
onShutdown('queues', () => queues.close());

const reconciler = startReconciler({ ...reconcilerSettings(env), db: database.db, queues, logger });
onShutdown('reconciler', () => reconciler.close());
if (env.METRICS_PORT > 0) {
  const metrics = await serveMetrics(reconciler.registry, env.METRICS_PORT);
  onShutdown('metrics', () => metrics.close());
}
logger.info({ metricsPort: env.METRICS_PORT || null }, 'reconciler started');
