/**
 * A small client for the admin API: the operator key as a bearer token, JSON in and out, and
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
}

export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors: { field: string; message: string }[];
  readonly requestId: string | undefined;

  constructor(status: number, body: ProblemBody | null, text: string) {
    const detail = body?.detail ?? body?.title ?? (text.trim() ? text.trim().slice(0, 500) : `HTTP ${status}`);
    super(detail);
    this.name = 'ApiProblem';
    this.status = status;
    this.code = body?.code ?? `http_${status}`;
    this.detail = detail;
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
    this.requestId = body?.request_id;
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
}

/** Operator calls wait for the reconciler (up to 10 s on the API's side); past this, give up. */
const TIMEOUT_MS = 60_000;

export class ApiClient {
  private readonly baseUrl: string;

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
    if (options.body !== undefined) headers['content-type'] = 'application/json';

    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      text = await res.text();
    } catch (error) {
      throw new ApiUnreachable(this.baseUrl, describeNetworkError(error));
    }

    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    if (res.status >= 400 && !options.accept?.includes(res.status)) {
      throw new ApiProblem(res.status, isObject(parsed) ? (parsed as ProblemBody) : null, text);
    }
    if (parsed === null && text) {
      throw new ApiProblem(502, { detail: `The API answered ${res.status} with a body that is not JSON.` }, text);
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `fetch failed` says little; its cause says what happened (ECONNREFUSED, ENOTFOUND, …). */
function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
    const cause = (error as Error & { cause?: unknown }).cause as { code?: string; message?: string } | undefined;
    if (cause?.message) return cause.message; // e.g. "connect ECONNREFUSED 127.0.0.1:9"
    if (cause?.code) return cause.code;
    return error.message;
  }
  return String(error);
}
