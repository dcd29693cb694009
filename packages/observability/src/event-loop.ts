import { performance } from 'node:perf_hooks';
import { Counter, Histogram, type Registry } from 'prom-client';

/** From "on time" to "a stall that loses BullMQ locks": the 100 ms bound is the target for p99. */
const DELAY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.5, 1, 2.5, 5];
/** A timer this late is a stall: its window is counted in the two stall counters. */
const STALL_MS = 50;
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
 *
 * A stall has two possible causes, which call for different fixes: the process computing (its own
 * work: less of it per turn) or the process waiting for a core (a busy machine, a container's CPU
 * limit: more CPU). `payouts_event_loop_stalled_seconds_total` sums the lateness of every timer
 * late by more than 50 ms and `payouts_event_loop_stalled_cpu_seconds_total` the process's CPU
 * time over those same windows; their ratio is the share of the stalls the process was computing.
 * It counts every thread's CPU (the collector's helpers too), so it can slightly exceed 1.
 */
export function monitorEventLoop(registry: Registry): { stop(): void } {
  const delay = new Histogram({
    name: 'payouts_event_loop_delay_seconds',
    help: 'How late the event loop ran a 10 ms timer.',
    buckets: DELAY_BUCKETS,
    registers: [registry],
  });
  const stalled = new Counter({
    name: 'payouts_event_loop_stalled_seconds_total',
    help: `How late the event loop ran its 10 ms timer, summed over the runs more than ${STALL_MS} ms late.`,
    registers: [registry],
  });
  const stalledCpu = new Counter({
    name: 'payouts_event_loop_stalled_cpu_seconds_total',
    help: `CPU time the process used in the windows of the timer runs more than ${STALL_MS} ms late.`,
    registers: [registry],
  });
  let due = performance.now() + RESOLUTION_MS;
  // The CPU reading a stall's window starts from. Reading it costs tens of microseconds (a
  // getrusage over every thread), so an idle loop reads it only every 10th run: the idle time
  // that then falls into a stall's window used next to no CPU. A busy loop, which may stall next,
  // reads it every run.
  let cpuAt = process.cpuUsage();
  let runsSinceCpu = 0;
  let eluAt = performance.eventLoopUtilization();
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = performance.now();
    const lateMs = Math.max(0, now - due);
    delay.observe(lateMs / 1000);
    const elu = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(elu, eluAt).utilization > 0.5;
    eluAt = elu;
    runsSinceCpu++;
    if (lateMs > STALL_MS || busy || runsSinceCpu >= 10) {
      const cpu = process.cpuUsage();
      if (lateMs > STALL_MS) {
        stalled.inc(lateMs / 1000);
        stalledCpu.inc((cpu.user - cpuAt.user + cpu.system - cpuAt.system) / 1e6);
      }
      cpuAt = cpu;
      runsSinceCpu = 0;
    }
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
