import { z } from 'zod';
import { outcomeSchema, savedRecordFields, savedWire } from '../common/persistence.ts';
import { CURRENCIES, type DruoTransaction, PAYOUT_STATUSES } from './wire.ts';

/**
 * What the sandbox keeps of DRUO across restarts: every transaction with its decided outcome (null
 * for a declined one, which never moves), and the balance of each currency. DRUO has no idempotency
 * key and no unique reference, so there is no index to keep.
 */
export const druoState = z.object({
  payouts: z.array(
    z.object({
      ...savedRecordFields,
      payout: savedWire<DruoTransaction>(PAYOUT_STATUSES),
      accountRef: z.string(),
      outcome: outcomeSchema.nullable(),
    }),
  ),
  balances: z.record(z.enum(CURRENCIES), z.number().int().min(0)),
});

export type DruoState = z.infer<typeof druoState>;
