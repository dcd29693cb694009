import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_FOLDER } from '@payouts/db';
import { Redis } from 'ioredis';
import postgres from 'postgres';

/**
 * Where the tests find real Postgres and Redis (README, "Tests"): the env URLs first, then local
 * services on the default ports, then testcontainers when a Docker engine exists; otherwise a
 * clear message saying what to start. Tests never mock our own infrastructure.
 */
export interface TestServices {
  /** A Postgres URL with the right to create databases. */
  postgresAdminUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

const LOCAL_POSTGRES = ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

async function postgresAnswers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Whether a Redis answers PING at `url` (one attempt, no retries). */
export async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * DATABASE_URL when it is a postgres URL, else the local server as postgres, then as root: the
 * first that answers, and the candidates tried (for the caller's message when none did).
 */
export async function findPostgresAdminUrl(env: NodeJS.ProcessEnv): Promise<{ url?: string; tried: string[] }> {
  const tried = env.DATABASE_URL?.startsWith('postgres') ? [env.DATABASE_URL] : LOCAL_POSTGRES;
  for (const url of tried) if (await postgresAnswers(url)) return { url, tried };
  return { tried };
}

/** `findPostgresAdminUrl`, for a tool that cannot run without Postgres: the URL, or an error naming `who` and what was tried. */
export async function requirePostgresAdminUrl(env: NodeJS.ProcessEnv, who: string): Promise<string> {
  const { url, tried } = await findPostgresAdminUrl(env);
  if (url) return url;
  throw new Error(`${who} needs Postgres: none answered at ${tried.join(', ')} (set DATABASE_URL)`);
}

/** One statement on the admin URL over a connection of its own (create or drop a database). */
export async function adminExec(adminUrl: string, statement: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(statement);
  } finally {
    await admin.end({ timeout: 1 });
  }
}

export async function resolveTestServices(env: NodeJS.ProcessEnv): Promise<TestServices> {
  const stops: Array<() => Promise<void>> = [];
  let postgresAdminUrl: string | undefined;
  let redisUrl: string | undefined;

  const found = await findPostgresAdminUrl(env);
  if (found.url) postgresAdminUrl = found.url;
  const redisCandidate = env.REDIS_URL ?? LOCAL_REDIS;
  if (await redisAnswers(redisCandidate)) redisUrl = redisCandidate;

  if (!postgresAdminUrl || !redisUrl) {
    try {
      if (!postgresAdminUrl) {
        const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
        const container = await new PostgreSqlContainer('postgres:16-alpine').start();
        postgresAdminUrl = container.getConnectionUri();
        stops.push(async () => void (await container.stop()));
      }
      if (!redisUrl) {
        const { RedisContainer } = await import('@testcontainers/redis');
        const container = await new RedisContainer('redis:7-alpine').start();
        redisUrl = container.getConnectionUrl();
        stops.push(async () => void (await container.stop()));
      }
    } catch (error) {
      throw new Error(
        [
          'The tests need a real Postgres and Redis, and none was found:',
          `  Postgres: ${postgresAdminUrl ?? 'not reachable (tried DATABASE_URL, then 127.0.0.1:5432 as postgres/root)'}`,
          `  Redis:    ${redisUrl ?? `not reachable (tried ${redisCandidate})`}`,
          `  testcontainers: ${(error as Error).message.split('\n')[0]}`,
          'Start them (e.g. `redis-server --daemonize yes` and `pg_ctlcluster 15 main start`), or set DATABASE_URL and REDIS_URL.',
        ].join('\n'),
      );
    }
  }
  return {
    postgresAdminUrl,
    redisUrl,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/** The template's name changes whenever a migration does, so a stale template is never reused. */
export function templateDatabaseName(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_FOLDER)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    hash.update(file).update(readFileSync(join(MIGRATIONS_FOLDER, file)));
  }
  return `payouts_tmpl_${hash.digest('hex').slice(0, 12)}`;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
