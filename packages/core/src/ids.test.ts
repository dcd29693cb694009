import { describe, expect, test } from 'vitest';
import { IdGenerator, idTime, isId, newId } from './ids.ts';

describe('ids', () => {
  test('are prefixed and recognised by kind', () => {
    const id = newId('payout');
    expect(id).toMatch(/^po_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(isId(id, 'payout')).toBe(true);
    expect(isId(id, 'tenant')).toBe(false);
    expect(isId('po_short')).toBe(false);
    expect(isId('po_01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(true);
    expect(isId('po_01ARZ3NDEKTSV4RRFFQ69G5FAU')).toBe(false); // U is not Crockford base32
  });

  test('encode their creation time and sort by it', () => {
    let now = 1_700_000_000_000;
    const gen = new IdGenerator({ now: () => now, random: (n) => new Uint8Array(n).fill(7) });
    const a = gen.next('payout');
    now += 1;
    const b = gen.next('payout');
    expect(idTime(a)).toBe(1_700_000_000_000);
    expect(idTime(b)).toBe(1_700_000_000_001);
    expect(a < b).toBe(true);
  });

  test('stay ordered within one millisecond and when the clock steps back', () => {
    let now = 1_700_000_000_000;
    const gen = new IdGenerator({ now: () => now, random: (n) => new Uint8Array(n).fill(255 - 1) });
    const ids = [gen.next('payout'), gen.next('payout'), gen.next('payout')];
    now -= 5;
    ids.push(gen.next('payout'));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('are unique across many draws', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('payout')));
    expect(ids.size).toBe(10_000);
  });
});
