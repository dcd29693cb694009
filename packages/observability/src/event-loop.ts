import { performance } from 'node:perf_hooks';
import { Histogram, type Registry } from 'prom-client';

/** From "on time" to "a stall that loses BullMQ locks": the 100 ms bound is the target for p99. */
const DELAY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** The sampling timer's period. */
const RESOLUTION_MS = 10;

/**
 * `payouts_event_loop_delay_seconds`: how late this process's event loop ran a 10 ms timer, as a
 * histogram. A loop that is late stalls everything in the process: BullMQ lock renewals (a lock
 * lost means a job runs twice), HTTP answers, Redis replies. Each run of the timer observes its own
 * lateness at once, so a stall is in the histogram as soon as the loop turns again.
 *
 * Not perf_hooks.monitorEventLoopDelay drained once a second: resetting the native monitor after a
 * drain could drop the one late sample a stall produced, when the drain's timer ran before the
 * monitor's after the stall (both were due) — the stall then never showed. A cumulative histogram,
 * unlike prom-client's `nodejs_eventloop_lag_p99_seconds` (reset by every scrape), gives any window
 * to any number of readers: Prometheus, `pnpm bench`, a person with curl
 * (`histogram_quantile(0.99, rate(payouts_event_loop_delay_seconds_bucket[5m]))`).
 */
export function monitorEventLoop(registry: Registry): { stop(): void } {
  const delay = new Histogram({
    name: 'payouts_event_loop_delay_seconds',
    help: 'How late the event loop ran a 10 ms timer.',
    buckets: DELAY_BUCKETS,
    registers: [registry],
  });
  let due = performance.now() + RESOLUTION_MS;
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = performance.now();
    delay.observe(Math.max(0, now - due) / 1000);
    due = now + RESOLUTION_MS;
    timer = setTimeout(tick, RESOLUTION_MS);
    // Never the reason a process stays up.
    timer.unref();
  };
  timer = setTimeout(tick, RESOLUTION_MS);
  timer.unref();
  return {
    stop() {
      clearTimeout(timer);
    },
  };
}
