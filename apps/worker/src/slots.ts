/**
 * At most `limit` tasks at a time; the others wait their turn, first come first served. A job that
 * carries many payouts runs each through its provider's slots, so one process never has more of
 * them in flight than the provider's concurrency allows, however many payouts its jobs carry.
 */
export class Slots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`slots: limit must be a positive integer, not ${limit}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter (the count stays), so no newcomer takes it first.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Tasks running now and waiting for a slot (no metric exports it yet; the tests read it). */
  get inUse(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
