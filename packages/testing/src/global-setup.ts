import { migrateDatabase, openDatabase } from '@payouts/db';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import './provided-context.ts';
import { resolveTestServices, templateDatabaseName, withDatabase } from './services.ts';

/**
 * Runs once per `vitest run`: finds Postgres and Redis, and makes a migrated template database
 * that every test file clones (`CREATE DATABASE … TEMPLATE …` takes tens of milliseconds), because
 * drizzle's migrations name the `public` schema and so cannot be isolated by schema.
 */
export default async function setup(project: TestProject) {
  const services = await resolveTestServices(process.env);
  const template = templateDatabaseName();
  const admin = postgres(services.postgresAdminUrl, { max: 1, onnotice: () => {} });
  try {
    const exists = await admin`select 1 from pg_database where datname = ${template}`;
    if (exists.length === 0) {
      const building = `${template}_build_${process.pid}`;
      await admin.unsafe(`drop database if exists "${building}"`);
      await admin.unsafe(`create database "${building}"`);
      const handle = await openDatabase(withDatabase(services.postgresAdminUrl, building), { max: 1 });
      await migrateDatabase(handle);
      await handle.close();
      // Renamed only once complete, so a crash mid-migration never leaves a half-built template.
      await admin.unsafe(`alter database "${building}" rename to "${template}"`).catch(async (error) => {
        await admin.unsafe(`drop database if exists "${building}"`);
        const raced = await admin`select 1 from pg_database where datname = ${template}`;
        if (raced.length === 0) throw error;
      });
    }
    await dropStaleTestDatabases(admin);
  } finally {
    await admin.end({ timeout: 1 });
  }
  project.provide('postgresAdminUrl', services.postgresAdminUrl);
  project.provide('templateDatabase', template);
  project.provide('redisUrl', services.redisUrl);
  return async () => services.stop();
}

/** Test databases left by a run that was killed; anything older than an hour is garbage. */
async function dropStaleTestDatabases(admin: postgres.Sql): Promise<void> {
  const rows = await admin<{ datname: string }[]>`
    select datname from pg_database
    where datname like 'payouts_test_%' and (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification < now() - interval '1 hour'`.catch(
    () => [] as { datname: string }[],
  );
  for (const { datname } of rows)
    await admin.unsafe(`drop database if exists "${datname}" with (force)`).catch(() => {});
}
