// `pnpm migrate`: applies the committed migrations to DATABASE_URL (a deployment's migration step).
import { migrateDatabase, openDatabase } from './client.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set (postgres://… or pglite:<dir>)');
  process.exit(2);
}
const handle = await openDatabase(url, { max: 1 });
await migrateDatabase(handle);
await handle.close();
console.log('migrations applied');
