import { z } from 'zod';
import { outcomeSchema, savedRecordFields, savedWire } from '../common/persistence.ts';
import { type ContactWire, PAYOUT_STATUSES, type RazorpayXPayout, type SavedFundAccountWire } from './wire.ts';

const savedObject = <T>(entity: string) =>
  z.custom<T>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      (value as { entity?: unknown }).entity === entity &&
      typeof (value as { id?: unknown }).id === 'string',
    { message: `expected a ${entity} object` },
  );

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
      // Saved before it was kept: unknown then.
      receivedAtMs: z.number().optional(),
    }),
  ),
  idempotencyKeys: z.array(
    z.tuple([z.string(), z.object({ fingerprint: z.string(), payoutId: z.string(), expiresAt: z.number() })]),
  ),
  // Saved before contacts and fund accounts existed: none then.
  contacts: z.array(savedObject<ContactWire>('contact')).default([]),
  fundAccounts: z.array(savedObject<SavedFundAccountWire>('fund_account')).default([]),
  /** The identifying details of each contact and fund account → its id (RazorpayX answers the existing one). */
  identities: z.array(z.tuple([z.string(), z.string()])).default([]),
});

export type RazorpayXState = z.infer<typeof razorpayxState>;
