import { z } from 'zod';

const share = z.number().min(0).max(1);
const millis = z.number().int().min(0).max(3_600_000);

/**
 * What an operator or a test can tune per provider at run time (`PATCH /_admin/:provider/config`).
 * Amounts are plain integers of minor units because that is how every simulated provider puts
 * them on the wire; the schema keeps them within JSON's safe integer range.
 */
export const providerConfigSchema = z.strictObject({
  /** Added before every provider answer, faults included. */
  latencyMs: millis,
  /** Time between two automatic steps of a payout (processing → processed → reversed). */
  progressDelayMs: millis,
  /** Of the payouts that no test account number decides, the share that fails at the bank. */
  failureShare: share,
  /** Of the same payouts, the share processed and later reversed. */
  reversalShare: share,
  /** The provider account's live balance in minor units; setting it releases queued payouts. */
  balance: z.number().int().min(0),
  /** Share of requests answered 503 before anything is read or written. */
  http5xxShare: share,
  /** Share of requests answered 429 with `Retry-After` before anything is read or written. */
  http429Share: share,
  retryAfterSeconds: z.number().int().min(0).max(3600),
  /**
   * The provider's own rate limit: requests past this many in one clock second are answered 429
   * with `Retry-After: 1`, as RazorpayX does past its 5–10 requests a second. 0: no limit.
   */
  rateLimitPerSecond: z.number().int().min(0).max(1_000_000),
  /** Share of creates that commit the payout and then never answer. */
  timeoutAfterCommitShare: share,
  /** How long such a request is held open before its socket is destroyed. */
  hangMs: millis,
  /**
   * Share of creates the provider gets to only after `hangMs` (a backlog): read, then held before
   * anything is decided or written, then processed as usual even if the client stopped waiting.
   * Until then a lookup finds nothing, although the payout will exist.
   */
  lateCreateShare: share,
  /** Where the provider POSTs its signed webhooks (http or https); null sends none. */
  webhookUrl: z.url({ protocol: /^https?$/, error: 'The webhook URL must be an http or https URL' }).nullable(),
  /** Share of webhook events delivered twice: same event id, same body. */
  webhookDuplicateShare: share,
  /**
   * Share of webhook events held back and delivered after the payout's next event, or after
   * 2 × progressDelayMs when no next event comes.
   */
  webhookOutOfOrderShare: share,
  /**
   * The engine's credentials were rotated at the provider: every API call answers 401 in the
   * provider's format until this is set back to false (the new keys were deployed).
   */
  credentialsRevoked: z.boolean(),
});

export type ProviderConfig = z.infer<typeof providerConfigSchema>;

export const providerConfigPatchSchema = providerConfigSchema.partial();
export type ProviderConfigPatch = z.infer<typeof providerConfigPatchSchema>;

/** No faults, every step of a payout's progress well within a second; webhooks off (docs/sandbox.md). */
export const DEFAULT_PROVIDER_CONFIG: ProviderConfig = {
  latencyMs: 0,
  progressDelayMs: 300,
  failureShare: 0,
  reversalShare: 0,
  balance: 1_000_000_000_000,
  http5xxShare: 0,
  http429Share: 0,
  retryAfterSeconds: 1,
  rateLimitPerSecond: 0,
  timeoutAfterCommitShare: 0,
  lateCreateShare: 0,
  hangMs: 30_000,
  webhookUrl: null,
  webhookDuplicateShare: 0,
  webhookOutOfOrderShare: 0,
  credentialsRevoked: false,
};

/** Validates a starting configuration once, so a bad option fails at start rather than mid-test. */
export function resolveProviderConfig(base: ProviderConfig, overrides: ProviderConfigPatch = {}): ProviderConfig {
  return providerConfigSchema.parse({ ...base, ...overrides });
}
