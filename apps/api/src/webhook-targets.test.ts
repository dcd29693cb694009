import { describe, expect, test } from 'vitest';
import { type LookupAll, privateTargetReason } from './webhook-targets.ts';

/** A resolver that knows a few names; any other name does not exist. */
const dns: LookupAll = async (host) => {
  const known: Record<string, string[]> = {
    'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'internal.example.com': ['10.0.0.7'],
    'mixed.example.com': ['93.184.215.14', '192.168.1.10'],
    'nat64.example.com': ['64:ff9b::a9fe:a9fe'],
    'mapped.example.com': ['::ffff:127.0.0.1'],
  };
  const found = known[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address }));
};

describe('registration refuses what delivery would refuse', () => {
  test.each([
    ['https://10.0.0.1/h', 'is a private address (10.0.0.1)'],
    ['https://169.254.169.254/latest/meta-data', 'is a link-local address (169.254.169.254)'],
    ['https://[::1]/h', 'is a loopback address (::1)'],
    ['https://[::127.0.0.1]/h', 'is a loopback address (::7f00:1)'],
    ['https://[::ffff:192.168.1.1]/h', 'is a private address (::ffff:c0a8:101)'],
    ['https://[64:ff9b::10.0.0.1]/h', 'is a private address (64:ff9b::a00:1)'],
    ['https://0x7f.1/h', 'is a loopback address (127.0.0.1)'],
    ['https://internal.example.com/h', 'resolves to a private address (internal.example.com → 10.0.0.7)'],
    // Delivery refuses a name if any of its addresses is private, so registration does too.
    ['https://mixed.example.com/h', 'resolves to a private address (mixed.example.com → 192.168.1.10)'],
    ['https://nat64.example.com/h', 'resolves to a link-local address (nat64.example.com → 64:ff9b::a9fe:a9fe)'],
    ['https://mapped.example.com/h', 'resolves to a loopback address (mapped.example.com → ::ffff:127.0.0.1)'],
  ])('%s %s', async (url, reason) => {
    expect(await privateTargetReason(url, { lookup: dns })).toBe(reason);
  });

  test.each([
    'https://8.8.8.8/h',
    'https://[64:ff9b::8.8.8.8]/h',
    'https://[2001:4860:4860::8888]/h',
    'https://hooks.example.com/h',
    // Not resolvable (yet): accepted; delivery checks again when it connects.
    'https://nowhere.invalid/h',
  ])('%s is accepted', async (url) => {
    expect(await privateTargetReason(url, { lookup: dns })).toBeNull();
  });

  test('a resolver that does not answer within the timeout does not hold registration', async () => {
    const silent: LookupAll = () => new Promise(() => {});
    expect(await privateTargetReason('https://slow.example.com/h', { lookup: silent, timeoutMs: 10 })).toBeNull();
  });

  test('the real resolver: localhost is loopback on every machine', async () => {
    expect(await privateTargetReason('http://localhost:8080/h')).toMatch(/^resolves to a loopback address/);
  });
});
