import { type Currency, isCurrency, toMajorString } from '@payouts/core';

/** Plain padded columns: readable in a terminal, greppable, no dependencies. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | null | undefined;
  align?: 'left' | 'right';
  /** Longer cells are cut with an ellipsis. */
  max?: number;
}

export function table<Row>(columns: Column<Row>[], rows: Row[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row), c.max)));
  // Every row of cells has one value per column: the defaults below are never used.
  const layout = columns.map((c, i) => {
    const header = c.header.toUpperCase();
    return { header, align: c.align, width: Math.max(header.length, ...cells.map((r) => r[i]?.length ?? 0)) };
  });
  const line = (values: string[]) =>
    layout
      .map(({ align, width }, i) => {
        const v = values[i] ?? '';
        return align === 'right' ? v.padStart(width) : v.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return `${[line(layout.map((l) => l.header)), ...cells.map(line)].join('\n')}\n`;
}

function cell(value: string | number | null | undefined, max?: number): string {
  const s = value === null || value === undefined || value === '' ? '-' : String(value).replace(/\s+/g, ' ');
  return max !== undefined && s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** `key: value` lines, keys aligned. */
export function fields(entries: [string, string | number | boolean | null | undefined][]): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return `${entries.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v ?? '-'}`).join('\n')}\n`;
}

/** 42 → "42s", 305 → "5m05s", 7500 → "2h05m", 200000 → "2d07h". */
export function age(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad2(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad2(Math.floor((s % 86400) / 3600))}h`;
}

/** A run's time: 850 → "0.9s", 12400 → "12.4s", then as `age` (305000 → "5m05s"). */
export function elapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : age(s);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Minor units to "INR 1234.50" (the currency's own decimals); unknown currencies stay as given. */
export function amount(minor: number | string | bigint, currency: string): string {
  if (!isCurrency(currency)) return `${currency} ${minor}`;
  return `${currency} ${toMajorString(BigInt(minor), currency as Currency)}`;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
