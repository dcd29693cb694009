import type { ProviderOutcome } from '../contract/index.ts';

/** Every status RazorpayX's public docs list (the Create page itself shows all but `scheduled` and `failed`). */
export const RAZORPAYX_STATUSES = [
  'queued',
  'pending',
  'rejected',
  'scheduled',
  'processing',
  'processed',
  'cancelled',
  'reversed',
  'failed',
] as const;
export type RazorpayxStatus = (typeof RAZORPAYX_STATUSES)[number];

/**
 * Typed as a full Record so that a status added to the list above does not compile until it is
 * mapped here. `pending` (approval workflow) and `scheduled` are steps before the money moves:
 * still in progress. `reversed` comes after `processed`, when the bank returns the money.
 */
const OUTCOMES: Record<RazorpayxStatus, ProviderOutcome> = {
  queued: 'queued',
  pending: 'processing',
  scheduled: 'processing',
  processing: 'processing',
  processed: 'processed',
  rejected: 'rejected',
  cancelled: 'cancelled',
  reversed: 'reversed',
  failed: 'failed',
};

export function isRazorpayxStatus(value: string): value is RazorpayxStatus {
  return (RAZORPAYX_STATUSES as readonly string[]).includes(value);
}

/**
 * A status we do not know is still in progress: only an explicit success or failure moves money,
 * so guessing either way could pay twice or drop a payout. Polling continues until one arrives.
 */
export function toOutcome(status: string): ProviderOutcome {
  return isRazorpayxStatus(status) ? OUTCOMES[status] : 'processing';
}
