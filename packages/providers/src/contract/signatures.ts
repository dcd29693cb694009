import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 over the exact bytes given: signatures are computed over raw bodies, never re-serialised JSON. */
export function hmacSha256Hex(secret: string, data: string | Buffer): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

/**
 * Constant-time string comparison for signatures. `timingSafeEqual` throws on buffers of different
 * lengths, so the length is checked first; the length of an expected hex digest is no secret.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
