import { ProviderError } from '@payouts/providers';

/**
 * The one place that decides what a provider failure means for a payout (STYLE: "errors translated
 * in three layers, the last decided in exactly one place"). Adapters classify; this decides.
 */
export type Decision =
  /** The provider refused it for good: the payout fails with the provider's reason. */
  | { action: 'fail'; code: string; message: string }
  /** The provider may have it: record `unknown`, then settle it by a lookup before anything else. */
  | { action: 'lookup'; reason: string }
  /** The provider says it already has it: find it by our reference. */
  | { action: 'find_existing' }
  /** The provider's float is short: park the payout and probe again later. */
  | { action: 'park'; reason: string }
  /**
   * Our credentials or our account were refused: nothing is wrong with the payout. Park the
   * provider (gate reason `credentials_rejected`), keep the payout where it is, probe until fixed.
   */
  | { action: 'park_provider'; reason: 'credentials_rejected'; message: string }
  /** Too many requests: pause the whole provider queue (every worker process) for this long. */
  | { action: 'rate_limit'; delayMs: number }
  /** Certainly not taken effect: retry later through the queue, with backoff. */
  | { action: 'retry'; reason: string };

/** When a provider answers 429 without `Retry-After`. */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 1000;

export function decideSubmitFailure(error: unknown): Decision {
  if (!(error instanceof ProviderError)) return { action: 'retry', reason: String(error) };
  switch (error.kind) {
    case 'auth':
      return { action: 'park_provider', reason: 'credentials_rejected', message: error.message };
    case 'invalid_request':
    case 'unsupported':
    case 'not_found':
      return { action: 'fail', code: error.providerCode, message: error.message };
    case 'duplicate':
      return { action: 'find_existing' };
    case 'insufficient_balance':
      return { action: 'park', reason: error.message };
    case 'rate_limited':
      return { action: 'rate_limit', delayMs: error.retryAfterMs ?? DEFAULT_RATE_LIMIT_DELAY_MS };
    case 'unavailable':
      return { action: 'retry', reason: error.message };
    case 'outcome_unknown':
      return { action: 'lookup', reason: error.message };
  }
}

/**
 * A saved beneficiary's registration (contact, fund account) failed before the payout was sent.
 * A refusal fails the payout with the provider's reason; anything else is tried again later:
 * repeating a registration step is safe (the provider answers the record it already has).
 */
export function decideRegistrationFailure(
  error: unknown,
): Extract<Decision, { action: 'fail' | 'rate_limit' | 'retry' }> {
  const decision = decideSubmitFailure(error);
  if (decision.action === 'fail' || decision.action === 'rate_limit') return decision;
  return { action: 'retry', reason: 'reason' in decision ? decision.reason : decision.action };
}

/** A lookup changes nothing at the provider, so every failure of one is "try again later". */
export function decideLookupFailure(error: unknown): Decision {
  if (error instanceof ProviderError && error.kind === 'rate_limited') {
    return { action: 'rate_limit', delayMs: error.retryAfterMs ?? DEFAULT_RATE_LIMIT_DELAY_MS };
  }
  return { action: 'retry', reason: error instanceof Error ? error.message : String(error) };
}

/** Only `unavailable` is retried inside the call: the request never reached the provider. */
export function isRetryableInCall(error: unknown): boolean {
  return error instanceof ProviderError && error.kind === 'unavailable';
}
