import type { Request } from 'express';
import { describe, expect, test } from 'vitest';
import { HttpProblem } from './problem.ts';
import { beginSignature, REPLAY_WINDOW_SECONDS, signRequest } from './request-signing.ts';

/*
 * The replay window's edge, on a fixed clock: the route tests can only stay well away from it,
 * since the server reads its own clock some time after the client signed.
 */
const SECRET = 'rss_unit';
const NOW = 1_800_000_000;

function signedAt(timestamp: number): Request {
  const headers: Record<string, string> = {
    'x-signature-timestamp': String(timestamp),
    'x-signature': signRequest(SECRET, { timestamp, method: 'GET', path: '/v1/balances' }),
  };
  return {
    method: 'GET',
    originalUrl: '/v1/balances',
    header: (name: string) => headers[name.toLowerCase()],
  } as unknown as Request;
}

function staleness(timestamp: number): string | null {
  try {
    beginSignature(signedAt(timestamp), SECRET, NOW).verify();
    return null;
  } catch (error) {
    if (error instanceof HttpProblem) return error.code;
    throw error;
  }
}

describe(`the ${REPLAY_WINDOW_SECONDS} s replay window`, () => {
  test.each([
    ['exactly the window in the past', NOW - REPLAY_WINDOW_SECONDS, null],
    ['exactly the window in the future', NOW + REPLAY_WINDOW_SECONDS, null],
    ['one second older than the window', NOW - REPLAY_WINDOW_SECONDS - 1, 'signature_timestamp_stale'],
    ['one second further ahead than the window', NOW + REPLAY_WINDOW_SECONDS + 1, 'signature_timestamp_stale'],
    ['the same second', NOW, null],
  ])('%s: %s', (_what, timestamp, code) => {
    expect(staleness(timestamp)).toBe(code);
  });
});
