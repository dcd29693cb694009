/**
 * A small client for the API: a key (the operator's, or a tenant's) as a bearer token, JSON in and
 * out (or a streamed upload or download), and
 * every failure turned into one of two typed errors the CLI maps to exit codes —
 * `ApiProblem` (the API answered with an error: problem+json, RFC 9457) and `ApiUnreachable`
 * (no answer at all: refused, reset, DNS, timeout).
 */
export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  instance?: string;
  request_id?: string;
  errors?: { field: string; message: string }[];
  /** RFC 9457 extension members, e.g. a batch's `row_errors`. */
  [extension: string]: unknown;
}

export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors: { field: string; message: string }[];
  readonly requestId: string | undefined;
  /** The problem as it came (extension members included), when it was JSON. */
  readonly body: ProblemBody | null;

  constructor(status: number, body: ProblemBody | null, text: string) {
    const detail = body?.detail ?? body?.title ?? (text.trim() ? text.trim().slice(0, 500) : `HTTP ${status}`);
    super(detail);
    this.name = 'ApiProblem';
    this.status = status;
    this.code = body?.code ?? `http_${status}`;
    this.detail = detail;
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
    this.requestId = body?.request_id;
    this.body = body;
  }

  /** 5xx: the API is there but could not do it (the CLI treats it like an unreachable API). */
  get serverSide(): boolean {
    return this.status >= 500;
  }
}

export class ApiUnreachable extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`could not reach the API at ${url}: ${reason}`);
    this.name = 'ApiUnreachable';
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Statuses ≥ 400 that are answers rather than errors (e.g. a failed ledger verification). */
  accept?: number[];
  /** Sent as the body instead of JSON, read as it is sent (e.g. a file stream), never held whole. */
  upload?: { body: AsyncIterable<Uint8Array>; contentType: string };
  /** How long to wait for the answer (default 60 s). */
  timeoutMs?: number;
  /** Aborts the call (e.g. Ctrl-C while waiting); it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Operator calls wait for the reconciler (up to 10 s on the API's side); past this, give up. */
const TIMEOUT_MS = 60_000;

export class ApiClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly key: string,
    private readonly fetchImpl: typeof fetch = globalThis.fetch,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, options);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
    let res: Response;
    let text: string;
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      res = await this.send(method, path, options, deadline);
      text = await res.text();
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw new ApiUnreachable(this.baseUrl, describeNetworkError(error, timeoutMs));
    }

    const parsed = parseJson(text);
    if (res.status >= 400 && !options.accept?.includes(res.status)) {
      throw new ApiProblem(res.status, isObject(parsed) ? (parsed as ProblemBody) : null, text);
    }
    if (parsed === null && text) {
      throw new ApiProblem(502, { detail: `The API answered ${res.status} with a body that is not JSON.` }, text);
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /**
   * A download, streamed: the response once its headers are in (within the timeout); its body is
   * the caller's to read, with no deadline. An error status still throws `ApiProblem`.
   */
  async download(path: string, options: RequestOptions = {}): Promise<Response> {
    const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
    const headersDue = new AbortController();
    const timer = setTimeout(
      () => headersDue.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
      timeoutMs,
    );
    let res: Response;
    try {
      res = await this.send(
        'GET',
        path,
        { ...options, headers: { accept: 'text/csv', ...options.headers } },
        headersDue.signal,
      );
    } catch (error) {
      throw new ApiUnreachable(this.baseUrl, describeNetworkError(error, timeoutMs));
    } finally {
      clearTimeout(timer);
    }
    if (res.status >= 400) {
      let text: string;
      try {
        text = await res.text();
      } catch (error) {
        throw new ApiUnreachable(this.baseUrl, describeNetworkError(error, timeoutMs));
      }
      const parsed = parseJson(text);
      throw new ApiProblem(res.status, isObject(parsed) ? (parsed as ProblemBody) : null, text);
    }
    return res;
  }

  private send(method: string, path: string, options: RequestOptions, deadline: AbortSignal): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.key}`,
      accept: 'application/json, application/problem+json',
      'user-agent': 'payouts-cli',
      ...options.headers,
    };
    let body: RequestInit['body'];
    if (options.upload) {
      headers['content-type'] = options.upload.contentType;
      // Node's fetch sends an async iterable as it is read: the file is never in memory whole.
      body = options.upload.body as unknown as RequestInit['body'];
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const init: RequestInit & { duplex?: 'half' } = {
      method,
      headers,
      body,
      signal: options.signal ? AbortSignal.any([deadline, options.signal]) : deadline,
    };
    // A streamed request body must say so (the request is sent before the response is read).
    if (options.upload) init.duplex = 'half';
    return this.fetchImpl(url, init);
  }
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `fetch failed` says little; its cause says what happened (ECONNREFUSED, ENOTFOUND, …). */
function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
    const cause = (error as Error & { cause?: unknown }).cause as { code?: string; message?: string } | undefined;
    if (cause?.message) return cause.message; // e.g. "connect ECONNREFUSED 127.0.0.1:9"
    if (cause?.code) return cause.code;
    return error.message;
  }
  return String(error);
}
