import { z } from 'zod';
import { outcomeSchema, savedRecordFields, savedWire } from '../common/persistence.ts';
import { type ThaiGatewayWithdraw, WITHDRAW_STATUSES } from './wire.ts';

/**
 * What the sandbox keeps of the Thai gateway across restarts: every withdraw with its decided
 * outcome, the idempotency keys and the reference ids. The balance is in the runtime's
 * configuration, saved beside it.
 */
export const thaiGatewayState = z.object({
  payouts: z.array(
    z.object({
      ...savedRecordFields,
      withdraw: savedWire<ThaiGatewayWithdraw>(WITHDRAW_STATUSES),
      satang: z.number().int(),
      idempotencyKey: z.string().nullable(),
      outcome: outcomeSchema,
    }),
  ),
  idempotencyKeys: z.array(z.tuple([z.string(), z.string()])),
  references: z.array(z.tuple([z.string(), z.string()])),
});

export type ThaiGatewayState = z.infer<typeof thaiGatewayState>;
