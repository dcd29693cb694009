import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { monitorEventLoop } from './event-loop.ts';

/**
 * Prometheus metrics. One registry per app (the API, a worker process, a reconciler process), so
 * `pnpm start` — every app in one Node process — still exposes each app's series apart. Every name
 * starts with `payouts_`; labels are bounded sets only (provider, state, queue, operation, outcome
 * kind, route pattern): never a payout id, tenant id, reference or raw URL.
 */
export { Registry };

/**
 * prom-client's default metrics that break the Prometheus naming rules (`promtool check metrics`):
 * gauges ending in `_total`, a suffix reserved for counters. Each is the sum of its per-type
 * sibling (`nodejs_active_handles{type}` and so on), which stays: `sum without (type) (…)` gives it.
 */
const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createRegistry(app: string, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  // `app` tells the series of one process apart from another's when they share a scrape job.
  registry.setDefaultLabels({ app });
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
    // With the process's metrics, how late its event loop runs (docs/observability.md).
    monitorEventLoop(registry);
  }
  return registry;
}

/** Buckets for provider calls and HTTP: a few ms (sandbox) to the 10 s provider timeout. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Accepted → terminal: seconds for instant providers, days for NEFT or a stuck payout. */
const END_TO_END_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600];

export function apiMetrics(registry: Registry) {
  return {
    httpDuration: new Histogram({
      name: 'payouts_http_request_duration_seconds',
      help: 'API request duration, by route pattern (not raw URL) and status class.',
      labelNames: ['method', 'route', 'status_class'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    payoutCommitSize: new Histogram({
      name: 'payouts_api_payout_commit_size',
      help: 'POST /v1/payouts requests written per statement (its group commit): the count is the number of commits, the sum the requests.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    payoutCommitFallbacks: new Counter({
      name: 'payouts_api_payout_commit_fallbacks_total',
      help: 'Group commits of POST /v1/payouts refused by Postgres, whose requests were then written one by one.',
      registers: [registry],
    }),
  };
}
export type ApiMetrics = ReturnType<typeof apiMetrics>;

export function workerMetrics(registry: Registry) {
  return {
    providerRequests: new Counter({
      name: 'payouts_provider_requests_total',
      help: 'Calls to a provider API, by operation and outcome (ok, or the provider error kind).',
      labelNames: ['provider', 'operation', 'outcome'] as const,
      registers: [registry],
    }),
    providerDuration: new Histogram({
      name: 'payouts_provider_request_duration_seconds',
      help: 'Duration of calls to a provider API, whatever their outcome.',
      labelNames: ['provider', 'operation'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    retries: new Counter({
      name: 'payouts_retries_total',
      help: 'Provider work tried again later, by why (in_call, queue_backoff, rate_limited, lookup, parked, lookup_failed).',
      labelNames: ['provider', 'reason'] as const,
      registers: [registry],
    }),
    circuitOpened: new Counter({
      name: 'payouts_circuit_opened_total',
      help: 'Times this process saw a failure open a provider circuit.',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
    budgetWait: new Histogram({
      name: 'payouts_provider_budget_wait_seconds',
      help: "Time a provider call waited for a token of the provider's budget, by the call's priority.",
      labelNames: ['provider', 'priority'] as const,
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    credentialsRejected: new Counter({
      name: 'payouts_provider_credentials_rejected_total',
      help: 'Times this process saw a provider refuse our credentials or account and parked the provider.',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
  };
}
export type WorkerMetrics = ReturnType<typeof workerMetrics>;

export function reconcilerMetrics(registry: Registry) {
  return {
    transitions: new Counter({
      name: 'payouts_transitions_total',
      help: 'Payout state transitions applied by the reconciler, by target state and provider.',
      labelNames: ['to_state', 'provider'] as const,
      registers: [registry],
    }),
    endToEnd: new Histogram({
      name: 'payouts_end_to_end_seconds',
      help: "Time from a payout's acceptance to its terminal state.",
      labelNames: ['provider', 'final_state'] as const,
      buckets: END_TO_END_BUCKETS,
      registers: [registry],
    }),
    ledgerBatchSize: new Histogram({
      name: 'payouts_ledger_batch_size',
      help: 'Events applied in one reconciler transaction (group commit).',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers: [registry],
    }),
    ledgerBatchDuration: new Histogram({
      name: 'payouts_ledger_batch_duration_seconds',
      help: 'Duration of one reconciler transaction, commit and hand-over to provider queues included.',
      labelNames: ['result'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    providerMismatches: new Counter({
      name: 'payouts_provider_mismatches_total',
      help: "Provider answers refused because their terms differ from the payout's (nothing posted), by field.",
      labelNames: ['provider', 'field'] as const,
      registers: [registry],
    }),
    reconciliationFindings: new Counter({
      name: 'payouts_reconciliation_findings_total',
      help: 'Drifts found by reconciliation runs, by provider and reason (matched payouts are not counted).',
      labelNames: ['provider', 'reason'] as const,
      registers: [registry],
    }),
  };
}
export type ReconcilerMetrics = ReturnType<typeof reconcilerMetrics>;

/**
 * A value read at scrape time, kept for `ttlMs` so that however often (or however many
 * Prometheis) scrape, Postgres and Redis see at most one query per period. A failed read keeps
 * the last value (and is retried on the next scrape) rather than failing the whole scrape.
 */
export function cached<T>(
  read: () => Promise<T>,
  ttlMs: number,
  now: () => number = Date.now,
): () => Promise<T | null> {
  let value: T | null = null;
  let at = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<T | null> | null = null;
  return () => {
    if (now() - at < ttlMs) return Promise.resolve(value);
    inFlight ??= read()
      .then((v) => {
        value = v;
        at = now();
        return v;
      })
      .catch(() => value)
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
}

/** The BullMQ queue methods the queue gauges need (structural, so this package needs no bullmq). */
export interface QueueLike {
  readonly name: string;
  getJobCounts(...types: QueueJobState[]): Promise<Record<string, number>>;
  getJobs(
    types: Array<'wait' | 'prioritized'>,
    start?: number,
    end?: number,
    asc?: boolean,
  ): Promise<Array<{ timestamp: number; processedOn?: number; delay: number } | undefined>>;
}

type QueueJobState = 'waiting' | 'prioritized' | 'active' | 'delayed' | 'failed' | 'waiting-children';
const QUEUE_STATES: QueueJobState[] = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'waiting-children'];

/**
 * `payouts_queue_jobs{queue,state}` and `payouts_queue_oldest_waiting_age_seconds{queue}`, read from
 * Redis at scrape time (cached). The age of the job next in line is estimated from when it last
 * became runnable — its creation or its last run, plus the delay it was given — because poll jobs
 * go back to delayed many times and their creation time says nothing about how long they wait.
 */
export function registerQueueMetrics(
  registry: Registry,
  queues: () => QueueLike[],
  options: { ttlMs?: number; now?: () => number } = {},
): void {
  const now = options.now ?? Date.now;
  const read = cached(
    () =>
      Promise.all(
        queues().map(async (q) => {
          const [counts, next] = await Promise.all([
            q.getJobCounts(...QUEUE_STATES),
            q.getJobs(['wait', 'prioritized'], 0, 0, true),
          ]);
          const ready = next
            .filter((j): j is NonNullable<typeof j> => Boolean(j))
            .map((j) => Math.max(j.timestamp, j.processedOn ?? 0) + (j.delay ?? 0));
          const age = ready.length > 0 ? Math.max(0, (now() - Math.min(...ready)) / 1000) : 0;
          return { name: q.name, counts, age };
        }),
      ),
    options.ttlMs ?? 5_000,
  );
  new Gauge({
    name: 'payouts_queue_jobs',
    help: 'Jobs in each BullMQ queue, by job state.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const snapshot = await read();
      this.reset();
      for (const q of snapshot ?? [])
        for (const [state, count] of Object.entries(q.counts)) this.set({ queue: q.name, state }, count);
    },
  });
  new Gauge({
    name: 'payouts_queue_oldest_waiting_age_seconds',
    help: 'How long the job next in line (waiting or prioritized) has been runnable; 0 when none waits.',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      const snapshot = await read();
      this.reset();
      for (const q of snapshot ?? []) this.set({ queue: q.name }, q.age);
    },
  });
}

export type CircuitStateName = 'closed' | 'open' | 'half_open';
const CIRCUIT_VALUE: Record<CircuitStateName, number> = { closed: 0, open: 1, half_open: 2 };

/**
 * `payouts_circuit_state{provider}` (0 closed, 1 open, 2 half-open), `payouts_provider_low_float{provider}`
 * and `payouts_provider_credentials_rejected{provider}`.
 */
export function registerCircuitMetrics(
  registry: Registry,
  gates: () => Array<{
    provider: string;
    circuitState(): Promise<CircuitStateName>;
    isLowBalance(): Promise<boolean>;
    isCredentialsRejected?(): Promise<boolean>;
  }>,
  options: { ttlMs?: number } = {},
): void {
  const read = cached(
    () =>
      Promise.all(
        gates().map(async (g) => ({
          provider: g.provider,
          circuit: await g.circuitState(),
          low: await g.isLowBalance(),
          credentialsRejected: (await g.isCredentialsRejected?.()) ?? false,
        })),
      ),
    options.ttlMs ?? 2_000,
  );
  new Gauge({
    name: 'payouts_circuit_state',
    help: "A provider's circuit breaker, shared by every worker: 0 closed, 1 open, 2 half-open.",
    labelNames: ['provider'] as const,
    registers: [registry],
    async collect() {
      const snapshot = await read();
      this.reset();
      for (const g of snapshot ?? []) this.set({ provider: g.provider }, CIRCUIT_VALUE[g.circuit]);
    },
  });
  new Gauge({
    name: 'payouts_provider_low_float',
    help: "1 while a provider's float is known to be short and its payouts are parked.",
    labelNames: ['provider'] as const,
    registers: [registry],
    async collect() {
      const snapshot = await read();
      this.reset();
      for (const g of snapshot ?? []) this.set({ provider: g.provider }, g.low ? 1 : 0);
    },
  });
  new Gauge({
    name: 'payouts_provider_credentials_rejected',
    help: '1 while a provider refuses our credentials or account: the provider is parked (gate reason credentials_rejected) and probed.',
    labelNames: ['provider'] as const,
    registers: [registry],
    async collect() {
      const snapshot = await read();
      this.reset();
      for (const g of snapshot ?? []) this.set({ provider: g.provider }, g.credentialsRejected ? 1 : 0);
    },
  });
}

export interface UnfinishedGroup {
  state: string;
  provider: string;
  count: number;
  /** Seconds since the least recently changed payout of the group last changed. */
  oldestAgeSeconds: number;
}

/** `payouts_by_state{state,provider}` and `payouts_oldest_age_seconds{state,provider}` over unfinished payouts. */
/**
 * `payouts_provider_downtime{provider,mode}`: 1 for each mode of a provider an active downtime
 * covers (from Postgres, cached); its payouts on that mode wait in `queued`.
 */
export function registerDowntimeMetrics(
  registry: Registry,
  readActive: () => Promise<Array<{ provider: string; mode: string }>>,
  options: { ttlMs?: number } = {},
): void {
  const read = cached(readActive, options.ttlMs ?? 10_000);
  new Gauge({
    name: 'payouts_provider_downtime',
    help: '1 for each provider mode an active downtime covers: payouts on it wait in queued (provider_downtime).',
    labelNames: ['provider', 'mode'] as const,
    registers: [registry],
    async collect() {
      const active = await read();
      this.reset();
      for (const d of active ?? []) this.set({ provider: d.provider, mode: d.mode }, 1);
    },
  });
}

export function registerPayoutStateMetrics(
  registry: Registry,
  readGroups: () => Promise<UnfinishedGroup[]>,
  options: { ttlMs?: number } = {},
): void {
  const read = cached(readGroups, options.ttlMs ?? 10_000);
  new Gauge({
    name: 'payouts_by_state',
    help: 'Payouts not yet in a terminal state, by state and provider (from Postgres, cached).',
    labelNames: ['state', 'provider'] as const,
    registers: [registry],
    async collect() {
      const groups = await read();
      this.reset();
      for (const g of groups ?? []) this.set({ state: g.state, provider: g.provider }, g.count);
    },
  });
  new Gauge({
    name: 'payouts_oldest_age_seconds',
    help: 'Seconds since the least recently changed unfinished payout of each state last changed.',
    labelNames: ['state', 'provider'] as const,
    registers: [registry],
    async collect() {
      const groups = await read();
      this.reset();
      for (const g of groups ?? []) this.set({ state: g.state, provider: g.provider }, g.oldestAgeSeconds);
    },
  });
}

/** The states of an endpoint that `payouts_webhook_*{state}` reports, every one of them always. */
export const WEBHOOK_ENDPOINT_STATES = ['enabled', 'circuit_open', 'disabled'] as const;
export type WebhookEndpointState = (typeof WEBHOOK_ENDPOINT_STATES)[number];

export interface WebhookBacklog {
  /** Pending deliveries and the age of the oldest, by the state of their endpoint. */
  groups: Array<{ state: WebhookEndpointState; count: number; oldestAgeSeconds: number }>;
  /** The longest an endpoint that may be sent to has had something due without being served. */
  lagSeconds: number;
}

/**
 * `payouts_webhook_deliveries_pending{state}`, `payouts_webhook_oldest_pending_age_seconds{state}`
 * and `payouts_webhook_delivery_lag_seconds`, from Postgres at scrape time (cached).
 */
export function registerWebhookMetrics(
  registry: Registry,
  readBacklog: () => Promise<WebhookBacklog>,
  options: { ttlMs?: number } = {},
): void {
  const read = cached(readBacklog, options.ttlMs ?? 10_000);
  // One gauge per figure of the backlog, labelled by endpoint state (0 for a state with nothing).
  const perState = (name: string, help: string, pick: (g: WebhookBacklog['groups'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        const backlog = await read();
        this.reset();
        if (!backlog) return;
        for (const state of WEBHOOK_ENDPOINT_STATES) {
          const group = backlog.groups.find((g) => g.state === state);
          this.set({ state }, group ? pick(group) : 0);
        }
      },
    });
  perState(
    'payouts_webhook_deliveries_pending',
    'Outbound webhook deliveries not yet done, by the state of their endpoint (enabled, circuit_open, disabled).',
    (g) => g.count,
  );
  perState(
    'payouts_webhook_oldest_pending_age_seconds',
    'Seconds since the oldest pending outbound webhook delivery was written, by the state of its endpoint.',
    (g) => g.oldestAgeSeconds,
  );
  new Gauge({
    name: 'payouts_webhook_delivery_lag_seconds',
    help: 'The longest an endpoint that can be sent to has had a delivery due without the deliverer serving it.',
    registers: [registry],
    async collect() {
      const backlog = await read();
      this.reset();
      if (backlog) this.set(backlog.lagSeconds);
    },
  });
}

/**
 * `payouts_ledger_imbalance{currency}`: the sum of every ledger account's balance per currency, in
 * minor units. Every transaction sums to zero, so this is 0 unless the ledger is broken.
 */
export function registerLedgerMetrics(
  registry: Registry,
  readSums: () => Promise<Array<{ currency: string; sum: number }>>,
  options: { ttlMs?: number } = {},
): void {
  const read = cached(readSums, options.ttlMs ?? 30_000);
  new Gauge({
    name: 'payouts_ledger_imbalance',
    help: 'Sum of all ledger account balances per currency, in minor units; anything but 0 is a broken ledger.',
    labelNames: ['currency'] as const,
    registers: [registry],
    async collect() {
      const sums = await read();
      this.reset();
      for (const s of sums ?? []) this.set({ currency: s.currency }, s.sum);
    },
  });
}

export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

export interface MetricsServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Serves one registry on its own port, for the worker and the reconciler (which have no HTTP
 * server of their own): `GET /metrics` in Prometheus text format, `GET /healthz` for probes.
 */
export async function serveMetrics(registry: Registry, port: number, host = '0.0.0.0'): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        })
        .catch((error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics collection failed: ${error instanceof Error ? error.message : String(error)}\n`);
        });
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A provider's budget as the worker reads it (structural: this package needs no queue types). */
export interface BudgetSnapshot {
  provider: string;
  tokens: number;
  pausedUntil: number | null;
  /** Callers waiting for a token now, by call priority. */
  waiting: Record<string, number>;
  /** Jobs waiting in the provider's queue, by their kind of work (job priority). */
  queued: Record<string, number>;
}

/**
 * `payouts_provider_budget_tokens{provider}`, `payouts_provider_budget_paused_seconds{provider}`
 * and `payouts_provider_work_waiting{provider,priority}` (calls waiting for a token plus jobs
 * waiting in the queue, by priority): read from Redis at scrape time (cached). The calls made are
 * `payouts_provider_requests_total{operation}`; per settled payout, divide by the settled
 * transitions (docs/observability.md).
 */
export function registerBudgetMetrics(
  registry: Registry,
  budgets: () => Array<() => Promise<BudgetSnapshot>>,
  options: { ttlMs?: number; now?: () => number } = {},
): void {
  const now = options.now ?? Date.now;
  const read = cached(() => Promise.all(budgets().map((b) => b())), options.ttlMs ?? 2_000);
  new Gauge({
    name: 'payouts_provider_budget_tokens',
    help: "Tokens in a provider's budget now (shared by every worker; at most one at providers' rates).",
    labelNames: ['provider'] as const,
    registers: [registry],
    async collect() {
      const snapshot = await read();
      this.reset();
      for (const b of snapshot ?? []) this.set({ provider: b.provider }, b.tokens);
    },
  });
  new Gauge({
    name: 'payouts_provider_budget_paused_seconds',
    help: "Seconds left of a provider's pause after a 429 (Retry-After); 0 when calls may go.",
    labelNames: ['provider'] as const,
    registers: [registry],
    async collect() {
      const snapshot = await read();
      this.reset();
      for (const b of snapshot ?? [])
        this.set({ provider: b.provider }, b.pausedUntil ? Math.max(0, (b.pausedUntil - now()) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'payouts_provider_work_waiting',
    help: "Provider work waiting, by priority: calls waiting for a token of the provider's budget plus jobs waiting in its queue.",
    labelNames: ['provider', 'priority'] as const,
    registers: [registry],
    async collect() {
      const snapshot = await read();
      this.reset();
      for (const b of snapshot ?? []) {
        const priorities = new Set([...Object.keys(b.waiting), ...Object.keys(b.queued)]);
        for (const priority of priorities) {
          this.set({ provider: b.provider, priority }, (b.waiting[priority] ?? 0) + (b.queued[priority] ?? 0));
        }
      }
    },
  });
}
