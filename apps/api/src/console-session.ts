import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { HttpProblem } from './problem.ts';

/**
 * Console sessions (docs/security.md). The console (apps/console, served at `/console`) never holds
 * an API key: the person pastes one once, `POST /v1/console/session` exchanges it for a session,
 * and the browser carries only an HttpOnly, SameSite=Strict cookie naming that session. The key
 * itself is never stored, in the browser or here: the session keeps the key's SHA-256 (what the
 * api_keys table is indexed by), so every request made with the session is authenticated exactly
 * as the key would be — same principal, role, tenant and rate limit — and a revoked key ends every
 * session made from it on the next request.
 *
 * Sessions live in Redis with a TTL (no table, no migration): they are short-lived, disposable
 * (losing Redis logs everyone out, nothing else), and Redis expires them by itself. The id in the
 * cookie is 256 random bits; Redis holds only its SHA-256, so a copy of Redis's keys opens nothing.
 *
 * Writes made with a session must carry the session's CSRF token in `X-CSRF-Token` (returned when
 * the session is made and by `GET /v1/console/session`, kept in the page's memory only), and an
 * `Origin`, when the browser sends one, must be this host. SameSite=Strict already keeps the cookie
 * off cross-site requests; the token makes a write impossible for anything that cannot read our
 * own pages' answers.
 */
export const SESSION_COOKIE = 'payouts_console';
export const CSRF_HEADER = 'X-CSRF-Token';
/** Thirty minutes from login, not extended by use: short enough that a forgotten tab ends soon. */
export const DEFAULT_SESSION_TTL_SECONDS = 1800;

export interface ConsoleSession {
  /** SHA-256 of the API key the session was made from (the api_keys index), never the key. */
  keyHash: string;
  csrfToken: string;
  /** Unix milliseconds. */
  expiresAt: number;
}

interface SessionRedis {
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<unknown>;
}

const digest = (id: string) => createHash('sha256').update(id).digest('hex');

export class ConsoleSessions {
  constructor(
    private readonly redis: SessionRedis,
    private readonly prefix: string,
    readonly ttlSeconds: number = DEFAULT_SESSION_TTL_SECONDS,
  ) {}

  private keyOf(id: string): string {
    return `${this.prefix}:console-session:${digest(id)}`;
  }

  async create(keyHash: string): Promise<{ id: string; session: ConsoleSession }> {
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = {
      keyHash,
      csrfToken: randomBytes(32).toString('base64url'),
      expiresAt: Date.now() + this.ttlSeconds * 1000,
    };
    await this.redis.set(this.keyOf(id), JSON.stringify(session), 'PX', this.ttlSeconds * 1000);
    return { id, session };
  }

  async find(id: string): Promise<ConsoleSession | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const stored = await this.redis.get(this.keyOf(id));
    if (!stored) return null;
    const session = JSON.parse(stored) as ConsoleSession;
    // Redis expires it too; this guards a clock step or a copy restored without its TTL.
    return session.expiresAt > Date.now() ? session : null;
  }

  async end(id: string): Promise<void> {
    await this.redis.del(this.keyOf(id));
  }
}

/** The session id from the request's Cookie header, if it carries ours. */
export function sessionIdOf(req: Request): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * `Secure` whenever the request came over HTTPS (directly, or through a proxy express trusts):
 * a plain-HTTP local run still gets a working cookie.
 */
export function setSessionCookie(req: Request, res: Response, id: string, maxAgeSeconds: number): void {
  const attributes = [
    `${SESSION_COOKIE}=${id}`,
    // Only the API's routes need it: not the console's files, /docs or anything else on the host.
    'Path=/v1',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSeconds}`,
    ...(req.secure ? ['Secure'] : []),
  ];
  res.append('Set-Cookie', attributes.join('; '));
}

export function clearSessionCookie(req: Request, res: Response): void {
  setSessionCookie(req, res, '', 0);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * An `Origin`, when the browser sends one (on every cross-origin request, and on same-origin
 * writes), must be this host: a page elsewhere can neither write with a session nor sign someone
 * in to a session of its choosing.
 */
export function checkOrigin(req: Request): void {
  const origin = req.header('origin');
  if (origin === undefined) return;
  let host: string | null = null;
  try {
    host = new URL(origin).host;
  } catch {}
  if (host === null || host !== req.headers.host) {
    throw new HttpProblem(403, 'csrf_failed', 'A console request must come from the console itself (Origin).', [
      { path: 'Origin', message: 'is not this host' },
    ]);
  }
}

/**
 * A write made with a session: its `X-CSRF-Token` must be the session's, and its `Origin` (which
 * browsers send on every cross-origin request and on same-origin writes) must be this host.
 */
export function checkCsrf(req: Request, session: ConsoleSession): void {
  if (SAFE_METHODS.has(req.method)) return;
  checkOrigin(req);
  const given = Buffer.from(req.header(CSRF_HEADER) ?? '');
  const expected = Buffer.from(session.csrfToken);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HttpProblem(
      403,
      'csrf_failed',
      `A write made with a console session needs the session's ${CSRF_HEADER} header.`,
      [{ path: CSRF_HEADER, message: 'is missing or does not match the session' }],
    );
  }
}
