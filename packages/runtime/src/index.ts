/**
 * One shutdown registry per process: SIGTERM/SIGINT stop taking work first, then finish or hand
 * back what is in flight, then close connections — in the reverse order they were opened.
 * A second signal, or the deadline passing, exits at once (BullMQ hands unfinished jobs back
 * to the queue as stalled, so nothing is lost by a hard exit).
 */
type Closer = { name: string; close: () => Promise<unknown> };

const closers: Closer[] = [];
let shuttingDown: Promise<void> | null = null;

export function onShutdown(name: string, close: () => Promise<unknown>): void {
  closers.push({ name, close });
}

export async function shutdown(log: (msg: string, extra?: Record<string, unknown>) => void = () => {}): Promise<void> {
  if (shuttingDown) return shuttingDown;
  shuttingDown = (async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c.close();
        log(`closed ${c.name}`);
      } catch (error) {
        log(`closing ${c.name} failed`, { err: String(error) });
      }
    }
  })();
  return shuttingDown;
}

/**
 * A second signal this soon after the first is the same stop delivered twice, not a person's
 * second Ctrl-C: a terminal's Ctrl-C reaches the whole foreground process group, and a launcher in
 * it (tsx, pnpm) relays the SIGINT it received to this process as well. Counting that copy as
 * "kill at once" made every Ctrl-C of `pnpm start` exit 130 mid-shutdown (pnpm then printed
 * ELIFECYCLE). A person cannot press Ctrl-C twice within this window.
 */
export const REPEATED_SIGNAL_MS = 500;

export function installSignalHandlers(options: {
  deadlineMs: number;
  log: (msg: string, extra?: Record<string, unknown>) => void;
}): void {
  let firstAt: number | null = null;
  const handler = (signal: NodeJS.Signals) => {
    if (firstAt !== null) {
      if (performance.now() - firstAt < REPEATED_SIGNAL_MS) return;
      process.exit(130);
    }
    firstAt = performance.now();
    options.log(`${signal}: shutting down`, { deadlineMs: options.deadlineMs });
    const timer = setTimeout(() => {
      options.log('shutdown deadline passed: exiting');
      process.exit(1);
    }, options.deadlineMs);
    timer.unref();
    void shutdown(options.log).then(() => process.exit(0));
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  onParentGone(() => handler('SIGTERM'));
}

/**
 * A process started by `pnpm start`'s supervisor (scripts/start.ts) has an IPC channel to it and
 * its own process group (a terminal's Ctrl-C reaches the supervisor only, which stops the apps in
 * order). If the supervisor dies without stopping it (SIGKILL), the channel closes: the app then
 * shuts down as on SIGTERM instead of living on as an orphan holding its ports.
 */
export function onParentGone(stop: () => void): void {
  if (process.connected) process.once('disconnect', stop);
}

/**
 * The V8 flags production starts each compiled app with (`node --enable-source-maps <flags>
 * dist/main.js`): `pnpm start:dist`'s supervisor and the test and bench harness take them from
 * here; infra/Dockerfile repeats them in each stage's CMD (tests/infra/compose.test.ts compares),
 * and so does each app's own `start:dist` script.
 *
 * The worker's old generation is capped at 384 MB, under its pod's 512 MiB limit. What this buys
 * is not the ceiling (the worker keeps ~30 MB live, polling or not) but how far V8 lets the heap
 * grow between full collections: it sizes that step by the ceiling, up to 4× the live heap when the
 * ceiling is the machine's default (a quarter of its memory, gigabytes), ~1.4× under a few hundred
 * MB. Polling promotes a steady stream of short-lived objects (a job's request, query and response
 * outlive two scavenges while it waits on the provider), so with the default the old space filled
 * to ~120 MB of garbage before each full collection; capped, it stays near 45 MB, for more frequent
 * full collections of the ~30 MB live (docs/benchmarks.md, worker RSS; docs/operations.md).
 */
export const NODE_FLAGS: Readonly<Record<'api' | 'worker' | 'reconciler' | 'sandbox', readonly string[]>> = {
  api: [],
  worker: ['--max-old-space-size=384'],
  reconciler: [],
  sandbox: [],
};
