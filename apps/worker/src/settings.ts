import type { PollSchedule } from './poll-schedule.ts';

/** How one provider's queue is served: read from the environment by `workerSettings`, used by `startWorkers`. */
export interface ProviderWorkerSettings {
  concurrency: number;
  /** Jobs per second across every worker process of this provider (BullMQ's global limiter). */
  ratePerSecond: number;
  schedule: PollSchedule;
}
