/**
 * Where a simulator's delayed steps (processing → processed, processed → reversed) are queued.
 * Injectable so tests can drive progress without sleeping; the default uses real timers.
 */
export interface Scheduler {
  /** Runs `task` after `delayMs`; the returned function cancels it if it has not run yet. */
  schedule(delayMs: number, task: () => void): () => void;
}

/** Real timers, unref'd: pending payout progress must never keep a process alive on shutdown. */
export const timerScheduler: Scheduler = {
  schedule(delayMs, task) {
    const timer = setTimeout(task, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
