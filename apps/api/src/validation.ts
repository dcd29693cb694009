import { storableText, unstorableText } from '@payouts/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { HttpProblem, problems, zodIssues } from './problem.ts';

const notJson = () =>
  new HttpProblem(415, 'unsupported_media_type', 'The request body must be JSON (Content-Type: application/json).', [
    { path: 'Content-Type', message: 'must be application/json' },
  ]);

export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  if (!req.is('application/json')) throw notJson();
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
  // Postgres cannot store U+0000 or a lone surrogate: a filter holding one is the client's mistake, not a 500.
  const bad = findUnstorable(req.query);
  if (bad) {
    throw new HttpProblem(400, 'invalid_query', 'The query string is not valid.', [
      { path: bad.path, message: bad.message },
    ]);
  }
  const result = schema.safeParse(req.query);
  if (!result.success) {
    throw new HttpProblem(400, 'invalid_query', 'The query string is not valid.', zodIssues(result.error));
  }
  return result.data;
}

/** Methods whose body a route may read; a body on any of them must be JSON (batches and provider webhooks read their own). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * `415` for a body that is not JSON, on every route that reads one. express.json leaves such a
 * body unparsed, and a route with optional fields would otherwise act on its defaults as if
 * nothing had been sent (an API key issued, a secret rotated, from a `text/plain` body).
 */
export const requireJsonBody: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
  if (BODY_METHODS.has(req.method) && hasBody(req) && !req.is('application/json')) throw notJson();
  next();
};

/** A body of at least one byte is announced (an empty body with a Content-Type is no body). */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * `400` for a parsed JSON body holding text Postgres cannot store (a lone surrogate, U+0000) in
 * any string or key, or a `__proto__` key (JSON.parse makes it an own property, but every object
 * copy — zod's included — drops it, so it would vanish instead of being refused as unknown).
 * One walk for every route, before any of them runs, naming the first offender by its path.
 */
export const refuseUnstorableBody: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
  assertStorable(req.body);
  next();
};

export function assertStorable(body: unknown): void {
  const bad = findUnstorable(body);
  if (!bad) return;
  if (bad.reserved) throw reservedKey(bad.path);
  throw new HttpProblem(400, 'invalid_text', `${bad.path}: ${bad.message}`, [{ path: bad.path, message: bad.message }]);
}

const RESERVED_KEY_MESSAGE = 'is a reserved name, not allowed as a key';

/** `400 reserved_key` naming the field (a JSON path, or a CSV column). */
export function reservedKey(path: string): HttpProblem {
  return new HttpProblem(400, 'reserved_key', `${path}: ${RESERVED_KEY_MESSAGE}`, [
    { path, message: RESERVED_KEY_MESSAGE },
  ]);
}

interface Unstorable {
  /** The request's own spelling: `beneficiary.name`, `items[3].metadata.note`. */
  path: string;
  message: string;
  reserved: boolean;
}

interface Node {
  value: unknown;
  parent: Node | null;
  /** The key or index under `parent`. */
  step: string | number | null;
}

/**
 * The first string (value or key, in document order) that cannot be stored, or null. Iterative,
 * so a deeply nested body cannot exhaust the stack; paths are built only for the one reported.
 */
export function findUnstorable(root: unknown): Unstorable | null {
  const stack: Node[] = [{ value: root, parent: null, step: null }];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const { value } = node;
    if (typeof value === 'string') {
      const message = unstorableText(value);
      if (message) return { path: pathOf(node), message, reserved: false };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent: node, step: i });
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      for (const key of keys) {
        if (key === '__proto__') {
          return {
            path: pathOf({ value: null, parent: node, step: key }),
            message: RESERVED_KEY_MESSAGE,
            reserved: true,
          };
        }
        const message = unstorableText(key);
        if (message) {
          return {
            path: pathOf({ value: null, parent: node, step: key }),
            message: `${message} (in the key itself)`,
            reserved: false,
          };
        }
      }
      for (const key of [...keys].reverse()) {
        stack.push({ value: (value as Record<string, unknown>)[key], parent: node, step: key });
      }
    }
  }
  return null;
}

/** `a.b[2].c`; a key is quoted back with what cannot be stored replaced by U+FFFD, an empty key as `""`. */
function pathOf(node: Node): string {
  const steps: (string | number)[] = [];
  for (let n: Node | null = node; n?.step !== null && n?.step !== undefined; n = n.parent) steps.push(n.step);
  let path = '';
  for (const step of steps.reverse()) {
    if (typeof step === 'number') path += `[${step}]`;
    else {
      const name = step === '' ? '""' : storableText(step);
      path += path === '' ? name : `.${name}`;
    }
  }
  return path || 'body';
}
