import http from 'node:http';
import https from 'node:https';
import { parseRetryAfter } from '@payouts/core';
import { ProviderError, unclearOutcome } from './errors.ts';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text: adapters parse it with their wire schemas. */
  body: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** Exact bytes to send (signatures are computed over them). */
  body?: string;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
}

/**
 * A transport failure, before any status was read: its `code` is Node's (ECONNREFUSED,
 * ECONNRESET, ...) or ETIMEDOUT for our own deadline; `connected` says whether a connection to
 * the provider was open when it happened, which is what decides whether the request could have
 * reached it.
 */
export class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly connected: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

const USER_AGENT = 'payout-engine';

/**
 * How long a kept-alive connection may sit idle before we close it, or a second before the
 * provider's own `Keep-Alive: timeout=N` when it announces a shorter one (Node's agent applies the
 * hint only when it has a timeout of its own). Without it an idle connection stays open until the
 * provider closes it, and a call that picks it up just then is cut: for a create, an unknown outcome
 * and a lookup for nothing. Node's default agent uses the same 5 s.
 */
const IDLE_CONNECTION_MS = 5_000;

/**
 * Node's own http/https client, with keep-alive connections, no redirects followed and no retries
 * (the engine retries, in one place), one deadline over the whole exchange, and every transport
 * failure classified by whether the request could have reached the provider: refused, DNS and a
 * deadline passing before a connection was open never left → `unavailable`; anything once a
 * connection was open (a reset, a deadline while waiting for the answer) → `outcome_unknown`,
 * which only a lookup can settle.
 *
 * Why not got or fetch: the worker spends its CPU on provider calls, and both cost several times
 * Node's own client per request (docs/benchmarks.md, "Provider calls"); nothing here needs their
 * features (no redirects, no retries, no decompression: we ask for none).
 */
export function createHttpClient(options: { timeoutMs: number }): HttpClient {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
    'https:': new https.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
  };
  return {
    async request(req) {
      try {
        return await exchange(req, options.timeoutMs, agents);
      } catch (error) {
        throw classifyTransportError(error, req.method);
      }
    },
  };
}

function exchange(
  req: HttpRequest,
  timeoutMs: number,
  agents: { 'http:': http.Agent; 'https:': https.Agent },
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const transport = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (!transport) {
      reject(new TransportError('ERR_INVALID_PROTOCOL', `unsupported protocol ${url.protocol}`, false));
      return;
    }
    const headers: Record<string, string | number> = { 'user-agent': USER_AGENT, ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    // Set once a connection to the provider is open: from then on the request may have reached it.
    let connected = false;
    let settled = false;
    const fail = (error: TransportError) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      request.destroy();
      reject(error);
    };
    const request = transport.request(
      url,
      { method: req.method, headers, agent: agents[url.protocol as 'http:' | 'https:'] },
      (res) => {
        res.setEncoding('utf8');
        let body = '';
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', (error) => fail(asTransportError(error, true)));
        res.on('aborted', () => fail(new TransportError('ECONNRESET', 'the answer was cut off', true)));
      },
    );
    request.on('socket', (socket) => {
      // A kept-alive socket is already open; a new one opens on 'connect'.
      if (socket.connecting) socket.once('connect', () => (connected = true));
      else connected = true;
    });
    request.on('error', (error) => fail(asTransportError(error, connected)));
    const deadline = setTimeout(
      () => fail(new TransportError('ETIMEDOUT', `no answer within ${timeoutMs} ms`, connected)),
      timeoutMs,
    );
    request.end(req.body);
  });
}

function asTransportError(error: Error, connected: boolean): TransportError {
  if (error instanceof TransportError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'ERR_TRANSPORT';
  return new TransportError(code, error.message, connected, { cause: error });
}

const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function classifyTransportError(error: unknown, method: string): ProviderError {
  if (error instanceof TransportError) {
    const neverSent = NEVER_SENT.has(error.code) || !error.connected;
    // A GET changes nothing, so even a timeout on it is safe to retry as "unavailable".
    const kind = neverSent ? 'unavailable' : unclearOutcome(method);
    return new ProviderError(kind, `transport error ${error.code}: ${error.message}`, {
      providerCode: error.code,
      cause: error,
    });
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
