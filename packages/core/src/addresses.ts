import { isIP } from 'node:net';

/**
 * What kind of IP address a webhook target is. Tenants choose webhook URLs, so the engine must
 * not POST into its own network (metrics ports, Redis' neighbours, a cloud metadata service):
 * only `public` addresses are sent to, unless private targets are allowed (local development,
 * tests). Registration and delivery judge with this one classifier.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  /** RFC 1918, IPv6 unique-local and site-local, local-use NAT64. */
  | 'private'
  /** 169.254/16 (cloud metadata services live there), fe80::/10. */
  | 'link-local'
  /** 100.64/10: carrier-grade NAT, shared address space. */
  | 'carrier-nat'
  /** 0.0.0.0/8, `::`: "this host", which connects to the local machine. */
  | 'unspecified'
  | 'multicast'
  /** IETF protocol assignments, benchmarking, 240/4 and the broadcast address. */
  | 'reserved'
  /** Not an IP address at all. */
  | 'invalid';

const IPV4_RANGES: [string, number, AddressClass][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-nat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const IPV4_MASKS = IPV4_RANGES.map(([net, bits, kind]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const n = ipv4Number(net);
  if (n === null) throw new Error(`IPV4_RANGES holds an invalid network: ${net}`);
  return { base: (n & mask) >>> 0, mask, kind };
});

function ipv4Number(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

function classifyIPv4(n: number): AddressClass {
  for (const r of IPV4_MASKS) if ((n & r.mask) >>> 0 === r.base) return r.kind;
  return 'public';
}

/** An IPv6 address (as `isIP` accepts it: compressed, with a trailing dotted IPv4, a zone) → 16 bytes. */
function ipv6Bytes(address: string): Uint8Array | null {
  let text = address.replace(/%.*$/, '');
  const bytes = new Uint8Array(16);
  // A trailing dotted IPv4 fills the last 32 bits: ::ffff:10.0.0.1, 64:ff9b::8.8.8.8, ::127.0.0.1.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  const dottedV4 = dotted?.[1];
  if (dottedV4 !== undefined) {
    const v4 = ipv4Number(dottedV4);
    if (v4 === null) return null;
    tail = [v4 >>> 16, v4 & 0xffff];
    text = text.slice(0, -dottedV4.length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const words = (s: string) => (s === '' ? [] : s.split(':').map((w) => Number.parseInt(w, 16)));
  const front = words(head);
  const back = [...(rest === undefined ? [] : words(rest)), ...tail];
  const missing = 8 - front.length - back.length;
  if (missing < 0 || (rest === undefined && missing !== 0)) return null;
  const all = [...front, ...new Array<number>(missing).fill(0), ...back];
  for (const [i, w] of all.entries()) {
    if (!Number.isInteger(w) || w < 0 || w > 0xffff) return null;
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  }
  return bytes;
}

const zero = (bytes: Uint8Array, from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);
const v4At = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at);

function classifyIPv6(b: Uint8Array): AddressClass {
  if (zero(b, 0, 15)) return b[15] === 0 ? 'unspecified' : b[15] === 1 ? 'loopback' : classifyIPv4(v4At(b, 12));
  // An IPv6 address that carries an IPv4 address reaches that address, and is judged as it:
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:AABB:CCDD::).
  if (zero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyIPv4(v4At(b, 12));
  if (zero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && zero(b, 10, 12)) return classifyIPv4(v4At(b, 12)); // ::ffff:0:a.b.c.d
  if (zero(b, 0, 12)) return classifyIPv4(v4At(b, 12));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    if (zero(b, 4, 12)) return classifyIPv4(v4At(b, 12));
    // 64:ff9b:1::/48 is NAT64 for a local network (RFC 8215): its IPv4 addresses are its own.
    if (b[4] === 0x00 && b[5] === 0x01) return 'private';
  }
  if (b[0] === 0x20 && b[1] === 0x02) return classifyIPv4(v4At(b, 2));
  const [b0 = 0, b1 = 0] = b; // `b` always has 16 bytes: the defaults only satisfy the type checker
  if ((b0 & 0xfe) === 0xfc) return 'private'; // fc00::/7 unique local
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return 'link-local'; // fe80::/10
  if (b0 === 0xfe && (b1 & 0xc0) === 0xc0) return 'private'; // fec0::/10 site-local (deprecated)
  if (b[0] === 0xff) return 'multicast';
  return 'public';
}

export function classifyAddress(address: string): AddressClass {
  const family = isIP(address);
  if (family === 4) {
    const n = ipv4Number(address);
    return n === null ? 'invalid' : classifyIPv4(n);
  }
  if (family === 6) {
    const bytes = ipv6Bytes(address);
    return bytes ? classifyIPv6(bytes) : 'invalid';
  }
  return 'invalid';
}

/** Anything but a public address, an unparseable one included: refused rather than guessed. */
export function isPrivateAddress(address: string): boolean {
  return classifyAddress(address) !== 'public';
}
