import { parseRetryAfter } from '@payouts/core';
import { expect, test } from 'vitest';
import { postWebhook, TargetRefused } from './transport.ts';

test('a host name that resolves to a private address is refused before any connection', async () => {
  // `localhost` resolves to loopback on every machine.
  const attempt = postWebhook('http://localhost:9/hook', {
    headers: {},
    body: '{}',
    timeoutMs: 2000,
    allowPrivate: false,
    maxBody: 10,
  });
  await expect(attempt).rejects.toBeInstanceOf(TargetRefused);
  await expect(attempt).rejects.toThrow(/resolves to private address/);
});

// The address table itself is core's (packages/core/src/addresses.test.ts).
test.each([
  'http://127.0.0.1:9/hook',
  'http://[::1]:9/hook',
  'http://[::ffff:10.0.0.1]:9/hook',
  'http://[::127.0.0.1]:9/hook',
  'http://[64:ff9b::169.254.169.254]:9/hook',
  'http://0x7f.1:9/hook',
])('a literal private address is refused before any connection: %s', async (url) => {
  await expect(
    postWebhook(url, { headers: {}, body: '{}', timeoutMs: 2000, allowPrivate: false, maxBody: 10 }),
  ).rejects.toThrow(/is private/);
});

test('only http and https are sent to', async () => {
  await expect(
    postWebhook('ftp://example.com/x', { headers: {}, body: '', timeoutMs: 100, allowPrivate: true, maxBody: 0 }),
  ).rejects.toBeInstanceOf(TargetRefused);
});

test('Retry-After in seconds or as an HTTP date', () => {
  const now = Date.parse('2026-11-21T10:00:00Z');
  const clock = () => now;
  expect(parseRetryAfter('120', clock)).toBe(120_000);
  expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:30 GMT', clock)).toBe(30_000);
  expect(parseRetryAfter('Sat, 21 Nov 2026 09:00:00 GMT', clock)).toBe(0);
  expect(parseRetryAfter('soon', clock)).toBeNull();
  expect(parseRetryAfter(undefined, clock)).toBeNull();
});
