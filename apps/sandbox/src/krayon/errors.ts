/**
 * Krayon's error object, as assumed (the page shows none; ASSUMPTIONS.md in the adapter folder):
 * `{error: {code, message, field}}`, `field` being the wire path of the offending field or null.
 */
export interface KrayonErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly field: string | null;
  };
}

export function krayonError(code: string, message: string, field: string | null = null): KrayonErrorBody {
  return { error: { code, message, field } };
}

/** The answers the simulator gives, named once so tests and routes agree on every word. */
export const KrayonErrors = {
  unauthorized: () => krayonError('UNAUTHORIZED', 'Invalid or missing API token.'),
  validation: (field: string | null, message: string) => krayonError('VALIDATION_ERROR', message, field),
  duplicateReference: (referenceId: string) =>
    krayonError(
      'DUPLICATE_REFERENCE_ID',
      `A deposit with reference_id "${referenceId}" already exists for this organization.`,
      'reference_id',
    ),
  insufficientBalance: () =>
    krayonError('INSUFFICIENT_BALANCE', 'The organization balance cannot cover the amount and the payment fee.'),
  notFound: () => krayonError('NOT_FOUND', 'Deposit not found.'),
  routeNotFound: () => krayonError('NOT_FOUND', 'The requested URL was not found on the server.'),
  tooManyRequests: () => krayonError('RATE_LIMITED', 'Too many requests. Please retry after some time.'),
  serviceUnavailable: () => krayonError('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable. Please retry.'),
  serverError: () => krayonError('INTERNAL_ERROR', 'Something went wrong on our side. Please try again shortly.'),
} as const;
