import { readConfigOrExit } from '@payouts/config';
import { openDatabase } from '@payouts/db';
import { createLogger, serveMetrics, startTracing } from '@payouts/observability';
import { checkEvictionPolicy, createRedis, Queues } from '@payouts/queue';
import { installSignalHandlers, onShutdown } from '@payouts/runtime';
import { adaptersFromEnv } from './adapters.ts';
import { readWorkerEnv, workerSettings } from './env.ts';
import { startWorkers } from './worker.ts';

const env = readConfigOrExit('worker', readWorkerEnv);
const logger = createLogger({ name: 'worker', level: env.LOG_LEVEL });
installSignalHandlers({ deadlineMs: 15_000, log: (msg, extra) => logger.info(extra ?? {}, msg) });
const tracing = await startTracing({
  enabled: env.OTEL_TRACING_ENABLED,
  serviceName: 'payouts-worker',
  endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
});
if (tracing) onShutdown('tracing', () => tracing.shutdown());

const database = await openDatabase(env.DATABASE_URL, { max: 10 });
onShutdown('database', () => database.close());
const redis = createRedis(env.REDIS_URL, 'worker');
onShutdown('redis', async () => redis.disconnect());
const policy = await checkEvictionPolicy(redis);
if (policy) logger.warn({ policy }, 'Redis maxmemory-policy is not noeviction: queued jobs can be evicted');
const queues = new Queues(redis, env.QUEUE_PREFIX);
onShutdown('queues', () => queues.close());

const adapters = adaptersFromEnv(env);
const providers = env.WORKER_PROVIDERS ?? [...adapters.keys()];
const workers = startWorkers({
  db: database.db,
  redisUrl: env.REDIS_URL,
  prefix: env.QUEUE_PREFIX,
  queues,
  logger,
  adapters,
  providers,
  settings: workerSettings(env),
});
onShutdown('workers', () => workers.close());
if (env.METRICS_PORT > 0) {
  const metrics = await serveMetrics(workers.registry, env.METRICS_PORT);
  onShutdown('metrics', () => metrics.close());
}
logger.info({ providers, metricsPort: env.METRICS_PORT || null }, 'worker started');
