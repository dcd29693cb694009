import type { Scheduler } from './scheduler.ts';

interface ManualTask {
  readonly dueAt: number;
  readonly seq: number;
  readonly task: () => void;
}

/** A virtual clock for tests: nothing runs until `advance` moves time past a task's due time. */
export class ManualScheduler implements Scheduler {
  private nowMs = 0;
  private seq = 0;
  private tasks: ManualTask[] = [];

  schedule(delayMs: number, task: () => void): () => void {
    const entry: ManualTask = { dueAt: this.nowMs + delayMs, seq: this.seq++, task };
    this.tasks.push(entry);
    return () => {
      this.tasks = this.tasks.filter((t) => t !== entry);
    };
  }

  get pending(): number {
    return this.tasks.length;
  }

  /** Moves the clock forward, running due tasks in time order, including ones they schedule. */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      const next = this.tasks.filter((t) => t.dueAt <= target).sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq)[0];
      if (!next) break;
      this.tasks = this.tasks.filter((t) => t !== next);
      this.nowMs = next.dueAt;
      next.task();
    }
    this.nowMs = target;
  }
}
