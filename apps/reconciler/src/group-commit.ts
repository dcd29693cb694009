/**
 * Group commit: callers add items one at a time and get a promise each; items are applied in
 * batches (one database transaction for many), flushed when the batch is full or after a short
 * linger. If a batch fails, its items are retried one by one so a single poison item fails alone
 * instead of taking its neighbours down with it.
 *
 * An item that finds no batch being applied does not linger: there is no one to wait for, and its
 * batch starts at the end of the current turn of the event loop, with whatever arrived in that
 * turn (a reports job's reports, a batch run's slice). Only while a batch is being applied does the
 * first item of the next one wait up to `lingerMs` for company (or until a batch ends, which
 * flushes at once): under load that wait keeps the batches full, each transaction's fixed cost
 * paid once for many.
 */
export interface GroupCommitOptions {
  maxBatch: number;
  /** How long the first item of a batch waits for company while another batch is being applied (0: this turn of the event loop). */
  lingerMs: number;
  /** Batches applied at the same time (each in its own transaction). */
  maxConcurrent: number;
}

interface Pending<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter<I, R> {
  private buffer: Pending<I, R>[] = [];
  private timer: { cancel(): void } | null = null;
  private running = 0;
  private readonly idle: Array<() => void> = [];

  constructor(
    private readonly apply: (items: I[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.buffer.push({ item, resolve, reject });
      if (this.buffer.length >= this.options.maxBatch) this.flush();
      else this.timer ??= this.later(this.running === 0 ? 0 : this.options.lingerMs, () => this.flush());
    });
  }

  /** At the end of this turn of the event loop (a 0 ms timeout would wait for the next millisecond), or after `ms`. */
  private later(ms: number, fn: () => void): { cancel(): void } {
    if (ms <= 0) {
      const immediate = setImmediate(fn);
      return { cancel: () => clearImmediate(immediate) };
    }
    const timeout = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(timeout) };
  }

  private flush(): void {
    if (this.timer) {
      this.timer.cancel();
      this.timer = null;
    }
    if (this.buffer.length === 0 || this.running >= this.options.maxConcurrent) return;
    const batch = this.buffer.splice(0, this.options.maxBatch);
    this.running++;
    void this.run(batch).finally(() => {
      this.running--;
      if (this.buffer.length > 0) this.flush();
      else if (this.running === 0) for (const done of this.idle.splice(0)) done();
    });
  }

  private async run(batch: Pending<I, R>[]): Promise<void> {
    try {
      const results = await this.apply(batch.map((p) => p.item));
      for (const [i, p] of batch.entries()) p.resolve(results[i] as R);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      for (const p of batch) {
        try {
          const [r] = await this.apply([p.item]);
          p.resolve(r as R);
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }

  /** Resolves when nothing is buffered or being applied. */
  async drain(): Promise<void> {
    if (this.buffer.length > 0) this.flush();
    if (this.running === 0 && this.buffer.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }
}
