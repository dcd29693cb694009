import { expect, test } from 'vitest';
import { type AddressClass, classifyAddress, isPrivateAddress } from './addresses.ts';

test.each<[string, AddressClass]>([
  ['8.8.8.8', 'public'],
  ['172.32.0.1', 'public'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local'], // cloud metadata
  ['100.64.0.1', 'carrier-nat'],
  ['0.0.0.0', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['255.255.255.255', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['fd00::1', 'private'],
  ['fc00::1', 'private'],
  ['fec0::1', 'private'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['ff02::1', 'multicast'],
  ['2001:4860:4860::8888', 'public'],
  // IPv4-mapped, in both spellings (a URL's host is the hex one: [::ffff:a00:1]).
  ['::ffff:192.168.1.1', 'private'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:a00:1', 'private'],
  ['::ffff:8.8.8.8', 'public'],
  ['::ffff:808:808', 'public'],
  ['::ffff:0:127.0.0.1', 'loopback'],
  // IPv4-compatible (deprecated, still parsed): judged as the IPv4 address it carries.
  ['::127.0.0.1', 'loopback'],
  ['::7f00:1', 'loopback'],
  ['::10.0.0.1', 'private'],
  ['::169.254.169.254', 'link-local'],
  ['::8.8.8.8', 'public'],
  // NAT64 (64:ff9b::/96): a NAT64 gateway connects to the IPv4 address it carries.
  ['64:ff9b::10.0.0.1', 'private'],
  ['64:ff9b::a00:1', 'private'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['64:ff9b::169.254.169.254', 'link-local'],
  ['64:ff9b::8.8.8.8', 'public'],
  ['64:ff9b:1::8.8.8.8', 'private'], // local-use NAT64 (RFC 8215)
  // 6to4 carries an IPv4 address in bits 16–48.
  ['2002:a00:1::1', 'private'],
  ['2002:808:808::1', 'public'],
  ['not-an-address', 'invalid'],
  ['example.com', 'invalid'],
  ['', 'invalid'],
])('%s is %s', (address, expected) => {
  expect(classifyAddress(address)).toBe(expected);
  expect(isPrivateAddress(address)).toBe(expected !== 'public');
});
