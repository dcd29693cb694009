import type { Logger } from '@payouts/observability';
import type { Random } from './random.ts';
import type { Scheduler } from './scheduler.ts';

/** What every simulator is given: time, randomness and a scheduler, all injectable for tests. */
export interface RuntimeDeps {
  readonly random: Random;
  readonly scheduler: Scheduler;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly logger: Logger;
}
