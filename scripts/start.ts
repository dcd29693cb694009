/**
 * `pnpm start`: the whole system in one process tree on this machine (README, "Quick start") — api, workers,
 * reconciler and the provider sandbox — with no setup:
 * - Redis: REDIS_URL, else whatever answers on 127.0.0.1:6379, else a `redis-server` started here
 *   (AOF on, noeviction, data in .data/redis) and stopped on exit;
 * - Postgres: DATABASE_URL, else an embedded PGlite database in .data/pglite. PGlite is one
 *   process and one session, which is why everything runs in this one Node process.
 * It creates (once) a demo tenant with funded wallets and a key that survives restarts (in .data, as the
 * operator key), and prints the wallets' real balances and a curl that works.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureOperatorKey, generateApiKey, hashApiKey, keyPrefix, readApiEnv, startApi } from '@payouts/api';
import { parseEnv, z } from '@payouts/config';
import { newId, toMajorString } from '@payouts/core';
import { apiKeys, type Database, ledgerTransactions, migrateDatabase, openDatabase, tenants } from '@payouts/db';
import { fundingTransactionKey, walletBalances } from '@payouts/ledger';
import { createLogger, type MetricsServer, type Registry, serveMetrics, startTracing } from '@payouts/observability';
import { PROVIDERS, WEBHOOK_PROVIDERS, workerLimitNames } from '@payouts/providers';
import { createRedis, Queues } from '@payouts/queue';
import { readReconcilerEnv, reconcilerSettings, startReconciler } from '@payouts/reconciler';
import { installSignalHandlers, onShutdown } from '@payouts/runtime';
import { startSandbox } from '@payouts/sandbox';
import { adaptersFromEnv, readWorkerEnv, startWorkers, workerSettings } from '@payouts/worker';
import { eq, inArray } from 'drizzle-orm';
import { Redis } from 'ioredis';

const DATA = resolve(process.env.PAYOUTS_DATA_DIR ?? '.data');
const launcherEnv = parseEnv(
  z.object({
    DATABASE_URL: z.string().optional(),
    REDIS_URL: z.string().optional(),
    PORT: z.coerce.number().int().default(3000),
    SANDBOX_PORT: z.coerce.number().int().default(3100),
    OPERATOR_API_KEY: z.string().min(16).optional(),
    LOG_LEVEL: z.string().default('info'),
  }),
);
const logger = createLogger({ name: 'payouts', level: launcherEnv.LOG_LEVEL });
installSignalHandlers({ deadlineMs: 20_000, log: (msg, extra) => logger.info(extra ?? {}, msg) });

async function redisAnswers(url: string): Promise<boolean> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

async function ensureRedis(): Promise<string> {
  if (launcherEnv.REDIS_URL) return launcherEnv.REDIS_URL;
  const local = 'redis://127.0.0.1:6379';
  if (await redisAnswers(local)) return local;
  const dir = resolve(DATA, 'redis');
  mkdirSync(dir, { recursive: true });
  logger.info({ dir }, 'no Redis answers on 127.0.0.1:6379: starting redis-server');
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', '6379', '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  child.on('error', (error) => {
    logger.fatal({ err: error }, 'could not start redis-server: install Redis or set REDIS_URL');
    process.exit(1);
  });
  onShutdown('redis-server', async () => {
    child.kill('SIGTERM');
  });
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(local)) return local;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('redis-server did not answer within 5 s');
}

/** The operator key survives restarts in .data so the printed commands keep working. */
function operatorKey(): string {
  if (launcherEnv.OPERATOR_API_KEY) return launcherEnv.OPERATOR_API_KEY;
  const file = resolve(DATA, 'operator-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = `op_${randomBytes(24).toString('hex')}`;
  mkdirSync(DATA, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** ₹10,00,000.00, ฿1,000,000.00, $100,000.00 and COP 100,000,000.00, in minor units. */
const DEMO_FUNDING = { INR: 100_000_000, THB: 100_000_000, USD: 10_000_000, COP: 10_000_000_000 };

/**
 * The demo tenant's key, kept in .data/demo-tenant-key across restarts (the README's curl reads it
 * there), and issued again only when the database no longer knows it (a new database, a revoked key).
 */
async function demoKey(db: Database, tenantId: string): Promise<string> {
  const file = resolve(DATA, 'demo-tenant-key');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    const [row] = await db
      .select({ tenantId: apiKeys.tenantId, revokedAt: apiKeys.revokedAt })
      .from(apiKeys)
      .where(eq(apiKeys.hash, hashApiKey(stored)));
    if (row && row.tenantId === tenantId && row.revokedAt === null) return stored;
  }
  const key = generateApiKey('test');
  await db.insert(apiKeys).values({
    id: newId('apiKey'),
    tenantId,
    role: 'tenant',
    prefix: keyPrefix(key),
    hash: hashApiKey(key),
  });
  mkdirSync(DATA, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

async function demoTenant(db: Database, queues: Queues): Promise<{ id: string; key: string }> {
  let [tenant] = await db.select().from(tenants).where(eq(tenants.name, 'Demo tenant'));
  if (!tenant)
    [tenant] = await db
      .insert(tenants)
      .values({ id: newId('tenant'), name: 'Demo tenant' })
      .returning();
  if (!tenant) throw new Error('the demo tenant could not be created');
  const id = tenant.id;
  // Through the reconciler like any funding; the reference makes it happen once, however often we start.
  for (const [currency, amount] of Object.entries(DEMO_FUNDING)) {
    await queues.toReconciler('wallet.fund', {
      tenantId: id,
      currency,
      amount: String(amount),
      reference: demoFundingReference(currency),
      actor: 'pnpm-start',
    });
  }
  return { id, key: await demoKey(db, id) };
}

function demoFundingReference(currency: string): string {
  return `demo-initial-funding-${currency.toLowerCase()}`;
}

/**
 * The demo wallets as the ledger has them now, once the first start's fundings are applied (they
 * go through the reconciler's queue): after a restart they show what earlier payouts spent.
 */
async function demoBalances(db: Database, tenantId: string): Promise<string> {
  const keys = Object.keys(DEMO_FUNDING).map((c) => fundingTransactionKey(tenantId, demoFundingReference(c)));
  const deadline = Date.now() + 30_000;
  let applied = 0;
  while (Date.now() < deadline) {
    const rows = await db
      .select({ key: ledgerTransactions.idempotencyKey })
      .from(ledgerTransactions)
      .where(inArray(ledgerTransactions.idempotencyKey, keys));
    applied = rows.length;
    if (applied === keys.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const balances = await walletBalances(db, tenantId);
  const lines = balances.map(
    (b) =>
      `  ${b.currency.padEnd(4)} ${toMajorString(b.available, b.currency).padStart(18)} available` +
      `${b.held > 0n ? `, ${toMajorString(b.held, b.currency)} held` : ''}`,
  );
  if (applied < keys.length) lines.push('  (the first fundings are still being applied: GET /v1/balances shows them)');
  return lines.join('\n');
}

const redisUrl = await ensureRedis();
const databaseUrl = launcherEnv.DATABASE_URL ?? `pglite:${resolve(DATA, 'pglite')}`;
const database = await openDatabase(databaseUrl, { max: 20 });
onShutdown('database', () => database.close());
await migrateDatabase(database);

const sandbox = await startSandbox({
  port: launcherEnv.SANDBOX_PORT,
  host: '127.0.0.1',
  stateDir: resolve(DATA, 'sandbox'),
});
onShutdown('sandbox', () => sandbox.close());

const opKey = operatorKey();
const env: Record<string, string | undefined> = {
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
        [provider.baseUrlEnv, process.env[provider.baseUrlEnv] ?? `${sandbox.url}/${provider.id}`],
      ];
    }),
  ),
  // A local stack: client webhook endpoints on this machine (http://localhost:…) are expected.
  WEBHOOK_ALLOW_PRIVATE_TARGETS: process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS ?? 'true',
};

const producer = createRedis(redisUrl, 'worker');
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
  redisUrl,
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

const apiEnv = readApiEnv(env);
await ensureOperatorKey(database.db, opKey);
const api = await startApi({ env: apiEnv, db: database.db, logger: logger.child({ app: 'api' }) });
onShutdown('api', () => api.close());

// The sandbox sends signed webhooks to our API, as the real providers would (those that have them).
for (const provider of WEBHOOK_PROVIDERS) {
  await fetch(`${sandbox.url}/_admin/${provider}/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ webhookUrl: `http://127.0.0.1:${api.port}/v1/webhooks/${provider}` }),
  });
}

const demo = await demoTenant(database.db, queues);
const balances = await demoBalances(database.db, demo.id);
const base = `http://localhost:${api.port}`;
const curl = [
  `curl -s -X POST ${base}/v1/payouts \\`,
  `  -H "Authorization: Bearer ${demo.key}" \\`,
  '  -H "Content-Type: application/json" \\',
  `  -H "Idempotency-Key: demo-$(date +%s)" \\`,
  `  -d '{"amount":50000,"currency":"INR","method":"IMPS","purpose":"payout","narration":"Demo payout",` +
    `"beneficiary":{"name":"Asha Rao","account_number":"123456789012","bank_code":"HDFC0001234"}}'`,
].join('\n');
process.stdout.write(
  [
    '',
    'Payout engine is running.',
    `  API             ${base}`,
    `  Console         ${base}/console   (sign in with the demo tenant's key or the operator key below)`,
    `  API docs        ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
    `  Health          ${base}/readyz`,
    `  Queues          ${base}/admin/queues   (user: anything, password: the operator key below)`,
    `  Metrics         ${base}/metrics${workerMetrics ? `, worker ${workerMetrics.url}` : ''}${reconcilerMetrics ? `, reconciler ${reconcilerMetrics.url}` : ''}`,
    `  Sandbox         ${sandbox.url}  (admin: ${sandbox.url}/_admin/razorpayx/payouts)`,
    `  Database        ${databaseUrl.startsWith('pglite:') ? `embedded PGlite in ${databaseUrl.slice(7)}` : 'DATABASE_URL'}`,
    `  Redis           ${redisUrl}`,
    '',
    `Demo tenant ${demo.id}, its wallets now:`,
    balances,
    `  Tenant API key  ${demo.key}   (stored in ${resolve(DATA, 'demo-tenant-key')})`,
    `  Operator key    ${opKey}   (stored in ${resolve(DATA, 'operator-key')})`,
    '',
    'Send a payout:',
    curl,
    '',
    'Other providers: THB goes to the Thai gateway, USD/COP to DRUO, and "provider":"krayon" picks Krayon',
    '(examples in docs/providers.md).',
    '',
    `Then: curl -s ${base}/v1/payouts/<id> -H "Authorization: Bearer ${demo.key}"`,
    `      curl -s ${base}/v1/balances -H "Authorization: Bearer ${demo.key}"`,
    '',
  ].join('\n'),
);
