import type { PollSchedule, WebhookPolling } from './poll-schedule.ts';

/** How one provider's queue is served: read from the environment by `workerSettings`, used by `startWorkers`. */
export interface ProviderWorkerSettings {
  concurrency: number;
  /**
   * Calls per second to this provider across every worker process: the size of its budget (one
   * token bucket per provider account, in Redis).
   */
  ratePerSecond: number;
  schedule: PollSchedule;
  webhooks: WebhookPolling;
}
