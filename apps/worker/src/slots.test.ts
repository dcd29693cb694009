import { describe, expect, test } from 'vitest';
import { Slots } from './slots.ts';

/** A task that runs until it is let go. */
function held() {
  let release!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  return { task: () => done, release, fail };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('slots', () => {
  test('runs at most the limit at once; the others start in the order they came as slots free', async () => {
    const slots = new Slots(2);
    const started: number[] = [];
    const tasks = [0, 1, 2, 3].map(() => held());
    const runs = tasks.map((t, i) =>
      slots.run(async () => {
        started.push(i);
        await t.task();
        return i;
      }),
    );
    await turn();
    expect(started).toEqual([0, 1]);
    expect(slots.inUse).toEqual({ running: 2, waiting: 2 });

    tasks[1]?.release();
    await turn();
    expect(started).toEqual([0, 1, 2]);
    // A failing task frees its slot too, and its caller sees the error.
    tasks[0]?.fail(new Error('provider unavailable'));
    await expect(runs[0]).rejects.toThrow('provider unavailable');
    await turn();
    expect(started).toEqual([0, 1, 2, 3]);

    tasks[2]?.release();
    tasks[3]?.release();
    expect(await Promise.all(runs.slice(1))).toEqual([1, 2, 3]);
    expect(slots.inUse).toEqual({ running: 0, waiting: 0 });
  });

  test('a newcomer does not take a freed slot ahead of one already waiting', async () => {
    const slots = new Slots(1);
    const order: string[] = [];
    const first = held();
    const a = slots.run(async () => {
      order.push('first');
      await first.task();
    });
    const b = slots.run(async () => {
      order.push('waiting');
    });
    first.release();
    const c = slots.run(async () => {
      order.push('newcomer');
    });
    await Promise.all([a, b, c]);
    expect(order).toEqual(['first', 'waiting', 'newcomer']);
  });

  test('refuses a limit that is not a positive integer', () => {
    expect(() => new Slots(0)).toThrow('positive integer');
  });
});
