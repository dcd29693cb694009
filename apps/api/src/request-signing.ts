import { createHmac, type Hmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { must } from '@payouts/core';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { HttpProblem } from './problem.ts';

/**
 * Request signing, for tenants that turn it on (docs/security.md), in the shape of the Thai
 * gateway's: `X-Signature-Timestamp: <unix seconds>` and `X-Signature: v1=<hex>`, where hex is
 * HMAC-SHA256 with the tenant's secret over
 *
 *     `${timestamp}.${METHOD}.${pathWithQuery}.${rawBody}`
 *
 * The method and the path (with its query, exactly as sent) are signed as well as the body, so a
 * captured signature cannot be replayed against another route or another page of a list; the
 * timestamp bounds any replay to `REPLAY_WINDOW_SECONDS` (and creates are under Idempotency-Key
 * besides). A stolen API key alone is then useless.
 */
export const REPLAY_WINDOW_SECONDS = 300;
export const SIGNATURE_HEADER = 'X-Signature';
export const TIMESTAMP_HEADER = 'X-Signature-Timestamp';

/** `rss_` + 64 hex characters (256 bits): shown once, when signing is enabled. */
export function generateSigningSecret(): string {
  return `rss_${randomBytes(32).toString('hex')}`;
}

/** The signature a client sends, for tests and for the docs' example. */
export function signRequest(
  secret: string,
  request: { timestamp: number; method: string; path: string; body?: string | Buffer },
): string {
  const hmac = createHmac('sha256', secret).update(
    `${request.timestamp}.${request.method.toUpperCase()}.${request.path}.`,
  );
  if (request.body !== undefined) hmac.update(request.body);
  return `v1=${hmac.digest('hex')}`;
}

const signatureProblem = (code: string, detail: string, field: string) =>
  new HttpProblem(401, code, detail, [{ path: field, message: detail }]);

/**
 * A signed request whose body is still to be read: the HMAC is fed the bytes as they arrive
 * (JSON through body-parser's `verify` hook, a CSV batch while it streams) and checked once at the end.
 */
export class PendingSignature {
  private readonly hmac: Hmac;
  verified = false;

  constructor(
    secret: string,
    private readonly given: Buffer[],
    timestamp: string,
    method: string,
    pathWithQuery: string,
  ) {
    this.hmac = createHmac('sha256', secret).update(`${timestamp}.${method.toUpperCase()}.${pathWithQuery}.`);
  }

  update(chunk: Buffer | string): void {
    this.hmac.update(chunk);
  }

  /** Throws `signature_invalid` unless one of the given `v1=` signatures matches, in constant time. */
  verify(rest?: Buffer): void {
    if (this.verified) {
      // Verified as bodiless; bytes arriving after that were never signed.
      if (rest && rest.length > 0) throw signatureProblem('signature_invalid', 'Unexpected body.', SIGNATURE_HEADER);
      return;
    }
    if (rest) this.hmac.update(rest);
    const expected = this.hmac.digest();
    const ok = this.given.some((g) => g.length === expected.length && timingSafeEqual(g, expected));
    if (!ok) {
      throw signatureProblem(
        'signature_invalid',
        `The ${SIGNATURE_HEADER} does not match: sign "<timestamp>.<METHOD>.<path?query>.<raw body>" with HMAC-SHA256 and the tenant's signing secret.`,
        SIGNATURE_HEADER,
      );
    }
    this.verified = true;
  }
}

/** Reads the signing headers; throws the problem a client needs to fix its signing. */
export function beginSignature(req: Request, secret: string, nowSeconds: number): PendingSignature {
  const timestamp = req.header(TIMESTAMP_HEADER);
  const signature = req.header(SIGNATURE_HEADER);
  if (!timestamp || !signature) {
    const missing = !timestamp ? TIMESTAMP_HEADER : SIGNATURE_HEADER;
    throw signatureProblem(
      'signature_missing',
      `This tenant signs its requests: ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER} are required (${missing} is missing).`,
      missing,
    );
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw signatureProblem(
      'signature_invalid',
      `${TIMESTAMP_HEADER} must be the time of signing in Unix seconds.`,
      TIMESTAMP_HEADER,
    );
  }
  if (Math.abs(nowSeconds - Number(timestamp)) > REPLAY_WINDOW_SECONDS) {
    throw signatureProblem(
      'signature_timestamp_stale',
      `${TIMESTAMP_HEADER} is more than ${REPLAY_WINDOW_SECONDS} s from our clock: sign each request when it is sent (and check the clock).`,
      TIMESTAMP_HEADER,
    );
  }
  const given = signature
    .split(',')
    .map((s) => s.trim())
    .flatMap((s) => (/^v1=[0-9a-f]{64}$/i.test(s) ? [Buffer.from(s.slice(3), 'hex')] : []));
  if (given.length === 0) {
    throw signatureProblem(
      'signature_invalid',
      `${SIGNATURE_HEADER} must be "v1=" and 64 hex characters (HMAC-SHA256).`,
      SIGNATURE_HEADER,
    );
  }
  return new PendingSignature(secret, given, timestamp, req.method, req.originalUrl);
}

/** body-parser's `verify` hook: the raw bytes of a JSON body, checked before they are parsed. */
export function verifySignedBody(req: Request, _res: Response, raw: Buffer): void {
  try {
    req.signature?.verify(raw);
  } catch (problem) {
    // body-parser rewrites `status` on what the hook throws (ours is read-only): hand it the
    // problem as the cause, which the error handler answers with.
    throw Object.assign(new Error('request signature', { cause: problem }), { status: 401 });
  }
}

/**
 * Records a signature as used; resolves false when it was used before. Kept for twice the window,
 * so a signature is remembered for as long as its timestamp could be accepted.
 */
export type SeenSignatures = (tenantId: string, signature: string) => Promise<boolean>;

export function redisSeenSignatures(
  redis: { set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<unknown> },
  prefix: string,
  log: (error: unknown) => void,
): SeenSignatures {
  return async (tenantId, signature) => {
    try {
      const first = await redis.set(
        `${prefix}:signature:${tenantId}:${signature}`,
        '1',
        'PX',
        2 * REPLAY_WINDOW_SECONDS * 1000,
        'NX',
      );
      return first === 'OK';
    } catch (error) {
      // Redis down: the timestamp window still bounds a replay, and creates still need an unused
      // Idempotency-Key to write anything; refusing every signed write would be an outage.
      log(error);
      return true;
    }
  };
}

/** Whether this request's body is streamed by its route, which then verifies the signature itself. */
export type StreamedBody = (req: Request) => boolean;

/**
 * Right after authentication: a request with a signing tenant's key must carry fresh signing
 * headers. A request without a body is verified here; the JSON body of a write is verified by the
 * JSON parser's `verify` hook before it is parsed; a streamed body (a CSV batch) by its route while it streams,
 * before anything is written; any other body is read here (up to 1 MB) and verified.
 * `requireVerifiedSignature` after the parsers refuses anything still unverified.
 */
export function requestSigning(
  options: { now?: () => number; streamed?: StreamedBody; seen?: SeenSignatures } = {},
): RequestHandler {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const readOther = express.raw({ type: () => true, limit: '1mb' });
  return async (req: Request, res: Response, next: NextFunction) => {
    const principal = req.principal;
    const secret = principal?.signingSecret;
    if (!principal || !secret) return next();
    let pending: PendingSignature;
    try {
      pending = beginSignature(req, secret, now());
      // A write's signature is good once: a captured request sent again inside the window is
      // refused. Reads are left alone (repeating one changes nothing, and two identical reads in
      // the same second are normal).
      const write = req.method !== 'GET' && req.method !== 'HEAD';
      if (
        write &&
        options.seen &&
        !(await options.seen(
          principal.tenantId ?? '',
          must(req.header(SIGNATURE_HEADER), `the ${SIGNATURE_HEADER} header beginSignature required`),
        ))
      ) {
        throw signatureProblem(
          'signature_replayed',
          `This ${SIGNATURE_HEADER} was already used: sign every request afresh, retries included (the Idempotency-Key makes a retry safe).`,
          SIGNATURE_HEADER,
        );
      }
    } catch (error) {
      return next(error);
    }
    req.signature = pending;
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody) {
      try {
        pending.verify();
      } catch (error) {
        return next(error);
      }
      return next();
    }
    // JSON bodies of writes are verified by the JSON parsers; a GET's body (which no route reads)
    // is read here like any other.
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    if ((write && req.is('application/json')) || options.streamed?.(req)) return next();
    const before = req.body as unknown;
    readOther(req, res, (error?: unknown) => {
      if (error) return next(error);
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      req.body = before;
      try {
        pending.verify(raw);
      } catch (e) {
        return next(e);
      }
      next();
    });
  };
}

/** After the JSON parsers: a signed request whose body nobody verified goes no further. */
export const requireVerifiedSignature: RequestHandler = (req, _res, next) => {
  if (req.signature && !req.signature.verified) {
    return next(
      signatureProblem(
        'signature_invalid',
        'The request body could not be verified against its signature.',
        SIGNATURE_HEADER,
      ),
    );
  }
  next();
};
