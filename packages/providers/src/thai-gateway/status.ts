import type { ProviderOutcome } from '../contract/index.ts';

/**
 * The page documents only `pending` and `processing`. The rest are assumed (ASSUMPTIONS.md): the
 * withdraw object carries `paidAt` and `canceledAt`, so paid and canceled states exist; the
 * spellings the gateway might use for each are all mapped, so a guess of ours that is wrong in
 * spelling only still lands on the right outcome.
 */
export const THAI_GATEWAY_STATUSES = [
  'pending',
  'processing',
  'completed',
  'paid',
  'success',
  'failed',
  'canceled',
  'cancelled',
  'rejected',
  'reversed',
  'refunded',
] as const;
export type ThaiGatewayStatus = (typeof THAI_GATEWAY_STATUSES)[number];

/**
 * Typed as a full Record so that a status added to the list above does not compile until it is
 * mapped here. `reversed`/`refunded` come after a completed withdraw, when the bank returns it.
 */
const OUTCOMES: Record<ThaiGatewayStatus, ProviderOutcome> = {
  pending: 'processing',
  processing: 'processing',
  completed: 'processed',
  paid: 'processed',
  success: 'processed',
  failed: 'failed',
  canceled: 'cancelled',
  cancelled: 'cancelled',
  rejected: 'rejected',
  reversed: 'reversed',
  refunded: 'reversed',
};

export function isThaiGatewayStatus(value: string): value is ThaiGatewayStatus {
  return (THAI_GATEWAY_STATUSES as readonly string[]).includes(value);
}

/**
 * A status we do not know is still in progress: only an explicit success or failure moves money,
 * so guessing either way could pay twice or drop a payout. Polling continues until one arrives.
 */
export function toOutcome(status: string): ProviderOutcome {
  return isThaiGatewayStatus(status) ? OUTCOMES[status] : 'processing';
}
