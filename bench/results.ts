/** The figures of `pnpm bench`: one row per measurement, formatted for the table and bench-results.json. */

/** One line of the table (and of bench-results.json). */
export interface Row {
  key: string;
  measurement: string;
  /** Our figure, formatted for the table; null when not measured (see `note`). */
  ours: string | null;
  value: number | null;
  unit: string;
  /** The raw baseline measured in the same run, formatted, with what it is. */
  baseline: string | null;
  baselineValue: number | null;
  baselineLabel: string | null;
  /** ours / baseline (for latencies and memory: ours / baseline too, lower is better). */
  ratio: number | null;
  target: string;
  /** null: no target (a raw baseline) or not measured. */
  met: boolean | null;
  note?: string;
  details?: Record<string, unknown>;
}

export interface BenchContext {
  adminUrl: string;
  redisUrl: string;
  /** Figures later measurements compare against, by key (e.g. `bullmq.addBulk`). */
  baselines: Map<string, number>;
  rows: Row[];
  log(message: string): void;
}

export function row(r: Omit<Row, 'ratio' | 'ours' | 'baseline'> & { ours?: string | null; baseline?: string | null }) {
  const ratio = r.value !== null && r.baselineValue ? r.value / r.baselineValue : null;
  return {
    ...r,
    ours: r.ours ?? (r.value === null ? null : `${fmt(r.value)} ${r.unit}`),
    baseline:
      r.baseline ??
      (r.baselineValue === null ? null : `${fmt(r.baselineValue)}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`),
    ratio,
  } satisfies Row;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
