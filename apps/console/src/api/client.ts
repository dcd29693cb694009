import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

/**
 * The console's one way to the API: openapi-fetch over the types generated from the API's own
 * OpenAPI document (schema.d.ts), so a request or an answer that drifts from the document is a
 * type error here. Requests carry the session cookie (same origin); writes add the session's CSRF
 * token, which lives in this module's memory only — never in storage, never in a URL.
 */
export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];

let csrfToken: string | null = null;
let onSessionEnded: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API answers 401: the session ended (expired, signed out elsewhere, key revoked). */
export function whenSessionEnds(handler: () => void): void {
  onSessionEnded = handler;
}

const session: Middleware = {
  onRequest({ request }) {
    if (csrfToken && request.method !== 'GET' && request.method !== 'HEAD') {
      request.headers.set('X-CSRF-Token', csrfToken);
    }
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/v1/console/session')) onSessionEnded();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(session);

/** A problem answer, kept whole so a page can show its per-field errors. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

/** The data of an answer, or an ApiError carrying its problem. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    if (result.response.ok && result.error === undefined) return undefined as T;
    throw new ApiError(result.response.status, (result.error ?? {}) as Partial<Problem>);
  }
  return result.data;
}
