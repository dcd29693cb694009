import type { Request } from 'express';
import type { z } from 'zod';
import { HttpProblem, problems, zodIssues } from './problem.ts';

export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  if (!req.is('application/json')) {
    throw new HttpProblem(
      415,
      'unsupported_media_type',
      'The request body must be JSON (Content-Type: application/json).',
      [{ path: 'Content-Type', message: 'must be application/json' }],
    );
  }
  if (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
    throw problems.invalid([{ path: 'body', message: 'must be a JSON object' }]);
  }
  const result = schema.safeParse(req.body);
  if (!result.success) throw problems.invalid(zodIssues(result.error));
  return result.data;
}

/** Bodiless POSTs (cancel) accept no body or `{}`; anything else is a mistake worth reporting. */
export function expectNoBody(req: Request): void {
  const body = req.body as unknown;
  if (body === undefined || (typeof body === 'object' && body !== null && Object.keys(body).length === 0)) return;
  throw problems.invalid([{ path: 'body', message: 'this request takes no body' }]);
}

export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  // Postgres text cannot hold U+0000: a filter holding one is the client's mistake, not a 500.
  for (const [key, value] of Object.entries(req.query as Record<string, unknown>)) {
    if (hasNul(value) || key.includes('\u0000')) {
      throw new HttpProblem(400, 'invalid_query', 'The query string is not valid.', [
        { path: key || '""', message: 'must not contain NUL (U+0000) characters' },
      ]);
    }
  }
  const result = schema.safeParse(req.query);
  if (!result.success) {
    throw new HttpProblem(400, 'invalid_query', 'The query string is not valid.', zodIssues(result.error));
  }
  return result.data;
}

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.values(value).some(hasNul);
  return false;
}
