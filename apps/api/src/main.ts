import cluster from 'node:cluster';
import { readConfigOrExit } from '@payouts/config';
import { migrateDatabase, openDatabase } from '@payouts/db';
import { createLogger, startTracing } from '@payouts/observability';
import { installSignalHandlers, onShutdown } from '@payouts/runtime';
import { runApiProcesses } from './api-processes.ts';
import { readApiEnv } from './env.ts';
import { startApi } from './server.ts';

const env = readConfigOrExit('api', readApiEnv);
// One of several API processes: every line names its process, as they share one log stream.
const logger = cluster.isWorker
  ? createLogger({ name: 'api', level: env.LOG_LEVEL }).child({ pid: process.pid })
  : createLogger({ name: 'api', level: env.LOG_LEVEL });
const log = (msg: string, extra?: Record<string, unknown>) => logger.info(extra ?? {}, msg);

if (env.API_PROCESSES > 1 && cluster.isPrimary) {
  // The primary of API_PROCESSES processes (api-processes.ts): past their 15 s deadlines, so they stop first.
  installSignalHandlers({ deadlineMs: 17_000, log });
  // Migrated once, here, before any API process starts.
  const database = await openDatabase(env.DATABASE_URL, { max: 1 });
  try {
    await migrateDatabase(database);
  } finally {
    await database.close();
  }
  runApiProcesses({ processes: env.API_PROCESSES, logger });
} else {
  installSignalHandlers({ deadlineMs: 15_000, log });
  const tracing = await startTracing({
    enabled: env.OTEL_TRACING_ENABLED,
    serviceName: 'payouts-api',
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  if (tracing) onShutdown('tracing', () => tracing.shutdown());

  const database = await openDatabase(env.DATABASE_URL, { max: 20 });
  onShutdown('database', () => database.close());
  if (cluster.isPrimary) await migrateDatabase(database);
  const api = await startApi({ env, db: database.db, logger, clustered: cluster.isWorker });
  onShutdown('api', () => api.close());
  logger.info({ url: api.url }, 'api listening');
}
