import { parseRetryAfter } from '@payouts/core';
import { expect, test } from 'vitest';
import { isPrivateAddress, postWebhook, TargetRefused } from './transport.ts';

test.each([
  ['127.0.0.1', true],
  ['10.1.2.3', true],
  ['172.16.0.1', true],
  ['172.32.0.1', false],
  ['192.168.1.1', true],
  ['169.254.169.254', true], // cloud metadata
  ['100.64.0.1', true],
  ['0.0.0.0', true],
  ['8.8.8.8', false],
  ['::1', true],
  ['fd00::1', true],
  ['fe80::1', true],
  ['::ffff:10.0.0.1', true],
  ['::ffff:8.8.8.8', false],
  ['2001:4860:4860::8888', false],
  ['not-an-address', true],
])('%s is private: %s', (address, expected) => {
  expect(isPrivateAddress(address)).toBe(expected);
});

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
