import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { payouts } from './schema/payouts.ts';

/**
 * Payouts parked because their provider's float was short, before the provider had them
 * (RazorpayX's own queue releases itself), oldest first: the order they are released in.
 */
export function parkedPayouts(db: Executor, provider: string, limit = 5000) {
  return db
    .select({
      id: payouts.id,
      status: payouts.status,
      provider: payouts.provider,
      queuedReason: payouts.queuedReason,
      providerPayoutId: payouts.providerPayoutId,
    })
    .from(payouts)
    .where(
      and(
        eq(payouts.provider, provider),
        eq(payouts.status, 'queued'),
        eq(payouts.queuedReason, 'provider_low_balance'),
        isNull(payouts.providerPayoutId),
      ),
    )
    .orderBy(asc(payouts.id))
    .limit(limit);
}
