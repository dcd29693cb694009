/**
 * `value`, or a clear error naming what was missing. For values the code has just made sure exist
 * (a row it inserted, a key it put in a map, the last element of a non-empty page): if one is ever
 * missing that is a bug, and it should fail here, by name, not as "cannot read properties of
 * undefined" further on.
 */
export function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}, got ${String(value)}`);
  return value;
}
