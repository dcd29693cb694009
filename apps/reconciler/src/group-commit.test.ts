import { describe, expect, test } from 'vitest';
import { GroupCommitter } from './group-commit.ts';

/** A committer whose batches are recorded and held open until `release()`; its linger is an hour. */
function held(maxConcurrent = 1) {
  const batches: number[][] = [];
  const gates: Array<() => void> = [];
  const committer = new GroupCommitter<number, number>(
    async (items) => {
      batches.push(items);
      await new Promise<void>((open) => gates.push(open));
      return items.map((i) => i * 10);
    },
    { maxBatch: 100, lingerMs: 3_600_000, maxConcurrent },
  );
  const release = () => {
    for (const open of gates.splice(0)) open();
  };
  return { committer, batches, release };
}

/** Lets the event loop run the committer's end-of-turn flush and the batches' promise chains. */
const turn = () => new Promise<void>((done) => setImmediate(done));

describe('GroupCommitter', () => {
  test('an item that finds no batch being applied starts one at once, with the items of the same turn: no linger', async () => {
    const { committer, batches, release } = held();
    const results = [committer.add(1), committer.add(2), committer.add(3)];
    await turn();
    expect(batches).toEqual([[1, 2, 3]]);
    release();
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
  });

  test('while a batch is being applied, the next gathers until it ends (or the linger), then leaves at once', async () => {
    const { committer, batches, release } = held(2);
    const first = committer.add(1);
    await turn();
    expect(batches).toEqual([[1]]);
    // A slot is free, but a batch is being applied: the next items wait for company (an hour here).
    const rest = [committer.add(2), committer.add(3)];
    await turn();
    await turn();
    expect(batches).toEqual([[1]]);
    // The first batch ends: what gathered leaves together, without waiting for the linger.
    release();
    expect(await first).toBe(10);
    await turn();
    expect(batches).toEqual([[1], [2, 3]]);
    release();
    expect(await Promise.all(rest)).toEqual([20, 30]);
    await committer.drain();
  });
});
