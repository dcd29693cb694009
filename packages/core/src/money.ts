/**
 * Money is an integer count of minor units (paise, satang, cents) with its currency.
 * Amounts never travel as floats; conversion to a provider's wire format happens only
 * in that provider's transformers, through the helpers below.
 */
export const CURRENCIES = ['INR', 'THB', 'USD', 'COP'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** ISO 4217 minor-unit exponent of each supported currency. */
export const CURRENCY_EXPONENT: Record<Currency, number> = { INR: 2, THB: 2, USD: 2, COP: 2 };

export interface Money {
  readonly amount: bigint;
  readonly currency: Currency;
}

export function isCurrency(value: unknown): value is Currency {
  return typeof value === 'string' && (CURRENCIES as readonly string[]).includes(value);
}

export function money(amount: bigint | number, currency: Currency): Money {
  const minor = typeof amount === 'bigint' ? amount : toMinorInteger(amount);
  return { amount: minor, currency };
}

function toMinorInteger(n: number): bigint {
  if (!Number.isSafeInteger(n)) throw new RangeError(`amount ${n} is not a safe integer of minor units`);
  return BigInt(n);
}

export function add(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return { amount: a.amount + b.amount, currency: a.currency };
}

export function subtract(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return { amount: a.amount - b.amount, currency: a.currency };
}

function assertSameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new TypeError(`currency mismatch: ${a.currency} vs ${b.currency}`);
}

/** 123456n INR → "1234.56"; always the currency's full number of decimals. */
export function toMajorString(amount: bigint, currency: Currency): string {
  const exp = CURRENCY_EXPONENT[currency];
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const s = abs.toString().padStart(exp + 1, '0');
  const major = exp === 0 ? s : `${s.slice(0, -exp)}.${s.slice(-exp)}`;
  return negative ? `-${major}` : major;
}

/**
 * "1234.5" INR → 123450n. Rejects anything that is not a plain decimal, or that has more
 * decimals than the currency has minor units (rounding money silently is a bug).
 */
export function fromMajorString(value: string, currency: Currency): bigint {
  const exp = CURRENCY_EXPONENT[currency];
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new RangeError(`"${value}" is not a decimal amount`);
  const [, sign, whole, fraction = ''] = m;
  const trimmed = fraction.replace(/0+$/, '');
  if (trimmed.length > exp) throw new RangeError(`"${value}" has more than ${exp} decimals for ${currency}`);
  const minor = BigInt(`${whole}${fraction.padEnd(exp, '0').slice(0, exp)}`);
  return sign === '-' ? -minor : minor;
}

/**
 * The most the system accepts, in minor units, for one amount: a payout, a batch row, a funding,
 * and also for every total it forms from them: a wallet (available + held, refused at funding), a
 * batch's total per currency (refused at upload). 10^15 minor units is ten trillion rupees, dollars
 * or baht, and about USD 2.5 billion in Colombian pesos, far above any real payout or wallet, yet
 * nine times below 2^53 − 1 (`Number.MAX_SAFE_INTEGER`, the largest integer a JSON reader is
 * sure to read exactly). That margin keeps every sum of a few such values exact in JSON: an
 * amount plus its fee reserve, available plus held, a wallet that a returned payout (a reversal,
 * credited whatever the balance) takes past the limit.
 */
export const MAX_AMOUNT = 1_000_000_000_000_000;
export const MAX_AMOUNT_MINOR = BigInt(MAX_AMOUNT);

/** For JSON: bigint minor units to a number, refusing values that would lose precision. */
export function toJsonAmount(amount: bigint): number {
  const n = Number(amount);
  if (!Number.isSafeInteger(n)) throw new RangeError(`amount ${amount} exceeds JSON safe integer range`);
  return n;
}

/**
 * For what we answer from stored values (balances, payouts, batch totals): a number whenever it
 * is exact, otherwise the exact decimal string. Nothing the API accepts can produce the string
 * (see `MAX_AMOUNT`); a database written before the limit existed, or by hand, can, and a read
 * must then still answer, and never with a rounded amount.
 */
export function jsonAmount(amount: bigint): number | string {
  const n = Number(amount);
  return Number.isSafeInteger(n) ? n : amount.toString();
}
