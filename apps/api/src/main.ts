import { readConfigOrExit } from '@payouts/config';
import { migrateDatabase, openDatabase } from '@payouts/db';
import { createLogger, startTracing } from '@payouts/observability';
import { installSignalHandlers, onShutdown } from '@payouts/runtime';
import { readApiEnv } from './env.ts';
import { startApi } from './server.ts';

const env = readConfigOrExit('api', readApiEnv);
const logger = createLogger({ name: 'api', level: env.LOG_LEVEL });
installSignalHandlers({ deadlineMs: 15_000, log: (msg, extra) => logger.info(extra ?? {}, msg) });
const tracing = await startTracing({
  enabled: env.OTEL_TRACING_ENABLED,
  serviceName: 'payouts-api',
  endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
});
if (tracing) onShutdown('tracing', () => tracing.shutdown());

const database = await openDatabase(env.DATABASE_URL, { max: 20 });
onShutdown('database', () => database.close());
await migrateDatabase(database);
const api = await startApi({ env, db: database.db, logger });
onShutdown('api', () => api.close());
logger.info({ url: api.url }, 'api listening');
