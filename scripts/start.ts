/**
 * `pnpm start`: the whole system on this machine (README, "Quick start") — api, worker, reconciler
 * and the provider sandbox — with no setup:
 * - Redis: REDIS_URL, else whatever answers on 127.0.0.1:6379, else a `redis-server` started here
 *   (AOF on, noeviction, data in .data/redis) and stopped on exit;
 * - Postgres: DATABASE_URL, else the Postgres answering on 127.0.0.1:5432 (as `postgres`, in a
 *   database of this data folder's own, `payouts_dev_<hash of its path>`, created once), else an
 *   embedded PGlite database in .data/pglite.
 * On Postgres each app is a process of its own, supervised (scripts/start/supervisor.ts: one log
 * stream, one Ctrl-C, crashed apps restarted); `pnpm start:dist` runs them compiled (`pnpm build`).
 * PGlite is one process and one session, so with it every app runs in this one process
 * (scripts/start/embedded.ts); `DATABASE_URL=pglite:<dir>` asks for that mode.
 * It creates (once) a demo tenant with funded wallets and a key that survives restarts (in .data, as the
 * operator key), and prints the wallets' real balances and a curl that works.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { ensureOperatorKey } from '@payouts/api';
import { parseEnv, z } from '@payouts/config';
import { migrateDatabase, openDatabase, rowsOf } from '@payouts/db';
import { createLogger } from '@payouts/observability';
import { PROVIDERS, workerLimitNames } from '@payouts/providers';
import { createRedis, Queues } from '@payouts/queue';
import { readReconcilerEnv } from '@payouts/reconciler';
import { installSignalHandlers, onShutdown, shutdown } from '@payouts/runtime';
import { sql } from 'drizzle-orm';
import { banner, demoBalances, demoTenant, ensureRedis, operatorKey } from './start/common.ts';
import { startEmbedded } from './start/embedded.ts';
import { Supervisor } from './start/supervisor.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DATA = resolve(process.env.PAYOUTS_DATA_DIR ?? '.data');
const launcherEnv = parseEnv(
  z.object({
    DATABASE_URL: z.string().optional(),
    REDIS_URL: z.string().optional(),
    PORT: z.coerce.number().int().default(3000),
    SANDBOX_PORT: z.coerce.number().int().default(3100),
    OPERATOR_API_KEY: z.string().min(16).optional(),
    LOG_LEVEL: z.string().default('info'),
    METRICS_PORT: z.coerce.number().int().min(0).optional(),
  }),
);
const runtime = process.argv.includes('--dist') ? 'dist' : 'tsx';
const logger = createLogger({ name: 'payouts', level: launcherEnv.LOG_LEVEL });
// Past the apps' own 15 s deadlines: they stop first, in order, then what this process holds.
installSignalHandlers({ deadlineMs: 40_000, log: (msg, extra) => logger.info(extra ?? {}, msg) });

/** DATABASE_URL; else the local Postgres, in this data folder's own database; else embedded PGlite. */
async function chooseDatabase(): Promise<{ url: string; label: string }> {
  if (launcherEnv.DATABASE_URL) return { url: launcherEnv.DATABASE_URL, label: 'DATABASE_URL' };
  const name = `payouts_dev_${createHash('sha256').update(DATA).digest('hex').slice(0, 12)}`;
  try {
    const admin = await openDatabase('postgres://postgres@127.0.0.1:5432/postgres', { max: 1 });
    try {
      const found = rowsOf(await admin.db.execute(sql`select 1 from pg_database where datname = ${name}`));
      if (found.length === 0) await admin.db.execute(sql.raw(`create database "${name}"`));
    } finally {
      await admin.close();
    }
    const url = `postgres://postgres@127.0.0.1:5432/${name}`;
    return { url, label: `${url}   (the Postgres on 127.0.0.1:5432; this data folder's database)` };
  } catch (error) {
    logger.info(
      { reason: (error as Error).message },
      'no Postgres on 127.0.0.1:5432 for user postgres: embedded PGlite, every app in this one process',
    );
    return { url: `pglite:${resolve(DATA, 'pglite')}`, label: 'embedded PGlite' };
  }
}

/** The apps' environment: ours, with the local sandbox as every provider (unless one is set). */
function engineEnv(redisUrl: string, databaseUrl: string, opKey: string) {
  return (sandboxUrl: string): Record<string, string | undefined> => ({
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    OPERATOR_API_KEY: opKey,
    ...Object.fromEntries(
      PROVIDERS.flatMap((provider) => {
        const rate = workerLimitNames(provider).ratePerSecond;
        return [
          // The local sandbox takes far more than the real providers' few requests a second.
          [rate, process.env[rate] ?? '500'],
          [provider.baseUrlEnv, process.env[provider.baseUrlEnv] ?? `${sandboxUrl}/${provider.id}`],
        ];
      }),
    ),
    // A local stack: client webhook endpoints on this machine (http://localhost:…) are expected.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS ?? 'true',
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** Worker and reconciler metrics: 9464 and 9465, or METRICS_PORT and the next; 0 turns both off; a taken port only warns. */
async function metricsPorts(): Promise<{ worker: number; reconciler: number }> {
  const wanted = launcherEnv.METRICS_PORT;
  if (wanted === 0) return { worker: 0, reconciler: 0 };
  const ports = { worker: wanted ?? 9464, reconciler: wanted === undefined ? 9465 : wanted + 1 };
  for (const app of ['worker', 'reconciler'] as const) {
    if (await portFree(ports[app])) continue;
    logger.warn({ port: ports[app] }, `${app} metrics not served: port taken (set METRICS_PORT)`);
    ports[app] = 0;
  }
  return ports;
}

async function startProcesses(o: { databaseUrl: string; label: string; redisUrl: string; opKey: string }) {
  const database = await openDatabase(o.databaseUrl, { max: 2 });
  onShutdown('database', () => database.close());
  // Once, before any app: the API and the reconciler then find nothing left to apply.
  await migrateDatabase(database);
  await ensureOperatorKey(database.db, o.opKey);
  const producer = createRedis(o.redisUrl, 'worker');
  onShutdown('redis client', async () => producer.disconnect());

  const sandboxUrl = `http://127.0.0.1:${launcherEnv.SANDBOX_PORT}`;
  const apiUrl = `http://127.0.0.1:${launcherEnv.PORT}`;
  const env = engineEnv(o.redisUrl, o.databaseUrl, o.opKey)(sandboxUrl);
  const queues = new Queues(producer, readReconcilerEnv(env).QUEUE_PREFIX);
  onShutdown('queues', () => queues.close());
  const supervisor = new Supervisor(ROOT, {
    runtime,
    log: (level, message, extra) => logger[level](extra ?? {}, message),
    onGiveUp: (reason) => {
      logger.fatal(reason);
      void shutdown((msg, extra) => logger.info(extra ?? {}, msg)).then(() => process.exit(1));
    },
  });
  // Registered last, so stopped first: the apps finish with the database and Redis before we close ours.
  onShutdown('apps', () => supervisor.stop());

  const metrics = await metricsPorts();
  const readyAt = (port: number, path: string) => (port > 0 ? `http://127.0.0.1:${port}${path}` : null);
  // The sandbox first: the workers call it, and it sends its webhooks to the API.
  await supervisor.start({
    name: 'sandbox',
    app: 'sandbox',
    env: {
      ...env,
      SANDBOX_PORT: String(launcherEnv.SANDBOX_PORT),
      SANDBOX_STATE_DIR: resolve(DATA, 'sandbox'),
      SANDBOX_WEBHOOK_BASE_URL: apiUrl,
    },
    readyUrl: `${sandboxUrl}/healthz`,
  });
  await Promise.all([
    supervisor.start({
      name: 'api',
      app: 'api',
      env: { ...env, PORT: String(launcherEnv.PORT) },
      readyUrl: `${apiUrl}/readyz`,
    }),
    supervisor.start({
      name: 'reconciler',
      app: 'reconciler',
      env: { ...env, METRICS_PORT: String(metrics.reconciler) },
      readyUrl: readyAt(metrics.reconciler, '/healthz'),
    }),
    supervisor.start({
      name: 'worker',
      app: 'worker',
      env: { ...env, METRICS_PORT: String(metrics.worker) },
      readyUrl: readyAt(metrics.worker, '/healthz'),
    }),
  ]);

  const demo = await demoTenant(database.db, queues, DATA);
  // The fundings wait for the reconciler's first batch: a process still compiling on a busy machine.
  const balances = await demoBalances(database.db, demo.id, 120_000);
  const processes = supervisor
    .processes()
    .map((p) => `${p.name} ${p.pid}${p.readyMs === null ? '' : ` (ready in ${(p.readyMs / 1000).toFixed(1)} s)`}`)
    .join(', ');
  process.stdout.write(
    banner({
      apiPort: launcherEnv.PORT,
      sandboxUrl,
      metrics: `${metrics.worker ? `, worker http://127.0.0.1:${metrics.worker}/metrics` : ''}${metrics.reconciler ? `, reconciler http://127.0.0.1:${metrics.reconciler}/metrics` : ''}`,
      database: o.label,
      redisUrl: o.redisUrl,
      processes: `${processes}; supervisor ${process.pid} (${runtime === 'dist' ? 'compiled, node dist/main.js' : 'tsx'})`,
      demo,
      balances,
      opKey: o.opKey,
      dataDir: DATA,
    }),
  );
}

const redisUrl = await ensureRedis(launcherEnv.REDIS_URL, DATA, logger);
const chosen = await chooseDatabase();
const opKey = operatorKey(launcherEnv.OPERATOR_API_KEY, DATA);
if (chosen.url.startsWith('pglite:')) {
  const database = await openDatabase(chosen.url, { max: 20 });
  onShutdown('database', () => database.close());
  await migrateDatabase(database);
  await startEmbedded({
    database,
    redisUrl,
    opKey,
    dataDir: DATA,
    sandboxPort: launcherEnv.SANDBOX_PORT,
    logger,
    engineEnv: engineEnv(redisUrl, chosen.url, opKey),
  });
} else {
  await startProcesses({ databaseUrl: chosen.url, label: chosen.label, redisUrl, opKey });
}
