import {
  classifyHttpStatus,
  type HttpResponse,
  ProviderError,
  type ProviderErrorKind,
  parseJsonBody,
} from '../contract/index.ts';
import { errorResponseSchema } from './wire.ts';

/**
 * Krayon answers → ProviderError kinds. The shared status layer (429, 5xx) comes first; then the
 * error object, whose format the page does not show: `{error: {code, message, field}}` is assumed
 * (ASSUMPTIONS.md), and the sandbox answers exactly that. The worker decides retries from the kind.
 */

/** What was being done: a create may have taken effect, a read never does. */
export interface RequestContext {
  method: string;
  /** A request for one withdrawal by id: a 404 then means "no such withdrawal", not a wrong URL. */
  lookup: boolean;
}

export const KRAYON_ERROR_CODES = {
  validation: 'VALIDATION_ERROR',
  unauthorized: 'UNAUTHORIZED',
  notFound: 'NOT_FOUND',
  duplicateReference: 'DUPLICATE_REFERENCE_ID',
  insufficientBalance: 'INSUFFICIENT_BALANCE',
} as const;

/**
 * Krayon's `error.field` (a wire path) → our canonical field path. Fields we fill ourselves
 * (`reference_id`, `customer.reference_id`: our payout id; `type`) map to null: the client sent
 * nothing there. `description` may have come from our `narration`; it is reported as `description`.
 */
const FIELD_PATHS: Readonly<Record<string, string>> = {
  amount: 'amount',
  currency: 'currency',
  description: 'description',
  payment_method: 'method',
  'customer.country_code': 'beneficiary.country',
  'customer.email': 'beneficiary.email',
  'customer.first_name': 'beneficiary.first_name',
  'customer.last_name': 'beneficiary.last_name',
  'customer.phone': 'beneficiary.phone',
  'customer.account_number': 'beneficiary.account_number',
  'billing_address.country_code': 'beneficiary.address.country',
  'billing_address.address_line1': 'beneficiary.address.line1',
  'additional_parameters.bank_code': 'beneficiary.bank_code',
  'additional_parameters.bank_name': 'beneficiary.bank_name',
};

export function canonicalField(wireField: string | null | undefined): string | null {
  if (!wireField || !Object.hasOwn(FIELD_PATHS, wireField)) return null;
  return FIELD_PATHS[wireField] ?? null;
}

export function toProviderError(res: HttpResponse, ctx: RequestContext): ProviderError {
  const byStatus = classifyHttpStatus(res, ctx.method);
  if (byStatus) return byStatus;

  const parsed = errorResponseSchema.safeParse(parseJsonBody(res.body));
  const error = parsed.success ? parsed.data.error : null;
  const httpStatus = res.status;
  const providerCode = error?.code ?? `HTTP_${httpStatus}`;
  const message = error?.message || `Krayon answered ${httpStatus}`;
  const make = (kind: ProviderErrorKind, extra: { field?: string | null } = {}) =>
    new ProviderError(kind, message, { providerCode, httpStatus, ...extra });

  if (httpStatus === 401 || error?.code === KRAYON_ERROR_CODES.unauthorized) return make('auth');
  if (httpStatus === 404 && ctx.lookup) return make('not_found');
  if (httpStatus < 400) {
    // A redirect or other oddity (redirects are not followed): nothing says what happened.
    return make(ctx.method === 'GET' ? 'unavailable' : 'outcome_unknown');
  }
  // Our reference is our payout id, so "taken" means this payout exists there already: look it
  // up. Any 409 on a create is read the same way, code or not: failing a payout that may exist
  // could pay twice once replayed; a lookup settles it either way.
  if (error?.code === KRAYON_ERROR_CODES.duplicateReference || (httpStatus === 409 && ctx.method !== 'GET')) {
    return make('duplicate');
  }
  if (error?.code === KRAYON_ERROR_CODES.insufficientBalance) return make('insufficient_balance');
  return make('invalid_request', { field: canonicalField(error?.field) });
}

/**
 * A 2xx whose body we cannot read. Krayon answered, so on a create the withdrawal may well exist:
 * only a lookup can tell. A read changed nothing: try again later.
 */
export function unreadableResponse(res: HttpResponse, ctx: RequestContext, cause: unknown): ProviderError {
  return new ProviderError(
    ctx.method === 'GET' ? 'unavailable' : 'outcome_unknown',
    `Krayon answered ${res.status} with a body that does not match its documented shape`,
    { providerCode: 'UNEXPECTED_RESPONSE', httpStatus: res.status, cause },
  );
}
