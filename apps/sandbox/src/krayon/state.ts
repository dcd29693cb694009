import { z } from 'zod';
import { outcomeSchema, savedRecordFields, savedWire } from '../common/persistence.ts';
import { DEPOSIT_STATUSES, type KrayonDeposit } from './wire.ts';

/**
 * What the sandbox keeps of Krayon across restarts: every withdrawal with its decided outcome, and
 * the references, unique per organisation. The balance is in the runtime's configuration, saved
 * beside it.
 */
export const krayonState = z.object({
  payouts: z.array(
    z.object({
      ...savedRecordFields,
      deposit: savedWire<KrayonDeposit>(DEPOSIT_STATUSES),
      amount: z.number().int(),
      fee: z.number().int(),
      accountRef: z.string(),
      createdAt: z.number().int(),
      outcome: outcomeSchema,
    }),
  ),
  references: z.array(z.tuple([z.string(), z.string()])),
});

export type KrayonState = z.infer<typeof krayonState>;
