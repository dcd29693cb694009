import { z } from 'zod';

/**
 * Example Pay, a provider that exists only in tests: the smallest JSON API with every piece a real
 * provider folder has. Amounts are integer minor units; our payout id is its idempotency key and
 * its unique `reference`.
 */
export const EXAMPLE_PAY_STATUSES = ['pending', 'sent', 'failed', 'returned'] as const;

export const payoutSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  reference: z.string().min(1),
  amount: z.number().int().nonnegative(),
  currency: z.string().length(3),
  fee: z.number().int().nonnegative().nullish(),
});
export type ExamplePayout = z.infer<typeof payoutSchema>;

export const payoutListSchema = z.looseObject({ items: z.array(payoutSchema) });

export const createPayoutRequestSchema = z.strictObject({
  amount: z.number().int().positive(),
  currency: z.literal('USD'),
  reference: z.string().min(1),
  account: z.string().min(1),
});
export type CreatePayoutRequest = z.infer<typeof createPayoutRequestSchema>;

export const errorResponseSchema = z.looseObject({
  error: z.looseObject({ code: z.string().min(1), message: z.string().nullish(), field: z.string().nullish() }),
});
