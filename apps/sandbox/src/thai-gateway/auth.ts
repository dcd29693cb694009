import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ThaiGatewayErrors } from './errors.ts';
import type { ThaiGatewayCredentials } from './simulator.ts';

/**
 * The gateway's "HMAC Integration Authentication", checked on every request:
 * `X-API-Key`, `X-Timestamp` (ms since the epoch) and
 * `X-Signature: sha256=<hex HMAC-SHA256(secret, "${timestamp}.${rawBody}")>`. The HMAC is computed
 * over the raw bytes received, never over re-serialised JSON, and a GET signs an empty body. A
 * timestamp more than five minutes from the simulator's clock is refused (assumed replay window).
 */

export const REPLAY_WINDOW_MS = 5 * 60 * 1000;
const TIMESTAMP_PATTERN = /^\d{1,16}$/;

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The bytes express.raw captured; a request without a body signs as an empty one. */
export function rawBodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

export function expectedSignature(secret: string, timestamp: string, rawBody: Buffer): string {
  const message = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), rawBody]);
  return `sha256=${createHmac('sha256', secret).update(message).digest('hex')}`;
}

/** Mounted after express.raw, so the signature is checked before any JSON is parsed. */
export function hmacAuth(credentials: ThaiGatewayCredentials, now: () => number): RequestHandler {
  return (req, res, next) => {
    const refuse = (message: string) => {
      res.status(401).json(ThaiGatewayErrors.invalidCredentials(message));
    };
    const apiKey = req.get('x-api-key');
    const timestamp = req.get('x-timestamp');
    const signature = req.get('x-signature');
    if (!apiKey || !timestamp || !signature) return refuse('Missing authentication headers');
    if (!sameText(apiKey, credentials.apiKey)) return refuse('Invalid API key');
    if (!TIMESTAMP_PATTERN.test(timestamp) || Math.abs(now() - Number(timestamp)) > REPLAY_WINDOW_MS) {
      return refuse('Request timestamp is missing or outside the allowed window');
    }
    if (!sameText(signature, expectedSignature(credentials.apiSecret, timestamp, rawBodyOf(req)))) {
      return refuse('Invalid signature');
    }
    next();
  };
}
