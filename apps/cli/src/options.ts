import { CURRENCIES, type Currency, isCurrency, isId, PAYOUT_STATUSES, PROVIDER_IDS } from '@payouts/core';
import { type Command, InvalidArgumentError, Option } from 'commander';

/**
 * Argument checks done here, before any call: a bad argument is a usage error (exit 2) and
 * never reaches the API.
 */

/** "300", "300s", "5m", "2h", "1d" → seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 300, 300s, 5m, 2h or 1d.');
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  const seconds = Number(m[1]) * unit;
  if (!Number.isSafeInteger(seconds)) throw new InvalidArgumentError('is too long.');
  return seconds;
}

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a positive integer.');
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

export function parseCurrency(value: string): Currency {
  const upper = value.trim().toUpperCase();
  if (!isCurrency(upper)) throw new InvalidArgumentError(`expected one of ${CURRENCIES.join(', ')}.`);
  return upper;
}

export function idParser(kind: 'payout' | 'tenant' | 'batch', example: string) {
  return (value: string): string => {
    if (!isId(value, kind)) throw new InvalidArgumentError(`expected a ${kind} id such as ${example}.`);
    return value;
  };
}

export const parsePayoutId = idParser('payout', 'po_01JD3…');
export const parseTenantId = idParser('tenant', 'ten_01JD3…');
/** `bat_` and 26 characters (a ULID). */
export const parseBatchId = idParser('batch', 'bat_01JD3…');

/** 1 to 255 visible ASCII characters, as the API takes it. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export interface FilterOptions {
  provider?: string;
  state?: string;
  reason?: string;
  olderThan?: number;
}

/** The dead-letter filters shared by `dead-letters list` and `replay --all`. */
export function addFilterOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--provider <provider>', 'only this provider').choices(PROVIDER_IDS))
    .addOption(new Option('--state <status>', 'only payouts in this status').choices(PAYOUT_STATUSES))
    .option('--reason <reason>', 'only this failure code or queued reason (e.g. provider_low_balance)')
    .option(
      '--older-than <duration>',
      'unmoved for at least this long: 300, 300s, 5m, 2h, 1d (API default 5m; needs_attention is listed at any age)',
      parseDuration,
    );
}

/** The filters as the API spells them (`older_than` in seconds). */
export function wireFilters(o: FilterOptions): Record<string, string | number> {
  const filters: Record<string, string | number> = {};
  if (o.provider !== undefined) filters.provider = o.provider;
  if (o.state !== undefined) filters.state = o.state;
  if (o.reason !== undefined) filters.reason = o.reason;
  if (o.olderThan !== undefined) filters.older_than = o.olderThan;
  return filters;
}

export const JSON_HELP = 'print the API answer as JSON';
