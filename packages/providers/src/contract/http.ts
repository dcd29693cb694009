import { parseRetryAfter } from '@payouts/core';
import got, { type Got, type Method, RequestError } from 'got';
import { ProviderError, unclearOutcome } from './errors.ts';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text: adapters parse it with their wire schemas. */
  body: string;
}

export interface HttpRequest {
  method: Method;
  url: string;
  headers?: Record<string, string>;
  /** Exact bytes to send (signatures are computed over them). */
  body?: string;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
}

/**
 * got with its own retries off (the engine retries, in one place) and every transport failure
 * classified by whether the request could have reached the provider:
 * refused or DNS/connect timeouts never left → `unavailable`; anything after the request was
 * sent (read timeout, reset) → `outcome_unknown`, which only a lookup can settle.
 */
export function createHttpClient(options: { timeoutMs: number; client?: Got }): HttpClient {
  const client =
    options.client ??
    got.extend({
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      timeout: { request: options.timeoutMs },
    });
  return {
    async request(req) {
      try {
        const res = await client(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          responseType: 'text',
        });
        return { status: res.statusCode, headers: res.headers, body: res.body };
      } catch (error) {
        throw classifyTransportError(error, req.method);
      }
    },
  };
}

const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function classifyTransportError(error: unknown, method: string): ProviderError {
  if (error instanceof RequestError) {
    const code = error.code ?? 'ERR_TRANSPORT';
    const timingsEvent = (error as RequestError & { event?: string }).event;
    const neverSent =
      NEVER_SENT.has(code) || (code === 'ETIMEDOUT' && (timingsEvent === 'lookup' || timingsEvent === 'connect'));
    // A GET changes nothing, so even a timeout on it is safe to retry as "unavailable".
    const kind = neverSent ? 'unavailable' : unclearOutcome(method);
    return new ProviderError(kind, `transport error ${code}: ${error.message}`, { providerCode: code, cause: error });
  }
  return new ProviderError('outcome_unknown', `transport error: ${String(error)}`, {
    providerCode: 'ERR_TRANSPORT',
    cause: error,
  });
}

// Shared with the outbound webhook deliverer (a receiver's Retry-After), so it lives in core.
export { parseRetryAfter };

/**
 * The status-code layer shared by every provider: 429 and 5xx mean the same everywhere. A 5xx on
 * a create may have been committed before the provider failed, so it is an unknown outcome.
 */
export function classifyHttpStatus(res: HttpResponse, method: string): ProviderError | null {
  if (res.status === 429) {
    return new ProviderError('rate_limited', 'rate limited by provider', {
      providerCode: 'HTTP_429',
      httpStatus: 429,
      retryAfterMs: parseRetryAfter(res.headers['retry-after']),
    });
  }
  if (res.status >= 500) {
    return new ProviderError(unclearOutcome(method), `provider answered ${res.status}`, {
      providerCode: `HTTP_${res.status}`,
      httpStatus: res.status,
    });
  }
  return null;
}

/**
 * One header's value, whatever the case of its name: Node lowercases incoming header names, but a
 * test, a proxy or another framework may not. A repeated header (an array) is ambiguous for
 * anything security-relevant, so it reads as absent.
 */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    if (typeof value === 'string') return value;
    return Array.isArray(value) && value.length === 1 ? value[0] : undefined;
  }
  return undefined;
}

/** JSON text to a value for a wire schema to parse; `undefined` when it is not JSON (never throws). */
export function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
