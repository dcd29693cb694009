import type { ProviderOutcome } from '../contract/index.ts';

/**
 * Krayon's statuses. The page shows only `PENDING`; it refers to a deposit object it does not
 * include, so the rest of this list is assumed (ASSUMPTIONS.md), with the spellings a deposit API
 * of this kind commonly uses. The sandbox uses PENDING, PROCESSING, COMPLETED, FAILED and REVERSED.
 */
export const KRAYON_STATUSES = [
  'PENDING',
  'PROCESSING',
  'IN_PROGRESS',
  'COMPLETED',
  'SUCCESS',
  'SUCCEEDED',
  'FAILED',
  'DECLINED',
  'ERROR',
  'REJECTED',
  'CANCELLED',
  'CANCELED',
  'EXPIRED',
  'REVERSED',
  'REFUNDED',
] as const;
export type KrayonStatus = (typeof KRAYON_STATUSES)[number];

/**
 * A full Record, so a status added to the list does not compile until it is mapped. Krayon has no
 * low-balance queue (it refuses with INSUFFICIENT_BALANCE), so nothing maps to `queued`.
 * `REVERSED`/`REFUNDED` come after a completed withdrawal, when the money comes back.
 */
const OUTCOMES: Record<KrayonStatus, ProviderOutcome> = {
  PENDING: 'processing',
  PROCESSING: 'processing',
  IN_PROGRESS: 'processing',
  COMPLETED: 'processed',
  SUCCESS: 'processed',
  SUCCEEDED: 'processed',
  FAILED: 'failed',
  DECLINED: 'failed',
  ERROR: 'failed',
  REJECTED: 'rejected',
  CANCELLED: 'cancelled',
  CANCELED: 'cancelled',
  EXPIRED: 'cancelled',
  REVERSED: 'reversed',
  REFUNDED: 'reversed',
};

export function isKrayonStatus(value: string): value is KrayonStatus {
  return (KRAYON_STATUSES as readonly string[]).includes(value);
}

/**
 * Exact spelling only: a status we do not know (`completed` in lower case included) is still in
 * progress. Only an explicit success or failure moves money; polling continues until one arrives.
 */
export function toOutcome(status: string): ProviderOutcome {
  return isKrayonStatus(status) ? OUTCOMES[status] : 'processing';
}
