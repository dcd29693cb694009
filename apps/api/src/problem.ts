import type { Duplex } from 'node:stream';
import { AppError, type FieldIssue } from '@payouts/core';
import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';

/**
 * Every error is RFC 9457 `application/problem+json` with a stable `code` (also the last segment
 * of `type`) and, for bad input, `errors: [{field, message}]` naming each failing field.
 */
export const PROBLEM_BASE = 'https://docs.payout-engine.dev/problems/';

/** Largest JSON body on every route but batches; larger is `413 body_too_large`. */
export const JSON_BODY_LIMIT = '1mb';
/** Largest batch upload, JSON or CSV (a 100,000-row run is about 25 MB of JSON). */
export const BATCH_BODY_LIMIT_BYTES = 128 * 1024 * 1024;

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  request_id?: string;
  errors?: { field: string; message: string }[];
  retry_after?: number;
}

export class HttpProblem extends AppError {
  constructor(
    status: number,
    code: string,
    detail: string,
    issues: FieldIssue[] = [],
    /** RFC 9457 extension members, e.g. a batch's `row_errors`. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(code, detail, { status, issues });
    this.name = 'HttpProblem';
  }
}

export const problems = {
  notFound: (what: string) => new HttpProblem(404, 'not_found', `${what} was not found.`),
  unauthorized: (detail = 'A valid API key is required: Authorization: Bearer <key>.') =>
    new HttpProblem(401, 'unauthorized', detail, [{ path: 'Authorization', message: detail }]),
  forbidden: (detail: string) => new HttpProblem(403, 'forbidden', detail),
  /** A tenant key whose role may not use the route (apps/api/src/roles.ts). */
  roleForbidden: (detail: string) => new HttpProblem(403, 'role_forbidden', detail),
  badRequest: (code: string, detail: string, field: string) =>
    new HttpProblem(400, code, detail, [{ path: field, message: detail }]),
  invalid: (issues: FieldIssue[]) =>
    new HttpProblem(422, 'validation_failed', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues),
  conflict: (code: string, detail: string, field?: string) =>
    new HttpProblem(409, code, detail, field ? [{ path: field, message: detail }] : []),
  unavailable: (detail: string) => new HttpProblem(503, 'service_unavailable', detail),
};

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

export function sendProblem(
  res: Response,
  status: number,
  code: string,
  detail: string,
  issues: FieldIssue[] = [],
  extensions: Record<string, unknown> = {},
): void {
  const body: Problem & Record<string, unknown> = {
    ...extensions,
    type: `${PROBLEM_BASE}${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    instance: res.req.originalUrl,
    request_id: res.req.id as string | undefined,
  };
  if (issues.length > 0) body.errors = issues.map((i) => ({ field: i.path, message: i.message }));
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

/** Zod issues → our field issues, with paths in the request's own spelling (`beneficiary.name`). */
export function zodIssues(error: z.ZodError, root?: string): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const base = [root, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      // An empty key still needs a visible name: `""`.
      return issue.keys.map((k) => {
        const name = k === '' ? '""' : k;
        return { path: base ? `${base}.${name}` : name, message: 'is not a known field' };
      });
    }
    return [{ path: base || (root ?? 'body'), message: issue.message }];
  });
}

/** The last line of defence: a bug still answers problem+json, and is logged with its stack. */
export const errorHandler: ErrorRequestHandler = (thrown, req, res, _next) => {
  if (res.headersSent) return;
  // A problem raised inside body-parser's `verify` hook arrives wrapped (request signing).
  const error =
    (thrown as { cause?: unknown })?.cause instanceof AppError ? (thrown as { cause: AppError }).cause : thrown;
  if (error instanceof AppError) {
    sendProblem(
      res,
      error.status,
      error.code,
      error.message,
      error.issues,
      error instanceof HttpProblem ? error.extensions : {},
    );
    return;
  }
  // body-parser's own errors are the client's: malformed JSON, too large, wrong charset.
  const e = error as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.parse.failed') {
    sendProblem(res, 400, 'malformed_json', 'The request body is not valid JSON.', [
      { path: 'body', message: 'is not valid JSON' },
    ]);
    return;
  }
  if (e.type === 'entity.too.large') {
    const limit =
      typeof (e as { limit?: unknown }).limit === 'number' ? ` (at most ${(e as { limit: number }).limit} bytes)` : '';
    sendProblem(res, 413, 'body_too_large', `The request body is too large${limit}.`, [
      { path: 'body', message: `is too large${limit}` },
    ]);
    return;
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    sendProblem(res, e.status, 'bad_request', e.message ?? 'Bad request.', [
      { path: 'body', message: e.message ?? 'bad request' },
    ]);
    return;
  }
  if (isDependencyDown(error)) {
    // Postgres (or Redis where a route needs it) is unreachable: nothing was written that the
    // caller must know of, and the same request, retried, will succeed once it is back.
    req.log?.warn({ err: error }, 'dependency unavailable');
    res.setHeader('Retry-After', '5');
    sendProblem(
      res,
      503,
      'service_unavailable',
      'The service cannot reach its database or queue right now; retry the same request (with the same Idempotency-Key) shortly.',
    );
    return;
  }
  req.log?.error({ err: error }, 'unhandled error');
  sendProblem(res, 500, 'internal_error', 'Something went wrong on our side; the request may be retried.');
};

/** `clientError` handler of the HTTP server: what Node's parser refused, as problem+json, then close. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({
    type: `${PROBLEM_BASE}${tooLarge ? 'headers_too_large' : 'malformed_request'}`,
    title: tooLarge ? 'Request header fields too large' : 'Bad request',
    status,
    code: tooLarge ? 'headers_too_large' : 'malformed_request',
    detail: tooLarge
      ? 'The request line and headers are over 16 KB: shorten the query string or the headers.'
      : 'The HTTP request could not be parsed.',
    errors: [{ field: tooLarge ? 'headers' : 'request', message: tooLarge ? 'are too large' : 'is malformed' }],
  });
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Socket-level failures, and Postgres' connection and availability classes. */
const DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  // postgres-js
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // Postgres: admin shutdown, crash shutdown, cannot connect now, too many connections
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/**
 * Whether an error (or anything in its `cause` chain: drizzle wraps driver errors) says a
 * dependency is unreachable rather than that the request or our code is wrong.
 */
export function isDependencyDown(error: unknown): boolean {
  for (
    let e = error, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && (DOWN_CODES.has(code) || code.startsWith('08'))) return true;
    if (name === 'MaxRetriesPerRequestError') return true;
    if (typeof message === 'string' && /^(Connection is closed|Stream isn't writeable)/.test(message)) return true;
  }
  return false;
}
