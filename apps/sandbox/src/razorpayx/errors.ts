/**
 * RazorpayX's error object, used by every failing answer. Fields the docs leave to the server
 * ("NA") are filled the way RazorpayX fills them for auth and routing errors.
 */
export interface RazorpayXErrorBody {
  readonly error: {
    readonly code: string;
    readonly description: string;
    readonly source: string;
    readonly step: string;
    readonly reason: string;
    readonly metadata: Record<string, never>;
    readonly field: string | null;
  };
}

interface ErrorFields {
  code?: string;
  description: string;
  source?: string;
  step?: string;
  reason?: string;
  field?: string | null;
}

export function razorpayxError(fields: ErrorFields): RazorpayXErrorBody {
  return {
    error: {
      code: fields.code ?? 'BAD_REQUEST_ERROR',
      description: fields.description,
      source: fields.source ?? 'NA',
      step: fields.step ?? 'NA',
      reason: fields.reason ?? 'NA',
      metadata: {},
      field: fields.field ?? null,
    },
  };
}

export const IDEMPOTENCY_HEADER = 'X-Payout-Idempotency';

/** The answers the simulator gives, named once so tests and routes agree on every word. */
export const RazorpayXErrors = {
  invalidKey: () => razorpayxError({ description: 'The api key provided is invalid' }),
  validation: (field: string | null, description: string) =>
    razorpayxError({
      description,
      source: 'business',
      step: 'payout_initiation',
      reason: 'input_validation_failed',
      field,
    }),
  /** Contacts and fund accounts fail validation like payouts, with no payout step. */
  contactValidation: (field: string | null, description: string) =>
    razorpayxError({ description, source: 'business', reason: 'input_validation_failed', field }),
  idempotencyConflict: () =>
    razorpayxError({
      description: 'Different request body sent for the same Idempotency Header',
      source: 'business',
      step: 'payout_initiation',
      reason: 'idempotency_conflict',
      field: IDEMPOTENCY_HEADER,
    }),
  insufficientBalance: () =>
    razorpayxError({
      description: 'Your account does not have enough balance to carry out the payout operation.',
      source: 'business',
      step: 'payout_initiation',
      reason: 'insufficient_balance',
    }),
  notFound: () => razorpayxError({ description: 'The id provided does not exist', field: 'id' }),
  onlyQueuedCancellable: () =>
    razorpayxError({
      description: 'Only queued payouts can be cancelled',
      source: 'business',
      reason: 'invalid_state',
    }),
  routeNotFound: () => razorpayxError({ description: 'The requested URL was not found on the server.' }),
  tooManyRequests: () => razorpayxError({ description: 'Too many requests. Please retry after some time.' }),
  serviceUnavailable: () =>
    razorpayxError({ code: 'SERVER_ERROR', description: 'The service is temporarily unavailable. Please retry.' }),
  serverError: () =>
    razorpayxError({
      code: 'SERVER_ERROR',
      description: 'We are facing some trouble completing your request at the moment. Please try again shortly.',
    }),
} as const;
