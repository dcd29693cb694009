/**
 * DRUO's error body (the page documents none; format assumed, shared with the adapter):
 * `{"error": {"code", "message", "field"}}`.
 */
export interface DruoErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly field: string | null;
  };
}

export function druoError(code: string, message: string, field: string | null = null): DruoErrorBody {
  return { error: { code, message, field } };
}

/** The answers the simulator gives, named once so tests and routes agree on every word. */
export const DruoErrors = {
  invalidToken: () => druoError('UNAUTHORIZED', 'Invalid or missing access token'),
  invalidVersion: () =>
    druoError('UNAUTHORIZED', 'Missing or unsupported DRUO-Version header; use 2021-11-22', 'DRUO-Version'),
  validation: (field: string | null, message: string) => druoError('VALIDATION_ERROR', message, field),
  notFound: () => druoError('NOT_FOUND', 'Payout not found'),
  routeNotFound: () => druoError('NOT_FOUND', 'The requested URL was not found on the server'),
  tooManyRequests: () => druoError('RATE_LIMITED', 'Too many requests. Please retry after some time.'),
  serviceUnavailable: () => druoError('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable. Please retry.'),
  serverError: () => druoError('INTERNAL_ERROR', 'Something went wrong on our side. Please try again shortly.'),
} as const;
