import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Histogram, type Registry } from 'prom-client';

/** From "on time" to "a stall that loses BullMQ locks": the 100 ms bound is the target for p99. */
const DELAY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** The sampling timer's period; every sample is at least this long, so it is taken off. */
const RESOLUTION_MS = 10;

/**
 * `payouts_event_loop_delay_seconds`: how late this process's event loop ran a 10 ms timer, as a
 * histogram. A loop that is late stalls everything in the process: BullMQ lock renewals (a lock
 * lost means a job runs twice), HTTP answers, Redis replies. perf_hooks.monitorEventLoopDelay
 * samples natively; once a second its samples are moved into the histogram (each value of the
 * monitor's own HDR histogram observed as many times as it was sampled) and the monitor is reset.
 * A cumulative histogram, unlike prom-client's `nodejs_eventloop_lag_p99_seconds` (reset by every
 * scrape), gives any window to any number of readers: Prometheus, `pnpm bench`, a person with curl
 * (`histogram_quantile(0.99, rate(payouts_event_loop_delay_seconds_bucket[5m]))`).
 */
export function monitorEventLoop(registry: Registry, intervalMs = 1000): { stop(): void } {
  const delay = new Histogram({
    name: 'payouts_event_loop_delay_seconds',
    help: 'How late the event loop ran a 10 ms timer (monitorEventLoopDelay, its own period taken off).',
    buckets: DELAY_BUCKETS,
    registers: [registry],
  });
  const monitor = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  monitor.enable();
  const drain = () => {
    const n = monitor.count;
    if (n > 0) {
      const seconds = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS) / 1000;
      let below = 0;
      // percentiles: ascending percentile → the largest value sampled up to it, in ns.
      for (const [percentile, ns] of monitor.percentiles) {
        const upTo = Math.min(n, Math.round((n * percentile) / 100));
        for (; below < upTo; below++) delay.observe(seconds(ns));
      }
      for (; below < n; below++) delay.observe(seconds(monitor.max));
    }
    monitor.reset();
  };
  const timer = setInterval(drain, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      monitor.disable();
    },
  };
}
