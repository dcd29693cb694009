import type { Scheduler } from './scheduler.ts';

/**
 * The tasks one simulator has scheduled, so a reset can cancel them all: a payout from before
 * the reset must not come back to life and move a balance that was just set.
 */
export class TaskGroup {
  private readonly cancels = new Set<() => void>();

  constructor(private readonly scheduler: Scheduler) {}

  schedule(delayMs: number, task: () => void): () => void {
    const cancel = this.scheduler.schedule(delayMs, () => {
      this.cancels.delete(cancel);
      task();
    });
    this.cancels.add(cancel);
    return () => {
      this.cancels.delete(cancel);
      cancel();
    };
  }

  cancelAll(): void {
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
  }
}
