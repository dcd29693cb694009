/**
 * `value`, or a clear error naming what was missing: for tests and harnesses, where a missing row,
 * header or regex group is a failure to report, not a case to handle. Prefer it to `value!`, which
 * only moves the failure to a confusing "cannot read properties of undefined" further on.
 */
export function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}, got ${String(value)}`);
  return value;
}
