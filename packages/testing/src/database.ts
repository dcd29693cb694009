import { randomBytes } from 'node:crypto';
import { type DatabaseHandle, openDatabase } from '@payouts/db';
import { inject } from 'vitest';
import './provided-context.ts';
import { adminExec, withDatabase } from './services.ts';

export interface TestDatabase extends DatabaseHandle {
  url: string;
  /** Closes the connections and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  return createDatabase(`template "${inject('templateDatabase')}"`);
}

/** A fresh database with nothing in it, not even the migrations table: what a first deployment finds. */
export async function createEmptyTestDatabase(): Promise<TestDatabase> {
  // template0, not the default template1, to which a local admin may have added objects.
  return createDatabase('template template0');
}

async function createDatabase(template: string): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `payouts_test_${randomBytes(6).toString('hex')}`;
  await adminExec(adminUrl, `create database "${name}" ${template}`);
  const url = withDatabase(adminUrl, name);
  const handle = await openDatabase(url, { max: 10 });
  return {
    ...handle,
    url,
    async drop() {
      await handle.close();
      await adminExec(adminUrl, `drop database if exists "${name}" with (force)`);
    },
  };
}

export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** A queue prefix of its own per test file, so parallel files never share BullMQ keys. */
export function testQueuePrefix(): string {
  return `{t${randomBytes(5).toString('hex')}}`;
}
