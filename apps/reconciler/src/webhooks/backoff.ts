import { must } from '@payouts/core';

/**
 * When a failed delivery is tried again. The steps grow roughly five-fold, then double, so a
 * receiver that is down for a deploy gets its events within seconds and one that is down for a
 * night still gets them the next morning: with the default 5 s base, 5 s, 30 s, 2 min, 10 min,
 * 30 min, 1 h, 2 h, 4 h, 8 h, 8 h — eleven attempts over about 24 hours, then `failed` (an
 * operator can replay it). The base is configuration so tests can run the whole schedule in
 * milliseconds. Jitter (±20 %) spreads the retries of many deliveries that failed together, so a
 * receiver coming back is not hit by all of them at once.
 */
const STEPS = [1, 6, 24, 120, 360, 720, 1440, 2880, 5760, 5760] as const;

export interface RetrySchedule {
  /** The first delay, in milliseconds; every later step is a multiple of it. */
  baseMs: number;
  /** Attempts in all, the first included; after the last failing one the delivery is `failed`. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { baseMs: 5000, maxAttempts: STEPS.length + 1 };

/**
 * The delay before attempt `attempts + 1`, after `attempts` failed ones, or null when no attempt
 * is left. `random` returns [0, 1); 0.5 means no jitter.
 */
export function retryDelayMs(
  attempts: number,
  schedule: RetrySchedule = DEFAULT_RETRY_SCHEDULE,
  random: () => number = Math.random,
): number | null {
  if (attempts < 1) throw new RangeError(`attempts must be at least 1, got ${attempts}`);
  if (attempts >= schedule.maxAttempts) return null;
  const step = must(STEPS[Math.min(attempts, STEPS.length) - 1], `the retry step for attempt ${attempts}`);
  const jitter = 0.8 + 0.4 * random();
  return Math.round(schedule.baseMs * step * jitter);
}

/** The circuit's steps stop at an hour (720 × 5 s): a receiver that comes back is heard within it. */
const CIRCUIT_STEPS = [1, 6, 24, 120, 360, 720] as const;

/**
 * How long an endpoint's circuit stays open after its `openings`-th failure in a row past the
 * threshold (1 for the failure that opened it): with the default 5 s base, 5 s, 30 s, 2 min,
 * 10 min, 30 min, then every hour, ±20 % so that endpoints that failed together are not all
 * probed at once. Then one delivery probes it; its answer closes the circuit or opens it again.
 */
export function circuitDelayMs(
  openings: number,
  schedule: RetrySchedule = DEFAULT_RETRY_SCHEDULE,
  random: () => number = Math.random,
): number {
  if (openings < 1) throw new RangeError(`openings must be at least 1, got ${openings}`);
  const step = must(
    CIRCUIT_STEPS[Math.min(openings, CIRCUIT_STEPS.length) - 1],
    `the circuit step for opening ${openings}`,
  );
  return Math.round(schedule.baseMs * step * (0.8 + 0.4 * random()));
}
