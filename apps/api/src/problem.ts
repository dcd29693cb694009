import { AppError, type FieldIssue } from '@payouts/core';
import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';

/**
 * Every error is RFC 9457 `application/problem+json` with a stable `code` (also the last segment
 * of `type`) and, for bad input, `errors: [{field, message}]` naming each failing field.
 */
export const PROBLEM_BASE = 'https://docs.payout-engine.dev/problems/';

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
      return issue.keys.map((k) => ({ path: base ? `${base}.${k}` : k, message: 'is not a known field' }));
    }
    return [{ path: base || (root ?? 'body'), message: issue.message }];
  });
}

/** The last line of defence: a bug still answers problem+json, and is logged with its stack. */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (res.headersSent) return;
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
    sendProblem(res, 413, 'body_too_large', 'The request body is too large.', [
      { path: 'body', message: 'is too large' },
    ]);
    return;
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    sendProblem(res, e.status, 'bad_request', e.message ?? 'Bad request.', [
      { path: 'body', message: e.message ?? 'bad request' },
    ]);
    return;
  }
  req.log?.error({ err: error }, 'unhandled error');
  sendProblem(res, 500, 'internal_error', 'Something went wrong on our side; the request may be retried.');
};
