import {
  classifyHttpStatus,
  type HttpResponse,
  ProviderError,
  type ProviderErrorKind,
  parseJsonBody,
} from '../contract/index.ts';
import { errorResponseSchema } from './wire.ts';

/**
 * DRUO answers → ProviderError kinds. The shared status layer (429, 5xx) comes first; then DRUO's
 * `error` object (format assumed, ASSUMPTIONS.md). Whether to retry is the worker's decision, made
 * from the kind.
 */

/** What was being done: a create may have taken effect, a read never does. */
export interface RequestContext {
  method: string;
  /** A request for one transaction by uuid: a 404 then means "no such payout", not a wrong URL. */
  lookup: boolean;
}

/**
 * DRUO's `error.field` (a wire name) → our canonical field path, so a refusal points at the field
 * the client sent. `secondary_reference` carries the client's `reference_id`; `primary_reference`
 * is our payout id and `tenant_id` a merchant setting, neither the client's, so they map to null.
 */
const FIELD_PATHS: Readonly<Record<string, string>> = {
  amount: 'amount',
  currency: 'currency',
  destination_account_id: 'beneficiary.provider_account_id',
  secondary_reference: 'reference_id',
  description: 'description',
  metadata: 'metadata',
};

const METADATA_KEY_FIELD = /^metadata\.[^.]+$/;

export function canonicalField(wireField: string | null | undefined): string | null {
  if (!wireField) return null;
  // A metadata key is the client's own word, already a canonical path (`metadata.order_id`).
  if (METADATA_KEY_FIELD.test(wireField)) return wireField;
  if (!Object.hasOwn(FIELD_PATHS, wireField)) return null;
  return FIELD_PATHS[wireField] ?? null;
}

/**
 * An error answer saying our balance cannot fund the payout. DRUO documents a DECLINED transaction
 * for this (handled in the adapter); an error answer with the same code means no transaction at
 * all, which is read the same way.
 */
const INSUFFICIENT_FUNDS_CODES: ReadonlySet<string> = new Set(['INSUFFICIENT_FUNDS', 'INSUFFICCIENT_FUNDS']);

export function toProviderError(res: HttpResponse, ctx: RequestContext): ProviderError {
  const byStatus = classifyHttpStatus(res, ctx.method);
  if (byStatus) return byStatus;

  const parsed = errorResponseSchema.safeParse(parseJsonBody(res.body));
  const error = parsed.success ? parsed.data.error : null;
  const httpStatus = res.status;
  const providerCode = error?.code ?? `HTTP_${httpStatus}`;
  const message = error?.message || `DRUO answered ${httpStatus}`;
  const make = (kind: ProviderErrorKind, extra: { field?: string | null } = {}) =>
    new ProviderError(kind, message, { providerCode, httpStatus, ...extra });

  // 401: a missing or wrong token, or a missing or unsupported DRUO-Version; 403: not allowed.
  if (httpStatus === 401 || httpStatus === 403) return make('auth');
  if (httpStatus === 404 && ctx.lookup) return make('not_found');
  if (httpStatus < 400) {
    // A redirect or other oddity (redirects are not followed): nothing says what happened.
    return make(ctx.method === 'GET' ? 'unavailable' : 'outcome_unknown');
  }
  if (error && INSUFFICIENT_FUNDS_CODES.has(error.code)) return make('insufficient_balance');
  return make('invalid_request', { field: canonicalField(error?.field) });
}

/**
 * A 2xx whose body we cannot read. DRUO answered, so on a create the transaction may well exist:
 * only a lookup can tell. A read changed nothing: try again later.
 */
export function unreadableResponse(res: HttpResponse, ctx: RequestContext, cause: unknown): ProviderError {
  return new ProviderError(
    ctx.method === 'GET' ? 'unavailable' : 'outcome_unknown',
    `DRUO answered ${res.status} with a body that does not match its documented shape`,
    { providerCode: 'UNEXPECTED_RESPONSE', httpStatus: res.status, cause },
  );
}
