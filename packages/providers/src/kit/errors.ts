import type { z } from 'zod';
import {
  classifyHttpStatus,
  type HttpResponse,
  ProviderError,
  type ProviderErrorKind,
  parseJsonBody,
  unclearOutcome,
} from '../contract/index.ts';

/** What was being done: a create or cancel may have taken effect, a read never does. */
export interface RequestContext {
  method: string;
  /** A request for one payout by id: a 404 then means "no such payout", not a wrong URL. */
  lookup: boolean;
}

/** A provider's error object, read into the few things every translation needs. */
export interface ErrorAnswer {
  readonly httpStatus: number;
  /** The provider's own code, when its answer has one. */
  readonly code: string | null;
  /** A finer reason some providers give beside the code (RazorpayX's `error.reason`). */
  readonly reason: string | null;
  readonly message: string | null;
  /** The wire field the provider blamed, in its own spelling. */
  readonly field: string | null;
}

/** What a rule decides: a kind, and optionally its own provider code or canonical field. */
export type ErrorVerdict =
  | ProviderErrorKind
  | { kind: ProviderErrorKind; providerCode?: string; field?: string | null };

/** One row of a provider's error table: the verdict for the answers it recognises, else null. */
export type ErrorRule = (answer: ErrorAnswer, ctx: RequestContext) => ErrorVerdict | null;

export interface ErrorTable {
  /** The provider's name as messages say it (`Krayon answered 400`). */
  readonly name: string;
  /** The error object out of a parsed JSON body; null when the body is not the provider's error shape. */
  readonly read: (body: unknown) => { [K in Exclude<keyof ErrorAnswer, 'httpStatus'>]?: string | null } | null;
  /** The provider's wire field → our canonical field path; fields the client never sent map to nothing. */
  readonly fields: Readonly<Record<string, string>>;
  /** A canonical path for wire fields a fixed table cannot list (a metadata key is the client's own word). */
  readonly otherField?: (wireField: string) => string | null;
  /** For a refusal that names no field: the field its code implies, when the code names one. */
  readonly fieldOfCode?: (code: string | null) => string | null;
  /** Checked before the shared 401/404/non-error rules: codes that override what the status says. */
  readonly first?: readonly ErrorRule[];
  /** Checked after them, in order; an answer no rule claims is an invalid request. */
  readonly rules?: readonly ErrorRule[];
}

export interface ErrorTranslator {
  /** A non-2xx answer (or a redirect) → the ProviderError the engine decides on. */
  toProviderError(res: HttpResponse, ctx: RequestContext): ProviderError;
  /** A 2xx whose body we cannot read: the provider answered, so a create may well have taken effect. */
  unreadableResponse(res: HttpResponse, ctx: RequestContext, cause: unknown): ProviderError;
  /** A wire field the provider blamed → our canonical field path, or null when the client sent nothing there. */
  canonicalField(wireField: string | null | undefined): string | null;
  /**
   * An answer's body through its wire schema, or the ProviderError the answer means: a non-2xx
   * status, or a 2xx whose body the schema refuses. Transport failures never get here: the
   * HttpClient has already classified them.
   */
  readAnswer<S extends z.ZodType>(res: HttpResponse, ctx: RequestContext, schema: S): z.infer<S>;
}

/**
 * Provider answers → ProviderError kinds, in three layers: the status layer every provider shares
 * (429, 5xx), then the provider's table, then the fallback. The shared rules, in order: 401 is
 * `auth`; a 404 on a lookup is `not_found`; a non-error status (a redirect, which is not followed)
 * says nothing about what happened; whatever no rule claims is the provider refusing the request.
 * Whether to retry is the worker's decision, made from the kind.
 */
export function createErrorTranslator(table: ErrorTable): ErrorTranslator {
  const canonicalField = (wireField: string | null | undefined): string | null => {
    if (!wireField) return null;
    const other = table.otherField?.(wireField);
    if (other) return other;
    if (!Object.hasOwn(table.fields, wireField)) return null;
    return table.fields[wireField] ?? null;
  };
  const fieldOf = (answer: ErrorAnswer) => canonicalField(answer.field) ?? table.fieldOfCode?.(answer.code) ?? null;

  const translator: ErrorTranslator = {
    canonicalField,
    readAnswer(res, ctx, schema) {
      if (res.status < 200 || res.status >= 300) throw translator.toProviderError(res, ctx);
      const parsed = schema.safeParse(parseJsonBody(res.body));
      if (!parsed.success) throw translator.unreadableResponse(res, ctx, parsed.error);
      return parsed.data;
    },
    toProviderError(res, ctx) {
      const byStatus = classifyHttpStatus(res, ctx.method);
      if (byStatus) return byStatus;

      const httpStatus = res.status;
      const read = table.read(parseJsonBody(res.body));
      const answer: ErrorAnswer = {
        httpStatus,
        code: read?.code ?? null,
        reason: read?.reason ?? null,
        message: read?.message ?? null,
        field: read?.field ?? null,
      };
      const message = answer.message || `${table.name} answered ${httpStatus}`;
      const make = (verdict: ErrorVerdict) => {
        const { kind, ...extra } = typeof verdict === 'string' ? { kind: verdict } : verdict;
        return new ProviderError(kind, message, {
          providerCode: answer.code ?? `HTTP_${httpStatus}`,
          httpStatus,
          ...extra,
        });
      };
      const firstMatch = (rules: readonly ErrorRule[] | undefined) => {
        for (const rule of rules ?? []) {
          const verdict = rule(answer, ctx);
          if (verdict) return verdict;
        }
        return null;
      };

      const first = firstMatch(table.first);
      if (first) return make(first);
      if (httpStatus === 401) return make('auth');
      if (httpStatus === 404 && ctx.lookup) return make('not_found');
      if (httpStatus < 400) return make(unclearOutcome(ctx.method));
      const ruled = firstMatch(table.rules);
      if (ruled) return make(ruled);
      return make({ kind: 'invalid_request', field: fieldOf(answer) });
    },
    unreadableResponse(res, ctx, cause) {
      return new ProviderError(
        unclearOutcome(ctx.method),
        `${table.name} answered ${res.status} with a body that does not match its documented shape`,
        { providerCode: 'UNEXPECTED_RESPONSE', httpStatus: res.status, cause },
      );
    },
  };
  return translator;
}
