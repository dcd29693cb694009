import { constantTimeEqual, hmacSha256Hex } from '../contract/index.ts';

/**
 * The gateway's "HMAC Integration Authentication" (its page, example request):
 * `X-Signature: sha256=<hex HMAC-SHA256(apiSecret, "${timestamp}.${body}")>` with `X-Timestamp` in
 * milliseconds since the epoch and `X-API-Key`. The signature covers the exact bytes sent, so a
 * body is serialised once, signed, and sent as that same string.
 *
 * The signed message holds neither the method nor the path: a captured signature is valid for any
 * endpoint with the same body within the replay window. That is the gateway's scheme, not ours to
 * change; the window (below) is what limits a replay.
 */

const API_KEY_HEADER = 'X-API-Key';
export const TIMESTAMP_HEADER = 'X-Timestamp';
export const SIGNATURE_HEADER = 'X-Signature';
export const SIGNATURE_PREFIX = 'sha256=';

/** Assumed (ASSUMPTIONS.md): a signed message older or newer than five minutes is refused. */
export const REPLAY_WINDOW_MS = 5 * 60 * 1000;

/** Milliseconds since the epoch, as the gateway reads `X-Timestamp`: digits only. */
const TIMESTAMP_PATTERN = /^\d{1,16}$/;

/** The bytes that are signed: `${timestamp}.${body}`, the body as raw bytes when it is a Buffer. */
export function signingMessage(timestamp: string, body: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), typeof body === 'string' ? Buffer.from(body) : body]);
}

/** `sha256=<hex>`, the `X-Signature` value. A GET signs an empty body (`"${timestamp}."`). */
export function signature(secret: string, timestamp: string, body: string | Buffer): string {
  return `${SIGNATURE_PREFIX}${hmacSha256Hex(secret, signingMessage(timestamp, body))}`;
}

/** The three authentication headers for one request, `now` injected so tests can fix the clock. */
export function signedHeaders(options: {
  apiKey: string;
  apiSecret: string;
  now: () => number;
  body: string;
}): Record<string, string> {
  const timestamp = String(Math.floor(options.now()));
  return {
    [API_KEY_HEADER]: options.apiKey,
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: signature(options.apiSecret, timestamp, options.body),
  };
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Checks a signature made the gateway's way over `rawBody`, within the replay window around `now`.
 * The timestamp is checked first and the digest compared in constant time.
 */
export function verifySignature(options: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string | Buffer;
  now: number;
  windowMs?: number;
}): VerifyResult {
  const { timestamp, signature: given } = options;
  if (!timestamp || !TIMESTAMP_PATTERN.test(timestamp))
    return { ok: false, reason: `missing or malformed ${TIMESTAMP_HEADER}` };
  if (Math.abs(options.now - Number(timestamp)) > (options.windowMs ?? REPLAY_WINDOW_MS)) {
    return { ok: false, reason: `${TIMESTAMP_HEADER} is outside the replay window` };
  }
  if (!given) return { ok: false, reason: `missing ${SIGNATURE_HEADER}` };
  if (!constantTimeEqual(given, signature(options.secret, timestamp, options.rawBody))) {
    return { ok: false, reason: 'signature does not match' };
  }
  return { ok: true };
}
