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
  const db = drizzle(preparing(client), { schema }) as unknown as Database;
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
 * The largest statement, in parameters, that runs as a named prepared statement (see `preparing`).
 * Lookups, claims and single-row writes are far below it; a multi-row statement of a batch is above
 * it, so the number of distinct statements a connection keeps stays bounded by the code's queries,
 * not by the sizes of the batches it has seen.
 */
export const PREPARE_MAX_PARAMETERS = 64;

type PostgresClient = Awaited<ReturnType<typeof postgresClient>>;

/**
 * drizzle hands every query to postgres.js as an unnamed statement (`prepare: false`). postgres.js
 * sends such a statement with parameters in two round trips: Parse and Describe first, to learn
 * the parameters' types, then Bind and Execute once the answer has been read on the event loop;
 * and the connection takes nothing else meanwhile. On a busy process that doubled every lookup's
 * wait (a worker's payout read: p50 22 ms against 0.5 ms for Postgres to answer it). A statement
 * prepared once per connection is one round trip from then on, and can be pipelined. Only
 * statements of at most PREPARE_MAX_PARAMETERS parameters are prepared (above); the rest, and
 * statements with no parameters (one round trip already), go as before. The same applies inside
 * transactions and savepoints, whose `sql` postgres.js hands to drizzle's callback.
 */
function preparing(client: PostgresClient): PostgresClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      switch (property) {
        case 'unsafe':
          return (query: string, parameters?: unknown[], options?: { prepare?: boolean }) =>
            target.unsafe(
              query,
              parameters as never,
              parameters && parameters.length > 0 && parameters.length <= PREPARE_MAX_PARAMETERS
                ? { ...options, prepare: true }
                : options,
            );
        case 'begin':
        case 'savepoint':
          return (...args: unknown[]) => {
            const callback = args.pop() as (sql: PostgresClient) => unknown;
            const open = Reflect.get(target, property, receiver) as (...a: unknown[]) => unknown;
            return open.call(target, ...args, (sql: PostgresClient) => callback(preparing(sql)));
          };
        default:
          return Reflect.get(target, property, receiver);
      }
    },
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
