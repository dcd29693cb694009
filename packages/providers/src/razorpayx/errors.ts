import {
  classifyHttpStatus,
  type HttpResponse,
  ProviderError,
  type ProviderErrorKind,
  parseJsonBody,
} from '../contract/index.ts';
import { errorResponseSchema } from './wire.ts';

/**
 * RazorpayX answers → ProviderError kinds. The shared status layer (429, 5xx) comes first; then
 * RazorpayX's own `error` object. Whether to retry is the worker's decision, made from the kind.
 */

/** What was being done: a create or cancel may have taken effect, a read never does. */
export interface RequestContext {
  method: string;
  /** A request for one payout by id: a 404 then means "no such payout", not a wrong URL. */
  lookup: boolean;
}

/**
 * RazorpayX's `error.field` (a wire name) → our canonical field path, so a refusal points at the
 * field the client sent. Fields that are not the payout's (our `account_number`) map to null.
 */
const FIELD_PATHS: Readonly<Record<string, string>> = {
  amount: 'amount',
  currency: 'currency',
  mode: 'method',
  purpose: 'purpose',
  narration: 'narration',
  reference_id: 'reference_id',
  notes: 'metadata',
  fund_account_id: 'beneficiary.provider_account_id',
  'fund_account.bank_account.ifsc': 'beneficiary.bank_code',
  'fund_account.bank_account.account_number': 'beneficiary.account_number',
  'fund_account.bank_account.name': 'beneficiary.name',
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
  const message = error?.description || `RazorpayX answered ${httpStatus}`;
  const make = (kind: ProviderErrorKind, extra: { providerCode?: string; field?: string | null } = {}) =>
    new ProviderError(kind, message, { providerCode, httpStatus, ...extra });

  if (httpStatus === 401) return make('auth');
  if (httpStatus === 404 && ctx.lookup) return make('not_found');
  if (httpStatus < 400) {
    // A redirect or other oddity (redirects are not followed): nothing says what happened.
    return make(ctx.method === 'GET' ? 'unavailable' : 'outcome_unknown');
  }
  if (error?.reason === 'insufficient_balance') return make('insufficient_balance');
  // Same X-Payout-Idempotency key with a different body: our bug or a replay with changed data;
  // the first payout stands, so this one must not be retried as is.
  if (error?.reason === 'idempotency_conflict') {
    return make('invalid_request', { providerCode: 'IDEMPOTENCY_CONFLICT' });
  }
  return make('invalid_request', { field: canonicalField(error?.field) });
}

/**
 * A 2xx whose body we cannot read. RazorpayX answered, so on a create (or cancel) the request may
 * well have taken effect: only a lookup can tell. A read changed nothing: try again later.
 */
export function unreadableResponse(res: HttpResponse, ctx: RequestContext, cause: unknown): ProviderError {
  return new ProviderError(
    ctx.method === 'GET' ? 'unavailable' : 'outcome_unknown',
    `RazorpayX answered ${res.status} with a body that does not match its documented shape`,
    { providerCode: 'UNEXPECTED_RESPONSE', httpStatus: res.status, cause },
  );
}
