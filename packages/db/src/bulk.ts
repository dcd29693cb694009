import { must } from '@payouts/core';
import { getTableColumns, getTableName, type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { type Executor, rowsOf } from './client.ts';

/**
 * Many rows in one statement, sent as ONE jsonb parameter and unpacked by Postgres
 * (`jsonb_to_recordset`). Drizzle's multi-row `insert().values()` binds every value as its own
 * parameter and checks each one's kind on the way: for the thousands of rows of a batch run or
 * a ledger group commit that SQL building costs more CPU than Postgres spends on the insert
 * (measured by `pnpm bench`: drizzle's `is()` alone was 13% of the reconciler's CPU). One JSON
 * string is built natively and parsed by Postgres in microseconds a row, on both drivers
 * (postgres-js and PGlite).
 *
 * Rows use the table's TypeScript keys, like drizzle's own `values()`. A key that no row sets
 * gets the column's default; a row without a key that others set gets NULL there. bigint values go as strings, Dates as ISO strings, jsonb values
 * as nested JSON.
 */
export async function insertRows<T extends PgTable>(
  tx: Executor,
  table: T,
  rows: Partial<T['$inferInsert']>[],
  options: { onConflictDoNothing?: string[]; returning?: string[] } = {},
): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return [];
  return rowsOf<Record<string, unknown>>(await tx.execute(insertRowsSql(table, rows, options)));
}

/**
 * The statement `insertRows` runs, to embed in a larger one (a CTE). `where` guards the insert:
 * no row is inserted unless it holds.
 */
export function insertRowsSql<T extends PgTable>(
  table: T,
  rows: Partial<T['$inferInsert']>[],
  options: { onConflictDoNothing?: string[]; returning?: string[]; where?: SQL } = {},
): SQL {
  const { names, recordType, json } = encode(table, rows);
  const where = options.where ? sql` where ${options.where}` : sql.raw('');
  const conflict = options.onConflictDoNothing
    ? sql.raw(` on conflict (${options.onConflictDoNothing.map(quote).join(', ')}) do nothing`)
    : sql.raw('');
  const returning = options.returning ? sql.raw(` returning ${options.returning.map(quote).join(', ')}`) : sql.raw('');
  return sql`insert into ${sql.raw(quote(getTableName(table)))} (${sql.raw(names)})
        select ${sql.raw(names)} from jsonb_to_recordset(${json}::jsonb) as x(${sql.raw(recordType)})${where}${conflict}${returning}`;
}

/**
 * Updates many rows by a key column in one statement, from one jsonb parameter (see
 * `insertRows`). Every row must carry the key and the same set of columns to set.
 * Callers hold the rows' locks already (or accept that Postgres takes them in plan order).
 */
export async function updateRows<T extends PgTable>(
  tx: Executor,
  table: T,
  key: keyof T['$inferSelect'] & string,
  rows: Partial<T['$inferSelect']>[],
): Promise<void> {
  if (rows.length === 0) return;
  const { columns, recordType, json } = encode(table, rows);
  const keyName = columnName(table, key);
  const sets = columns
    .filter((c) => c !== keyName)
    .map((c) => `${quote(c)} = x.${quote(c)}`)
    .join(', ');
  await tx.execute(
    sql`update ${sql.raw(quote(getTableName(table)))} as t set ${sql.raw(sets)}
        from jsonb_to_recordset(${json}::jsonb) as x(${sql.raw(recordType)})
        where t.${sql.raw(quote(keyName))} = x.${sql.raw(quote(keyName))}`,
  );
}

function encode<T extends PgTable>(
  table: T,
  rows: Record<string, unknown>[],
): { columns: string[]; names: string; recordType: string; json: string } {
  const all = getTableColumns(table) as Record<string, { name: string; getSQLType(): string }>;
  const present = new Set<string>();
  for (const row of rows) for (const [k, v] of Object.entries(row)) if (v !== undefined && k in all) present.add(k);
  const picked = [...present].map((k) => [k, must(all[k], `column ${k}`)] as const);
  const columns = picked.map(([, c]) => c.name);
  const recordType = picked.map(([, c]) => `${quote(c.name)} ${c.getSQLType()}`).join(', ');
  const out = rows.map((row) => {
    const o: Record<string, unknown> = {};
    for (const [k, c] of picked) o[c.name] = row[k] ?? null;
    return o;
  });
  const json = JSON.stringify(out, (_k, v) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : v,
  );
  return { columns, names: columns.map(quote).join(', '), recordType, json };
}

function columnName(table: PgTable, key: string): string {
  const column = (getTableColumns(table) as Record<string, { name: string }>)[key];
  if (!column) throw new Error(`no column ${key} in ${getTableName(table)}`);
  return column.name;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
