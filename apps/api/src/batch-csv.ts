import type { Writable } from 'node:stream';

/**
 * The CSV format of a batch upload (docs/batches.md): one payout per row, header row required,
 * amounts in integer minor units. Columns are the JSON fields, with nested fields joined by `_`:
 * `beneficiary_account_number`, `beneficiary_address_line1`, and `metadata_<key>` for metadata.
 */
export const CSV_COLUMNS = [
  'amount',
  'currency',
  'provider',
  'method',
  'purpose',
  'reference_id',
  'narration',
  'description',
  'queue_if_low_balance',
  'rail_fallback',
  // A saved beneficiary instead of the beneficiary_* columns (one or the other per row).
  'beneficiary_id',
  // Who the beneficiary is (employee, vendor, …); a saved beneficiary's is its own.
  'beneficiary_type',
  'beneficiary_name',
  'beneficiary_first_name',
  'beneficiary_last_name',
  'beneficiary_email',
  'beneficiary_phone',
  'beneficiary_country',
  'beneficiary_account_number',
  'beneficiary_bank_code',
  'beneficiary_bank_name',
  'beneficiary_account_type',
  'beneficiary_provider_account_id',
  'beneficiary_address_line1',
  'beneficiary_address_line2',
  'beneficiary_address_city',
  'beneficiary_address_postal_code',
  'beneficiary_address_country',
] as const;

const KNOWN = new Set<string>(CSV_COLUMNS);

/** Columns holding a JSON boolean: `true` or `false`; anything else goes on as text, refused by name. */
const BOOLEAN_COLUMNS = new Set(['queue_if_low_balance', 'rail_fallback']);

/** Header names that are neither a known column nor `metadata_<key>`. */
export function unknownColumns(header: string[]): string[] {
  return header.filter((h) => !KNOWN.has(h) && !/^metadata_[A-Za-z0-9_.-]{1,64}$/.test(h));
}

/**
 * A CSV record → the same JSON a single `POST /v1/payouts` takes. Empty cells are absent fields.
 * Values that are not what they claim (an amount with decimals) are passed through as strings so
 * the shared validation names the field, exactly as for JSON.
 */
export function csvRecordToPayout(record: Record<string, string>): Record<string, unknown> {
  const payout: Record<string, unknown> = {};
  const beneficiary: Record<string, unknown> = {};
  const address: Record<string, unknown> = {};
  const metadata: Record<string, string> = {};
  for (const [column, raw] of Object.entries(record)) {
    const value = raw.trim();
    if (value === '') continue;
    if (column.startsWith('metadata_')) metadata[column.slice('metadata_'.length)] = value;
    else if (column === 'beneficiary_id') payout.beneficiary_id = value;
    else if (column.startsWith('beneficiary_address_')) address[column.slice('beneficiary_address_'.length)] = value;
    else if (column.startsWith('beneficiary_')) beneficiary[column.slice('beneficiary_'.length)] = value;
    // Any run of digits is a number, so one too large is refused as too large (not as "not an integer").
    else if (column === 'amount') payout.amount = /^\d+$/.test(value) ? Number(value) : value;
    else if (BOOLEAN_COLUMNS.has(column)) payout[column] = value === 'true' ? true : value === 'false' ? false : value;
    else payout[column] = value;
  }
  if (Object.keys(address).length > 0) beneficiary.address = address;
  // A row naming a saved beneficiary and no bank details has no inline beneficiary at all.
  if (Object.keys(beneficiary).length > 0 || payout.beneficiary_id === undefined) payout.beneficiary = beneficiary;
  if (Object.keys(metadata).length > 0) payout.metadata = metadata;
  return payout;
}

/** A payout field path → the CSV column that holds it (`beneficiary.address.line1` → `beneficiary_address_line1`). */
export function columnOf(path: string): string {
  return path.replaceAll('.', '_');
}

/**
 * A writer for a streamed download: each chunk waits until `out` has room (backpressure), so a
 * slow client holds the server to one page of memory. Answers false once `out` is gone (the
 * client went away): the caller stops reading.
 */
export function streamWriter(out: Writable): (text: string) => Promise<boolean> {
  return async (text) => {
    if (out.destroyed) return false;
    if (!out.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done);
          out.off('close', done);
          resolve();
        };
        out.on('drain', done);
        out.on('close', done);
      });
    }
    return !out.destroyed;
  };
}

/** One CSV field: quoted when needed, and a leading =, +, - or @ defused so spreadsheets never run it. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
