/**
 * `must(value, what)`: `value`, or a clear error naming what was missing. Tests and harnesses use it
 * where a missing row, header or regex group is a failure to report, not a case to handle. Prefer it
 * to `value!`, which only moves the failure to a confusing "cannot read properties of undefined" further on.
 */
export { must } from '@payouts/core';
