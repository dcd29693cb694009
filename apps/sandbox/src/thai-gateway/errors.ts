import type { ThaiGatewayErrorCode } from './wire.ts';

/** The page's error format: `{success: false, error: {code, message, metadata: {field}}}`. */
export interface ThaiGatewayErrorBody {
  readonly success: false;
  readonly error: {
    readonly code: ThaiGatewayErrorCode;
    readonly message: string;
    readonly metadata: { readonly field?: string };
  };
}

export function thaiGatewayError(
  code: ThaiGatewayErrorCode,
  message: string,
  field?: string | null,
): ThaiGatewayErrorBody {
  return { success: false, error: { code, message, metadata: field ? { field } : {} } };
}

/** The answers the simulator gives, named once so tests and routes agree on every word. */
export const ThaiGatewayErrors = {
  invalidCredentials: (message: string) => thaiGatewayError('INVALID_CREDENTIALS', message),
  validation: (code: ThaiGatewayErrorCode, field: string | null, message: string) =>
    thaiGatewayError(code, message, field),
  insufficientBalance: () => thaiGatewayError('INSUFFICIENT_BALANCE', 'Merchant account has insufficient balance'),
  duplicateReference: () =>
    thaiGatewayError('DUPLICATE_REFERENCE_ID', 'Reference ID already exists for this merchant', 'referenceId'),
  notFound: () => thaiGatewayError('NOT_FOUND', 'Withdraw not found'),
  routeNotFound: () => thaiGatewayError('NOT_FOUND', 'The requested URL was not found'),
  tooManyRequests: () => thaiGatewayError('RATE_LIMITED', 'Too many requests, please retry later'),
  serviceUnavailable: () => thaiGatewayError('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable'),
  serverError: () => thaiGatewayError('INTERNAL_ERROR', 'An unexpected error occurred'),
} as const;
