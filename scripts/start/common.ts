/**
 * What both ways of `pnpm start` share (scripts/start.ts): Redis found or started, the keys kept
 * in the data folder, the demo tenant with funded wallets, and the banner.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateApiKey, hashApiKey, keyPrefix } from '@payouts/api';
import { newId, toMajorString } from '@payouts/core';
import { apiKeys, type Database, ledgerTransactions, tenants } from '@payouts/db';
import { fundingTransactionKey, walletBalances } from '@payouts/ledger';
import type { Logger } from '@payouts/observability';
import type { Queues } from '@payouts/queue';
import { onShutdown } from '@payouts/runtime';
import { eq, inArray } from 'drizzle-orm';
import { Redis } from 'ioredis';

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

/** REDIS_URL, else whatever answers on 127.0.0.1:6379, else a `redis-server` started here (stopped on exit). */
export async function ensureRedis(configured: string | undefined, dataDir: string, logger: Logger): Promise<string> {
  if (configured) return configured;
  const local = 'redis://127.0.0.1:6379';
  if (await redisAnswers(local)) return local;
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  logger.info({ dir }, 'no Redis answers on 127.0.0.1:6379: starting redis-server');
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', '6379', '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'],
    // Its own process group: a terminal's Ctrl-C must not stop it before the apps have finished with it.
    { stdio: 'ignore', detached: true },
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

/** The operator key survives restarts in the data folder so the printed commands keep working. */
export function operatorKey(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = resolve(dataDir, 'operator-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = `op_${randomBytes(24).toString('hex')}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** ₹10,00,000.00, ฿1,000,000.00, $100,000.00 and COP 100,000,000.00, in minor units. */
const DEMO_FUNDING = { INR: 100_000_000, THB: 100_000_000, USD: 10_000_000, COP: 10_000_000_000 };

/**
 * The demo tenant's key, kept in <data>/demo-tenant-key across restarts (the README's curl reads it
 * there), and issued again only when the database no longer knows it (a new database, a revoked key).
 */
async function demoKey(db: Database, tenantId: string, dataDir: string): Promise<string> {
  const file = resolve(dataDir, 'demo-tenant-key');
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
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

export async function demoTenant(db: Database, queues: Queues, dataDir: string): Promise<{ id: string; key: string }> {
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
  return { id, key: await demoKey(db, id, dataDir) };
}

function demoFundingReference(currency: string): string {
  return `demo-initial-funding-${currency.toLowerCase()}`;
}

/**
 * The demo wallets as the ledger has them now, once the first start's fundings are applied (they
 * go through the reconciler's queue, so this waits for the reconciler to be up): after a restart
 * they show what earlier payouts spent.
 */
export async function demoBalances(db: Database, tenantId: string, waitMs: number): Promise<string> {
  const keys = Object.keys(DEMO_FUNDING).map((c) => fundingTransactionKey(tenantId, demoFundingReference(c)));
  const deadline = Date.now() + waitMs;
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

export function banner(o: {
  apiPort: number;
  sandboxUrl: string;
  metrics: string;
  database: string;
  redisUrl: string;
  processes: string;
  demo: { id: string; key: string };
  balances: string;
  opKey: string;
  dataDir: string;
}): string {
  const base = `http://localhost:${o.apiPort}`;
  const curl = [
    `curl -s -X POST ${base}/v1/payouts \\`,
    `  -H "Authorization: Bearer ${o.demo.key}" \\`,
    '  -H "Content-Type: application/json" \\',
    `  -H "Idempotency-Key: demo-$(date +%s)" \\`,
    `  -d '{"amount":50000,"currency":"INR","method":"IMPS","purpose":"payout","narration":"Demo payout",` +
      `"beneficiary":{"name":"Asha Rao","account_number":"123456789012","bank_code":"HDFC0001234"}}'`,
  ].join('\n');
  return [
    '',
    'Payout engine is running.',
    `  API             ${base}`,
    `  Console         ${base}/console   (sign in with the demo tenant's key or the operator key below)`,
    `  API docs        ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
    `  Health          ${base}/readyz`,
    `  Queues          ${base}/admin/queues   (user: anything, password: the operator key below)`,
    `  Metrics         ${base}/metrics${o.metrics}`,
    `  Sandbox         ${o.sandboxUrl}  (admin: ${o.sandboxUrl}/_admin/razorpayx/payouts)`,
    `  Database        ${o.database}`,
    `  Redis           ${o.redisUrl}`,
    `  Processes       ${o.processes}`,
    '',
    `Demo tenant ${o.demo.id}, its wallets now:`,
    o.balances,
    `  Tenant API key  ${o.demo.key}   (stored in ${resolve(o.dataDir, 'demo-tenant-key')})`,
    `  Operator key    ${o.opKey}   (stored in ${resolve(o.dataDir, 'operator-key')})`,
    '',
    'Send a payout:',
    curl,
    '',
    'Other providers: THB goes to the Thai gateway, USD/COP to DRUO, and "provider":"krayon" picks Krayon',
    '(examples in docs/providers.md).',
    '',
    `Then: curl -s ${base}/v1/payouts/<id> -H "Authorization: Bearer ${o.demo.key}"`,
    `      curl -s ${base}/v1/balances -H "Authorization: Bearer ${o.demo.key}"`,
    '',
  ].join('\n');
}
