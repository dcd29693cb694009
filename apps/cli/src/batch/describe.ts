import { FINAL_STATUSES, PAYOUT_STATUSES } from '@payouts/core';
import { amount, elapsed, fields, table } from '../format.ts';
import type { Batch, BatchCreated, BatchStatus, RowError } from './types.ts';

/**
 * What `batch submit` and `batch status` print: the run, its payouts per state, its amounts per
 * currency and state.
 */

/** Row errors printed after an upload that went ahead (accept_valid); the report has them all. */
const ACCEPTED_ERRORS_SHOWN = 10;

/** Final states first (what is done), then the ones still moving, in lifecycle order. */
const STATE_ORDER: readonly string[] = [
  ...PAYOUT_STATUSES.filter((s) => FINAL_STATUSES.has(s)),
  ...PAYOUT_STATUSES.filter((s) => !FINAL_STATUSES.has(s)),
];

export function orderedStates<V>(byState: Record<string, V>): [string, V][] {
  const rank = (s: string) => (STATE_ORDER.includes(s) ? STATE_ORDER.indexOf(s) : STATE_ORDER.length);
  return Object.entries(byState).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

export function describeSubmitted(b: BatchCreated, key: string, replayed: boolean): string {
  const head = fields([
    ['batch', b.id],
    ['rows', `${b.rows.total} total, ${b.rows.accepted} accepted, ${b.rows.rejected} rejected`],
    ['mode', `${b.mode}, on insufficient funds: ${b.on_insufficient_funds}`],
    ['idempotency key', key],
    ['replayed', replayed ? 'yes: this file was submitted before with these options; this is that run' : 'no'],
  ]);
  const totals = table(
    [
      { header: 'currency', value: (t: Batch['totals'][number]) => t.currency },
      { header: 'provider', value: (t) => t.provider },
      { header: 'payouts', value: (t) => t.count, align: 'right' },
      { header: 'amount', value: (t) => amount(t.amount, t.currency), align: 'right' },
    ],
    b.totals,
  );
  let rejected = '';
  if (b.errors.length > 0) {
    const shown = b.errors.slice(0, ACCEPTED_ERRORS_SHOWN);
    const more = b.errors.length - shown.length;
    rejected = `\nRejected rows (${b.rows.rejected}):\n${table(
      [
        { header: 'row', value: (e: RowError) => e.row, align: 'right' },
        { header: 'column', value: (e) => e.field },
        { header: 'message', value: (e) => e.message, max: 100 },
      ],
      shown,
    )}${more > 0 ? `… and ${more} more (every row: pnpm cli batch report ${b.id})\n` : ''}`;
  }
  return `${head}\n${totals}${rejected}`;
}

export function describeFinished(s: BatchStatus): string {
  return `\nBatch ${s.id} completed in ${elapsed(s.elapsed_ms)}.\n\n${stateTables(s)}\nResults per row: pnpm cli batch report ${s.id}\n`;
}

export function describeStatus(s: BatchStatus): string {
  const head = fields([
    ['batch', s.id],
    ['status', s.status],
    ['mode', `${s.mode}, on insufficient funds: ${s.on_insufficient_funds}`],
    ['rows', `${s.rows.total} total, ${s.rows.accepted} accepted, ${s.rows.rejected} rejected`],
    ['progress', `${s.progress.final}/${s.progress.total} final (${s.progress.percent.toFixed(1)}%)`],
    ['created at', s.created_at],
    ['completed at', s.completed_at],
    ['elapsed', elapsed(s.elapsed_ms)],
  ]);
  return `${head}\n${stateTables(s)}`;
}

/** Payouts per state, then amounts per currency and state. */
function stateTables(s: BatchStatus): string {
  const counts = table(
    [
      { header: 'state', value: ([state]: [string, number]) => state },
      { header: 'payouts', value: ([, n]) => n, align: 'right' },
    ],
    orderedStates(s.counts),
  );
  const amounts = Object.keys(s.amounts)
    .sort()
    .flatMap((currency) =>
      orderedStates(s.amounts[currency] ?? {}).map(([state, minor]) => ({ currency, state, minor })),
    );
  const perCurrency = table(
    [
      { header: 'currency', value: (a: (typeof amounts)[number]) => a.currency },
      { header: 'state', value: (a) => a.state },
      { header: 'amount', value: (a) => amount(a.minor, a.currency), align: 'right' },
    ],
    amounts,
  );
  return `${counts}\n${perCurrency}`;
}
