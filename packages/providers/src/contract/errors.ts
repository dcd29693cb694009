/**
 * Provider failures, translated in three layers: HTTP status → provider error code → one of the
 * kinds below. The adapter decides the kind (it knows the provider's codes); the engine decides
 * what to do about each kind, in one place (the worker's retry policy).
 */
export const PROVIDER_ERROR_KINDS = [
  /** The provider refused the request as invalid: the payout fails with the provider's reason. */
  'invalid_request',
  /** Our credentials were refused: fail and alert; retrying will not help. */
  'auth',
  /** The adapter cannot do this for this provider (capability missing). */
  'unsupported',
  /** 429: wait for `retryAfterMs`, shared by every worker of this provider. */
  'rate_limited',
  /** The request certainly did not take effect (refused connection, 5xx on a read): retry. */
  'unavailable',
  /** The request may have taken effect (timeout after sending, reset, 5xx on a create): look up. */
  'outcome_unknown',
  /** The provider's balance (our float) cannot cover it: park the provider's payouts. */
  'insufficient_balance',
  /** The provider already has a payout with this reference: look it up, it exists. */
  'duplicate',
  /** A lookup found nothing. */
  'not_found',
] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  /** The provider's own code (`BAD_REQUEST_ERROR`, `INSUFFICIENT_BALANCE`, …) or our transport code. */
  readonly providerCode: string;
  readonly httpStatus: number | null;
  readonly retryAfterMs: number | null;
  /** Canonical field path the provider blamed, when it says. */
  readonly field: string | null;

  constructor(
    kind: ProviderErrorKind,
    message: string,
    details: {
      providerCode?: string;
      httpStatus?: number | null;
      retryAfterMs?: number | null;
      field?: string | null;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ProviderError';
    this.kind = kind;
    this.providerCode = details.providerCode ?? kind.toUpperCase();
    this.httpStatus = details.httpStatus ?? null;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.field = details.field ?? null;
  }
}

/**
 * The kind for an answer that says nothing about what happened. A read changed nothing, so it is
 * safe to try again; anything else may have taken effect at the provider, and only a lookup can tell.
 */
export function unclearOutcome(method: string): 'unavailable' | 'outcome_unknown' {
  return method === 'GET' ? 'unavailable' : 'outcome_unknown';
}

export function unsupported(provider: string, capability: string): ProviderError {
  return new ProviderError('unsupported', `${provider} does not support ${capability}`, {
    providerCode: 'UNSUPPORTED',
  });
}
