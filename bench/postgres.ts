/**
 * A Postgres database of its own per measurement (`payouts_bench_<random>`, migrated, dropped
 * afterwards, and dropped on an interrupt by scripts/bench.ts), and the tenant a measurement pays from.
 */
import { randomBytes } from 'node:crypto';
import { generateApiKey, hashApiKey, keyPrefix } from '@payouts/api';
import type { Currency } from '@payouts/core';
import { newId } from '@payouts/core';
import { apiKeys, type Database, type DatabaseHandle, migrateDatabase, openDatabase, tenants } from '@payouts/db';
import { fundingTransaction, postTransactions } from '@payouts/ledger';
import { adminExec, requirePostgresAdminUrl, withDatabase } from '@payouts/testing';

/** The postgres-js client under drizzle, for the raw baselines (the `postgres` package is not a root dependency). */
export interface RawSql {
  unsafe<T = Record<string, unknown>[]>(query: string, params?: unknown[]): Promise<T>;
}

export function rawClient(handle: DatabaseHandle): RawSql {
  return (handle.db as unknown as { $client: RawSql }).$client;
}

/** DATABASE_URL when it is a postgres URL, else the local server as postgres, then as root. */
export function resolveAdminUrl(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return requirePostgresAdminUrl(env, 'pnpm bench');
}

const liveDatabases = new Set<string>();

export interface BenchDatabase {
  name: string;
  url: string;
  /** A pool of `max` connections on this database; closed by drop(). */
  open(max: number): Promise<DatabaseHandle>;
  /** What a Meter needs to attribute Postgres backends to this database. */
  stats: { adminSql: () => Promise<RawSql>; name: string };
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `payouts_bench_${randomBytes(6).toString('hex')}`;
  await adminExec(adminUrl, `create database "${name}"`);
  liveDatabases.add(name);
  const url = withDatabase(adminUrl, name);
  const handles: DatabaseHandle[] = [];
  const open = async (max: number) => {
    const h = await openDatabase(url, { max });
    handles.push(h);
    return h;
  };
  const first = await open(2);
  await migrateDatabase(first);
  return {
    name,
    url,
    open,
    stats: { adminSql: async () => rawClient(first), name },
    async drop() {
      await Promise.all(handles.map((h) => h.close().catch(() => {})));
      await adminExec(adminUrl, `drop database if exists "${name}" with (force)`);
      liveDatabases.delete(name);
    },
  };
}

/** Drops whatever a failed or interrupted measurement left behind. */
export async function dropLeftoverDatabases(adminUrl: string): Promise<void> {
  for (const name of [...liveDatabases]) {
    await adminExec(adminUrl, `drop database if exists "${name}" with (force)`).catch(() => {});
    liveDatabases.delete(name);
  }
}

/** A tenant with a tenant API key and a funded wallet, written directly (no reconciler needed). */
export async function createTenant(
  db: Database,
  name: string,
  funds: Partial<Record<Currency, bigint>> = { INR: 10n ** 15n },
): Promise<{ tenantId: string; key: string }> {
  const tenantId = newId('tenant');
  await db.insert(tenants).values({ id: tenantId, name });
  const key = generateApiKey('test');
  await db.insert(apiKeys).values({
    id: newId('apiKey'),
    tenantId,
    role: 'tenant',
    prefix: keyPrefix(key),
    hash: hashApiKey(key),
  });
  await db.transaction(async (tx) => {
    await postTransactions(
      tx,
      Object.entries(funds).flatMap(([currency, amount]) =>
        amount === undefined
          ? []
          : [fundingTransaction(tenantId, currency as Currency, amount, `bench-${name}-${currency}`)],
      ),
    );
  });
  return { tenantId, key };
}
