/** The chaos run's own database: created on the admin URL for the run, dropped after it. */
import { openDatabase, rowsOf } from '@payouts/db';
import { requirePostgresAdminUrl } from '@payouts/testing';
import { sql } from 'drizzle-orm';

export function adminUrl(): Promise<string> {
  return requirePostgresAdminUrl(process.env, 'the chaos run');
}

/** Chaos databases left by a run that was killed; anything older than an hour is garbage. */
export async function dropStaleChaosDatabases(url: string): Promise<void> {
  const handle = await openDatabase(url, { max: 1 });
  try {
    const rows = rowsOf<{ datname: string }>(
      await handle.db.execute(sql`
        select datname from pg_database
        where datname like 'payouts_chaos_%'
          and (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification < now() - interval '1 hour'`),
    );
    for (const { datname } of rows) {
      await handle.db.execute(sql.raw(`drop database if exists "${datname}" with (force)`)).catch(() => {});
    }
  } catch {
    // Reading file dates needs privileges we may not have: then nothing is cleaned, which is fine.
  } finally {
    await handle.close();
  }
}
