import { randomBytes, randomInt } from 'node:crypto';

/** A source of floats in [0, 1): `Math.random` by default, a seeded one in tests. */
export type Random = () => number;

/**
 * mulberry32: tiny and good enough to make fault injection and random outcomes repeatable.
 * Not for ids: two sandboxes started with the same seed would mint the same ids.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * True with probability `share`. Shares of 0 and 1 draw nothing, so a sandbox with no faults
 * configured does not consume the sequence of a seeded source.
 */
export function chance(random: Random, share: number): boolean {
  if (share <= 0) return false;
  if (share >= 1) return true;
  return random() < share;
}

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Provider-style ids (`pout_` + 14 alphanumerics). Drawn from the OS, not from the injectable
 * source: an engine keeps ids across sandbox restarts, and a repeated id would point a lookup at
 * someone else's payout.
 */
export function alphanumericId(prefix: string, length = 14): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 = 4 × 62: rejecting the top bytes keeps every character equally likely.
      if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62];
    }
  }
  return `${prefix}${out}`;
}

export function randomDigits(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String(randomInt(10));
  return out;
}
