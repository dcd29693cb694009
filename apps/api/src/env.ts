import {
  apiPortEnv,
  apiProcessesEnv,
  baseEnv,
  confirmWindowEnv,
  flag,
  operatorApprovalsEnv,
  parseEnv,
  tracingEnv,
  z,
} from '@payouts/config';
import { CURRENCIES, type Currency, PROVIDER_IDS, type ProviderId } from '@payouts/core';
import { DEFAULT_ROUTES, providerEnv, providerWorkerEnv, railLimitsEnv } from '@payouts/providers';
import { ACCEPTED_SLICE } from '@payouts/queue';

/**
 * The failure codes the adapters give when the provider refused our credentials or our account
 * configuration (kind `auth`: Krayon's `UNAUTHORIZED`, the Thai gateway's `INVALID_CREDENTIALS`,
 * RazorpayX's `ACCOUNT_MISCONFIGURED`, `HTTP_401` / `HTTP_403` for an answer without a code, `AUTH`
 * for one without any). Today such an answer parks the provider instead of failing the payout;
 * a payout failed with one of these codes (by an engine before the gate, or a provider that
 * answers a configuration problem as a refusal) is not a payout's failure.
 */
export const DEFAULT_SYSTEMIC_FAILURE_CODES = [
  'AUTH',
  'UNAUTHORIZED',
  'INVALID_CREDENTIALS',
  'ACCOUNT_MISCONFIGURED',
  'HTTP_401',
  'HTTP_403',
] as const;

/** How long a POST /v1/payouts waits for others to share its statement, and how many may share one. */
export interface GroupCommitOptions {
  /** The longest a request waits for its group to close (PAYOUT_GROUP_COMMIT_WINDOW_MS). */
  windowMs: number;
  /** A group is written as soon as it has this many requests (PAYOUT_GROUP_COMMIT_MAX); 1: no grouping. */
  maxSize: number;
}

/** By default: a 2 ms window, at most 64 requests a statement. */
export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = { windowMs: 2, maxSize: 64 };

export const apiEnvSchema = z
  .object({
    ...baseEnv,
    ...apiPortEnv,
    ...apiProcessesEnv,
    ...providerEnv(),
    ...tracingEnv,
    ...operatorApprovalsEnv,
    /**
     * The workers' per-provider limits (`<PROVIDER>_RATE_PER_SECOND`, same names, same defaults):
     * GET /v1/admin/providers shows each provider's configured rate.
     */
    ...providerWorkerEnv(),
    /** The workers' list-confirmation window: a webhook about a payout at a provider that lists joins it here. */
    ...confirmWindowEnv,
    /**
     * When set, `GET /metrics` wants `Authorization: Bearer <METRICS_TOKEN>`; unset, it is open like
     * `/healthz` (the series carry no tenant data; keep the port inside the cluster network).
     */
    METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
    /** The first operator key; stored hashed at start. Without it, operator routes have no key. */
    OPERATOR_API_KEY: z.string().min(16, 'OPERATOR_API_KEY must be at least 16 characters').optional(),
    /**
     * Requests per second per API key, refilled continuously (fractions allowed: 0.5 is one request
     * every 2 s); 0 turns the limit off. Generous by default: the limit protects the service from one
     * runaway client, it is not a billing quota (docs/security.md).
     */
    RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(1000),
    /**
     * POST /v1/payouts' group commit: the longest a request waits for others to share its statement
     * and commit (ms, 0: those that arrive within one turn of the event loop). Bounded: a request
     * never waits for a group longer than this, whatever the load.
     */
    PAYOUT_GROUP_COMMIT_WINDOW_MS: z.coerce.number().int().min(0).max(50).default(DEFAULT_GROUP_COMMIT.windowMs),
    /**
     * At most this many requests share a statement; a group this full is written at once. 1: each
     * request alone. At most one `payouts.accepted` job's worth: a group's payouts leave in one job.
     */
    PAYOUT_GROUP_COMMIT_MAX: z.coerce.number().int().min(1).max(ACCEPTED_SLICE).default(DEFAULT_GROUP_COMMIT.maxSize),
    /** How many requests a key may send at once before the rate applies (default: two seconds' worth). */
    RATE_LIMIT_BURST: z.coerce.number().int().min(1).optional(),
    /**
     * How long a cancel or a funding waits for the reconciler to apply it before answering 202 (the
     * event still runs; a retry tells the outcome).
     */
    RECONCILER_ANSWER_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    /**
     * Webhook endpoints may be on private addresses (loopback, RFC 1918, link-local, …): for local
     * development and tests. Off, registering one is refused, as delivering to one is (the reconciler
     * reads the same setting).
     */
    WEBHOOK_ALLOW_PRIVATE_TARGETS: flag(false),
    /**
     * How long a console session lasts from sign-in, in seconds (not extended by use). Short on
     * purpose: the console is for looking and acting now, and signing in again takes the key.
     */
    CONSOLE_SESSION_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(1800),
    /**
     * The failure codes that are systemic, comma-separated: the provider refused our credentials or
     * our account, not the payout. A payout failed with one of them may be replayed by an operator
     * once its provider confirms it has no record of it (docs/operations.md); any other failure is final.
     */
    SYSTEMIC_FAILURE_CODES: z
      .string()
      .default(DEFAULT_SYSTEMIC_FAILURE_CODES.join(','))
      .transform(
        (v) =>
          new Set(
            v
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean),
          ) as ReadonlySet<string>,
      ),
    /** Rail limit overrides per provider, as JSON (docs/providers.md, "Rails"); unset: the declared defaults. */
    PROVIDER_RAIL_LIMITS: railLimitsEnv,
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
  })
  // PGlite is one process and one session: API processes of their own would each open it.
  .superRefine((env, ctx) => {
    if (env.API_PROCESSES > 1 && env.DATABASE_URL.startsWith('pglite:')) {
      ctx.addIssue({
        code: 'custom',
        path: ['API_PROCESSES'],
        message: 'must be 1 with an embedded PGlite database (DATABASE_URL=pglite:…), which one process opens',
      });
    }
  });
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function readApiEnv(env: NodeJS.ProcessEnv = process.env): ApiEnv {
  return parseEnv(apiEnvSchema, env);
}
