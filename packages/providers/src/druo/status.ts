import type { ProviderOutcome } from '../contract/index.ts';

/**
 * DRUO's statuses. The page shows only `PENDING` (its example response) and `SUCCESSFUL` (a field
 * example) and mentions declines (`decline_reason`); the rest are assumed from the names DRUO-like
 * APIs use, so that an explicit success or failure is recognised whichever spelling arrives
 * (ASSUMPTIONS.md). Anything else stays in progress.
 */
export const DRUO_STATUSES = [
  'PENDING',
  'PROCESSING',
  'IN_PROGRESS',
  'SUCCESSFUL',
  'COMPLETED',
  'DECLINED',
  'FAILED',
  'CANCELLED',
  'CANCELED',
  'REVERSED',
  'RETURNED',
] as const;
export type DruoStatus = (typeof DRUO_STATUSES)[number];

/**
 * Typed as a full Record so that a status added to the list above does not compile until it is
 * mapped here. `DECLINED` is a refusal before any money moved; `REVERSED`/`RETURNED` come after
 * `SUCCESSFUL`, when the bank sends the money back.
 */
const OUTCOMES: Record<DruoStatus, ProviderOutcome> = {
  PENDING: 'processing',
  PROCESSING: 'processing',
  IN_PROGRESS: 'processing',
  SUCCESSFUL: 'processed',
  COMPLETED: 'processed',
  DECLINED: 'failed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  CANCELED: 'cancelled',
  REVERSED: 'reversed',
  RETURNED: 'reversed',
};

export function isDruoStatus(value: string): value is DruoStatus {
  return (DRUO_STATUSES as readonly string[]).includes(value);
}

/**
 * A status we do not know is still in progress: only an explicit success or failure moves money,
 * so guessing either way could pay twice or drop a payout. Matching is exact (DRUO's statuses are
 * upper case): `successful` is unknown, hence in progress, never a success by accident.
 */
export function toOutcome(status: string): ProviderOutcome {
  return isDruoStatus(status) ? OUTCOMES[status] : 'processing';
}
