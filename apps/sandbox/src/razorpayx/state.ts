import { z } from 'zod';
import { outcomeSchema, savedRecordFields, savedWire } from '../common/persistence.ts';
import { PAYOUT_STATUSES, type RazorpayXPayout } from './wire.ts';

/**
 * What the sandbox keeps of RazorpayX across restarts: every payout with its decided outcome (null
 * until funded), and the idempotency keys. The balance is in the runtime's configuration, saved
 * beside it; the low-balance queue is the queued payouts in the order they were created.
 */
export const razorpayxState = z.object({
  payouts: z.array(
    z.object({
      ...savedRecordFields,
      payout: savedWire<RazorpayXPayout>(PAYOUT_STATUSES),
      idempotencyKey: z.string(),
      accountRef: z.string(),
      outcome: outcomeSchema.nullable(),
    }),
  ),
  idempotencyKeys: z.array(
    z.tuple([z.string(), z.object({ fingerprint: z.string(), payoutId: z.string(), expiresAt: z.number() })]),
  ),
});

export type RazorpayXState = z.infer<typeof razorpayxState>;
