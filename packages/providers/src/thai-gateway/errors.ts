import {
  classifyHttpStatus,
  type HttpResponse,
  ProviderError,
  type ProviderErrorKind,
  parseJsonBody,
} from '../contract/index.ts';
import { errorResponseSchema } from './wire.ts';

/**
 * Thai gateway answers → ProviderError kinds. The shared status layer (429, 5xx) comes first; then
 * the gateway's own `error.code` (the page's table), with the HTTP status as a fallback where the
 * page gives none. Whether to retry is the worker's decision, made from the kind.
 */

/** What was being done: a create may have taken effect, a read never does. */
export interface RequestContext {
  method: string;
  /** A request for one withdraw by id: a 404 then means "no such withdraw", not a wrong URL. */
  lookup: boolean;
}

/**
 * The gateway's `error.metadata.field` (a wire name) → our canonical field path, so a refusal
 * points at the field the client sent. Unknown fields map to null.
 */
const FIELD_PATHS: Readonly<Record<string, string>> = {
  amount: 'amount',
  currency: 'currency',
  referenceId: 'reference_id',
  destinationType: 'method',
  customerBankAccountName: 'beneficiary.name',
  customerBankAccountNumber: 'beneficiary.account_number',
  customerBankCode: 'beneficiary.bank_code',
  description: 'description',
  metadata: 'metadata',
};

export function canonicalField(wireField: string | null | undefined): string | null {
  if (!wireField || !Object.hasOwn(FIELD_PATHS, wireField)) return null;
  return FIELD_PATHS[wireField] ?? null;
}

/** The codes that name their field themselves, for an answer that leaves `metadata.field` out. */
function fieldOfCode(code: string | null): string | null {
  if (code === 'INVALID_AMOUNT') return 'amount';
  if (code === 'INVALID_BANK_CODE') return 'beneficiary.bank_code';
  return null;
}

export function toProviderError(res: HttpResponse, ctx: RequestContext): ProviderError {
  const byStatus = classifyHttpStatus(res, ctx.method);
  if (byStatus) return byStatus;

  const parsed = errorResponseSchema.safeParse(parseJsonBody(res.body));
  const error = parsed.success ? parsed.data.error : null;
  const httpStatus = res.status;
  const code = error?.code ?? null;
  const providerCode = code ?? `HTTP_${httpStatus}`;
  const message = error?.message || `Thai gateway answered ${httpStatus}`;
  const make = (kind: ProviderErrorKind, extra: { field?: string | null } = {}) =>
    new ProviderError(kind, message, { providerCode, httpStatus, ...extra });

  if (code === 'INVALID_CREDENTIALS' || httpStatus === 401) return make('auth');
  if (code === 'NOT_FOUND' || httpStatus === 404) {
    // A 404 on a create or a list is a wrong URL (our configuration), not a missing withdraw.
    return ctx.lookup ? make('not_found') : make('invalid_request');
  }
  if (httpStatus < 400) {
    // A redirect or other oddity (redirects are not followed): nothing says what happened.
    return make(ctx.method === 'GET' ? 'unavailable' : 'outcome_unknown');
  }
  if (code === 'INSUFFICIENT_BALANCE') return make('insufficient_balance');
  // The reference is our payout id: on a retry this means "it exists already": look it up, don't fail it.
  if (code === 'DUPLICATE_REFERENCE_ID') return make('duplicate', { field: 'reference_id' });
  // VALIDATION_ERROR, INVALID_AMOUNT, INVALID_BANK_CODE and anything else the gateway refuses.
  const field = canonicalField(error?.metadata?.field) ?? fieldOfCode(code);
  return make('invalid_request', { field });
}

/**
 * A 2xx whose body we cannot read. The gateway answered, so on a create the request may well have
 * taken effect: only a lookup can tell. A read changed nothing: try again later.
 */
export function unreadableResponse(res: HttpResponse, ctx: RequestContext, cause: unknown): ProviderError {
  return new ProviderError(
    ctx.method === 'GET' ? 'unavailable' : 'outcome_unknown',
    `Thai gateway answered ${res.status} with a body that does not match its documented shape`,
    { providerCode: 'UNEXPECTED_RESPONSE', httpStatus: res.status, cause },
  );
}
