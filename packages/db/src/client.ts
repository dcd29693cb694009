import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
/** One type for both drivers: every query in the project is written against this. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything that can run a query: the database or an open transaction. */
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: 'postgres' | 'pglite';
  /** What it was opened with (`postgres://…` or `pglite:…`). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Found through the package's own name, not this file's place: the apps' compiled bundles
 * (apps/<app>/dist) carry this code, and the package resolves to packages/db from there too.
 */
export const MIGRATIONS_FOLDER = join(
  dirname(createRequire(import.meta.url).resolve('@payouts/db/package.json')),
  'migrations',
);

/**
 * `postgres://…` uses the `postgres` driver with a connection pool; `pglite:<dir>` (or
 * `pglite:memory`) opens an embedded PGlite database: one process, one session, for the
 * zero-setup `pnpm start`. Both run the same schema and the same committed migrations.
 */
export async function openDatabase(url: string, options: { max?: number } = {}): Promise<DatabaseHandle> {
  if (url.startsWith('pglite:')) {
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const where = url.slice('pglite:'.length);
    if (where !== 'memory') mkdirSync(where, { recursive: true });
    const client = new PGlite(where === 'memory' ? undefined : where);
    await client.waitReady;
    const db = drizzle(client, { schema }) as unknown as Database;
    return { db, kind: 'pglite', url, close: () => client.close() };
  }
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const client = await postgresClient(url, options.max ?? 10);
  const db = drizzle(client, { schema }) as unknown as Database;
  return { db, kind: 'postgres', url, close: () => client.end({ timeout: 5 }) };
}

async function postgresClient(url: string, max: number) {
  const { default: postgres } = await import('postgres');
  return postgres(url, {
    max,
    onnotice: () => {},
    // bigint columns come back as bigint, not string.
    types: { bigint: postgres.BigInt },
    connection: { application_name: 'payout-engine' },
  });
}

/**
 * The session-level advisory lock that serialises migrations across processes. The two-key form
 * lives apart from the one-key locks the API takes on idempotency keys, so no key of theirs can
 * ever be this one. 0x7061796f is "payo" in ASCII; 1 is "migrations".
 */
export const MIGRATION_LOCK = [0x7061796f, 1] as const;

/**
 * Applies the committed migrations that are not applied yet. Every app that migrates at start
 * (the API, the reconciler, `pnpm migrate`) may do so at the same moment — a deployment starts them
 * together — and drizzle's migrator takes no lock of its own: two of them on an empty database both
 * see nothing applied and both create the same tables, and one fails on a duplicate catalog key. So
 * on Postgres the migrator runs on a connection of its own holding MIGRATION_LOCK: the others wait
 * for it, then find every migration applied. PGlite is embedded, one process and one session (all
 * of `pnpm start` shares one handle), so there is nobody to serialise against.
 */
export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  if (handle.kind === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    // biome-ignore lint/suspicious/noExplicitAny: the migrator wants its own driver's type
    await migrate(handle.db as any, { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  // A connection of its own, outside the handle's pool: the session-level lock stays taken for as
  // long as this session lives, whatever the pool does, and the migration runs on it too (a pool
  // of one, as `pnpm migrate` opens, could not lend the migrator a second connection).
  const session = await postgresClient(handle.url, 1);
  try {
    const [classId, objId] = MIGRATION_LOCK;
    await session`select pg_advisory_lock(${classId}::int, ${objId}::int)`;
    await migrate(drizzle(session), { migrationsFolder: MIGRATIONS_FOLDER });
    await session`select pg_advisory_unlock(${classId}::int, ${objId}::int)`;
  } finally {
    // Closing the session releases the lock too: after a failed migration, the unlock never ran.
    await session.end({ timeout: 5 });
  }
}

/** Rows of a raw `execute()`: postgres-js returns an array, PGlite an object with `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
