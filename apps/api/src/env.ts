import { apiPortEnv, baseEnv, parseEnv, providerEnv, z } from '@payouts/config';
import { CURRENCIES, type Currency, PROVIDER_IDS, type ProviderId } from '@payouts/core';
import { DEFAULT_ROUTES } from '@payouts/providers';

export const apiEnvSchema = z.object({
  ...baseEnv,
  ...apiPortEnv,
  ...providerEnv(),
  /** The first operator key; stored hashed at start. Without it, operator routes have no key. */
  OPERATOR_API_KEY: z.string().min(16, 'OPERATOR_API_KEY must be at least 16 characters').optional(),
  /** Routing overrides, e.g. `INR=krayon,THB=thai-gateway`; unnamed currencies keep the defaults. */
  PROVIDER_ROUTES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const routes: Partial<Record<Currency, ProviderId>> = { ...DEFAULT_ROUTES };
      for (const pair of (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const [currency, provider] = pair.split('=').map((s) => s.trim());
        if (
          !(CURRENCIES as readonly string[]).includes(currency ?? '') ||
          !(PROVIDER_IDS as readonly string[]).includes(provider ?? '')
        ) {
          ctx.addIssue({
            code: 'custom',
            message: `"${pair}" is not CURRENCY=provider with a known currency and provider`,
          });
          continue;
        }
        routes[currency as Currency] = provider as ProviderId;
      }
      return routes;
    }),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function readApiEnv(env: NodeJS.ProcessEnv = process.env): ApiEnv {
  return parseEnv(apiEnvSchema, env);
}
