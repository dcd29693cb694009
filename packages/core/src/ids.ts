import { randomBytes } from 'node:crypto';

/**
 * Prefixed, time-sortable ids: `po_01JD3...` — a prefix that says what the id names, then a
 * ULID (48-bit millisecond time + 80 random bits, Crockford base32). Lexical order is creation
 * order, which keeps b-tree inserts at the right edge and makes cursors simple.
 * Within one millisecond the random part is incremented, so ids from one process stay ordered.
 */
export const ID_PREFIXES = {
  payout: 'po',
  tenant: 'ten',
  apiKey: 'key',
  payoutEvent: 'pev',
  ledgerTransaction: 'ltx',
  ledgerAccount: 'lac',
  funding: 'fnd',
  batch: 'bat',
  operatorAction: 'opa',
  replayRequest: 'rpl',
  webhookEndpoint: 'we',
  webhookEvent: 'msg',
  webhookDelivery: 'whd',
  reconciliation: 'rcn',
  reconciliationItem: 'rci',
  beneficiary: 'ben',
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export interface IdSource {
  now(): number;
  random(bytes: number): Uint8Array;
}

const systemSource: IdSource = { now: () => Date.now(), random: (n) => randomBytes(n) };

export class IdGenerator {
  private lastTime = -1;
  private lastRandom: Uint8Array = new Uint8Array(10);

  constructor(private readonly source: IdSource = systemSource) {}

  ulid(): string {
    let time = this.source.now();
    if (time <= this.lastTime) {
      time = this.lastTime;
      this.lastRandom = increment(this.lastRandom);
    } else {
      this.lastTime = time;
      this.lastRandom = this.source.random(10);
    }
    return encodeTime(time) + encodeRandom(this.lastRandom);
  }

  next(kind: IdKind): string {
    return `${ID_PREFIXES[kind]}_${this.ulid()}`;
  }
}

/**
 * The least id of `kind` minted at `time` (ms since the epoch) or later: every id minted earlier
 * sorts below it, every id minted then or later at or above. A bound for range scans by id.
 */
export function idAtTime(kind: IdKind, time: number): string {
  return `${ID_PREFIXES[kind]}_${encodeTime(Math.max(0, Math.min(time, 2 ** 48 - 1)))}`;
}

function encodeTime(time: number): string {
  let out = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 base32 characters.
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < 16; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] === 255) {
      next[i] = 0;
    } else {
      next[i] = (next[i] ?? 0) + 1;
      return next;
    }
  }
  throw new RangeError('ulid random part overflowed within one millisecond');
}

const defaultGenerator = new IdGenerator();

export function newId(kind: IdKind): string {
  return defaultGenerator.next(kind);
}

const ID_PATTERN = /^[a-z]{2,4}_[0-9A-HJKMNP-TV-Z]{26}$/;

export function isId(value: string, kind?: IdKind): boolean {
  if (!ID_PATTERN.test(value)) return false;
  return kind === undefined || value.startsWith(`${ID_PREFIXES[kind]}_`);
}

/** The millisecond timestamp encoded in an id. */
export function idTime(id: string): number {
  const ulid = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  let t = 0;
  for (const ch of ulid) t = t * 32 + ALPHABET.indexOf(ch);
  return t;
}
