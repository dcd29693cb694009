import cluster, { type Worker } from 'node:cluster';
import type { Logger, Registry } from '@payouts/observability';
import { onShutdown, shutdown } from '@payouts/runtime';
import { AggregatorRegistry } from 'prom-client';

/**
 * API_PROCESSES > 1: the API as a node:cluster. Node's `net` has no SO_REUSEPORT, so the primary
 * (this module's `runApiProcesses`) holds the port and hands connections to the API processes it
 * forks, each running `startApi` as a lone API does. Each API process is single-threaded; two of
 * them let the API use a second core.
 *
 * - Stopping: SIGTERM or Ctrl-C stops the primary, which sends SIGTERM to every API process and
 *   exits once all have finished their requests in flight and exited (each within its own 15 s
 *   deadline). A terminal's Ctrl-C reaches the API processes too (one process group): the
 *   primary's SIGTERM then arrives as the same stop twice, which they ignore (REPEATED_SIGNAL_MS).
 * - An API process that exits on its own (a crash) stops the others and the primary, which exits 1:
 *   restarting is for whoever runs the API (Kubernetes, compose, `pnpm start`'s supervisor), the
 *   one place that decides restarts and their back-off.
 * - Metrics: `GET /metrics`, answered by whichever API process took the connection, asks the
 *   primary, which collects every API process's registry (prom-client's AggregatorRegistry:
 *   counters and histograms summed, gauges by their own aggregator) and answers the total. A
 *   scrape sees the API as one, as with one process. An API process answers its share from the
 *   start of `startApi`; one still loading its modules does not, and a scrape then fails after
 *   prom-client's 5 s (a 500); the next one counts it.
 * - Readiness: `GET /readyz` is the answering process's own check of Postgres and Redis; every
 *   process checks the same two, and one that cannot does not answer at all.
 */

const METRICS_ASKED = 'payouts.api.metrics';
const METRICS_ANSWERED = 'payouts.api.metrics.answer';

interface MetricsAnswer {
  type: typeof METRICS_ANSWERED;
  id: number;
  text?: string;
  error?: string;
}

/** The primary: forks `processes` API processes and supervises them until the shutdown. */
export function runApiProcesses(options: { processes: number; logger: Logger }): void {
  const { logger } = options;
  const aggregator = new AggregatorRegistry();
  const running = new Map<Worker, Promise<void>>();
  let stopping = false;

  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: { type?: string; id?: number }) => {
      if (message?.type !== METRICS_ASKED || typeof message.id !== 'number') return;
      const id = message.id;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: METRICS_ANSWERED, id, text } satisfies MetricsAnswer),
        (error: unknown) => worker.send({ type: METRICS_ANSWERED, id, error: String(error) } satisfies MetricsAnswer),
      );
    });
    running.set(
      worker,
      new Promise<void>((exited) =>
        worker.once('exit', (code, signal) => {
          running.delete(worker);
          exited();
          if (stopping) return;
          logger.error(
            { pid: worker.process.pid, code, signal },
            'an API process exited on its own: stopping the others',
          );
          void shutdown((msg, extra) => logger.info(extra ?? {}, msg)).then(() => process.exit(1));
        }),
      ),
    );
  };
  for (let i = 0; i < options.processes; i++) fork();
  logger.info({ processes: options.processes }, 'api processes started');

  onShutdown('api processes', async () => {
    stopping = true;
    const exits = [...running.values()];
    for (const worker of running.keys()) worker.process.kill('SIGTERM');
    await Promise.all(exits);
  });
}

/**
 * In an API process of a cluster: the metrics of all of them, through the primary. Registers
 * `registry` as this process's share of the total.
 */
export function clusterMetrics(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one is what makes prom-client answer the primary's requests from this process.
  new AggregatorRegistry();
  const waiting = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
  let next = 0;
  process.on('message', (message: MetricsAnswer) => {
    if (message?.type !== METRICS_ANSWERED) return;
    const asked = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.text !== undefined) asked?.resolve(message.text);
    else asked?.reject(new Error(`metrics of the API processes: ${message.error}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      process.send?.({ type: METRICS_ASKED, id }, undefined, {}, (error) => {
        if (!error) return;
        waiting.delete(id);
        reject(error);
      });
    });
}
