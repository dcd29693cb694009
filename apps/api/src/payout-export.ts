import type { Writable } from 'node:stream';
import { maskAccountNumber } from '@payouts/core';
import type { Executor } from '@payouts/db';
import { payouts } from '@payouts/db';
import { chargedFees } from '@payouts/payouts';
import { and, desc, lt, type SQL } from 'drizzle-orm';
import { csvField, streamWriter } from './batch-csv.ts';

/** The export's columns, in order (docs/api.md lists what each holds). */
export const EXPORT_COLUMNS = [
  'id',
  'created_at',
  'updated_at',
  'status',
  'amount',
  'currency',
  'provider',
  'method',
  'purpose',
  'reference_id',
  'batch_id',
  'beneficiary_name',
  'beneficiary_account_number',
  'fees',
  'tax',
  'utr',
  'provider_payout_id',
  'failure_code',
  'failure_message',
  // Added after the first release: at the end, so readers that count columns keep working.
  'beneficiary_type',
] as const;

/** Rows read per query: the most the export holds in memory at once, whatever its size. */
export const EXPORT_PAGE_ROWS = 1000;

type Row = typeof payouts.$inferSelect;

function line(p: Row): string {
  const charged = chargedFees(p);
  return [
    p.id,
    p.createdAt.toISOString(),
    p.updatedAt.toISOString(),
    p.status,
    p.amount,
    p.currency,
    p.provider,
    p.method,
    p.purpose,
    p.referenceId,
    p.batchId,
    p.beneficiary.name ?? [p.beneficiary.first_name, p.beneficiary.last_name].filter(Boolean).join(' '),
    maskAccountNumber(p.beneficiary.account_number),
    charged.fees,
    charged.tax,
    p.utr,
    p.providerPayoutId,
    p.failureCode,
    p.failureMessage,
    p.beneficiaryType,
  ]
    .map(csvField)
    .join(',');
}

/**
 * Writes every payout the filters select, newest first, as CSV to `out`: in keyset pages by id (no
 * OFFSET, no snapshot held open), each line written only when `out` has room (backpressure), so
 * memory stays at one page however many payouts there are. Payouts created after the export
 * started are not in it (their ids are above the first page). Stops early if `out` is destroyed
 * (the client went away).
 */
export async function writePayoutsCsv(db: Executor, filters: SQL[], out: Writable): Promise<void> {
  const write = streamWriter(out);
  let before: string | undefined;
  for (;;) {
    const page = await db
      .select()
      .from(payouts)
      .where(and(...filters, before === undefined ? undefined : lt(payouts.id, before)))
      .orderBy(desc(payouts.id))
      .limit(EXPORT_PAGE_ROWS);
    // The header only after the first page was read: if the database cannot answer, nothing was
    // sent yet and the caller can still answer with a problem.
    if (before === undefined && !(await write(`${EXPORT_COLUMNS.join(',')}\n`))) return;
    for (const p of page) {
      if (!(await write(`${line(p)}\n`))) return;
    }
    const last = page.at(-1);
    if (last === undefined || page.length < EXPORT_PAGE_ROWS) break;
    before = last.id;
  }
}
