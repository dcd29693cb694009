import { describe, expect, test } from 'vitest';
import {
  add,
  fromMajorString,
  jsonAmount,
  MAX_AMOUNT,
  MAX_AMOUNT_MINOR,
  money,
  subtract,
  toJsonAmount,
  toMajorString,
} from './money.ts';

describe('money', () => {
  test.each([
    [0n, 'INR', '0.00'],
    [5n, 'INR', '0.05'],
    [123456n, 'INR', '1234.56'],
    [-150n, 'USD', '-1.50'],
    [100000n, 'THB', '1000.00'],
  ] as const)('%s minor %s is "%s"', (minor, currency, major) => {
    expect(toMajorString(minor, currency)).toBe(major);
    expect(fromMajorString(major, currency)).toBe(minor);
  });

  test('parses short forms and trailing zeros exactly', () => {
    expect(fromMajorString('500', 'INR')).toBe(50000n);
    expect(fromMajorString('500.5', 'INR')).toBe(50050n);
    expect(fromMajorString('500.500', 'INR')).toBe(50050n);
  });

  test('refuses to round: more decimals than the currency has', () => {
    expect(() => fromMajorString('1.005', 'INR')).toThrow(/more than 2 decimals/);
  });

  test.each(['', 'abc', '1e3', '1,000.00', '0x10', '1.2.3'])('refuses "%s"', (value) => {
    expect(() => fromMajorString(value, 'INR')).toThrow(RangeError);
  });

  test('arithmetic keeps the currency and refuses to mix', () => {
    expect(add(money(100, 'INR'), money(250n, 'INR'))).toEqual({ amount: 350n, currency: 'INR' });
    expect(subtract(money(100, 'INR'), money(250, 'INR')).amount).toBe(-150n);
    expect(() => add(money(1, 'INR'), money(1, 'USD'))).toThrow(/currency mismatch/);
  });

  test('floats and unsafe integers are not money', () => {
    expect(() => money(1.5, 'INR')).toThrow(RangeError);
    expect(() => money(2 ** 53, 'INR')).toThrow(RangeError);
    expect(() => toJsonAmount(2n ** 60n)).toThrow(RangeError);
    expect(toJsonAmount(42n)).toBe(42);
  });

  test('the amount limit leaves room for sums of a few limited amounts in a JSON number', () => {
    expect(MAX_AMOUNT_MINOR).toBe(10n ** 15n);
    expect(BigInt(MAX_AMOUNT)).toBe(MAX_AMOUNT_MINOR);
    // A wallet at the limit plus a payout at the limit returned to it, and its reserve: still exact.
    expect(Number.isSafeInteger(Number(2n * MAX_AMOUNT_MINOR + 10n ** 13n))).toBe(true);
    expect(Number.isSafeInteger(Number(9n * MAX_AMOUNT_MINOR))).toBe(true);
    expect(Number.isSafeInteger(Number(10n * MAX_AMOUNT_MINOR))).toBe(false);
  });

  test('jsonAmount answers a number when exact, else the exact decimal string, never a rounded number', () => {
    expect(jsonAmount(0n)).toBe(0);
    expect(jsonAmount(-150n)).toBe(-150);
    expect(jsonAmount(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(jsonAmount(BigInt(Number.MAX_SAFE_INTEGER) + 1n)).toBe('9007199254740992');
    expect(jsonAmount(2n * BigInt(Number.MAX_SAFE_INTEGER) + 1000n)).toBe('18014398509482982');
    expect(jsonAmount(-(2n ** 63n) + 1n)).toBe('-9223372036854775807');
  });
});
