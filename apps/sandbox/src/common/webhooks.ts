import type { ProviderConfig } from './config.ts';
import type { RuntimeDeps } from './deps.ts';
import { chance } from './random.ts';
import { TaskGroup } from './task-group.ts';

/**
 * One event as a provider sends it: the body is the exact string that was signed, and the
 * headers carry the signature in the provider's own format. The sender never looks inside.
 */
export interface WebhookEvent {
  /** The provider's event id; a duplicate or a retry carries the same one. */
  readonly id: string;
  /** The provider's event name, e.g. `payout.processed`. */
  readonly type: string;
  /** The payout the event is about: out-of-order delivery holds an event back until its next one. */
  readonly payoutId?: string | null;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** One row of `GET /_admin/:provider/webhooks`: a delivery attempt and how it ended. */
export interface WebhookAttempt {
  readonly event_id: string;
  readonly type: string;
  readonly payout_id: string | null;
  readonly url: string;
  /** 1 for the first try of a delivery, counting up through its retries. */
  readonly attempt: number;
  /** True for the second copy sent by the duplicate fault. */
  readonly duplicate: boolean;
  /** The receiver's HTTP status, or null when no answer came (then `error` says why). */
  readonly status_code: number | null;
  readonly error: string | null;
  /** A 2xx answer: no further attempt of this delivery follows. */
  readonly delivered: boolean;
  /** When the attempt started, ISO 8601. */
  readonly at: string;
}

export interface WebhookSenderOptions {
  /** Per attempt. Default 5000. */
  readonly timeoutMs?: number;
  /** Attempts per delivery, the first included. Default 6. */
  readonly maxAttempts?: number;
  /** The retry after attempt n waits backoffBaseMs × 2^(n−1). Default 200. */
  readonly backoffBaseMs?: number;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

interface Delivery {
  readonly event: WebhookEvent;
  readonly url: string;
  readonly duplicate: boolean;
  /** Deliveries started before a reset neither record nor retry after it. */
  readonly generation: number;
}

interface HeldEvent {
  readonly event: WebhookEvent;
  readonly url: string;
  readonly cancel: () => void;
}

/**
 * A provider's outgoing webhooks, at least once and, when the fault shares say so, twice or out
 * of order, as real providers deliver them. `send` returns at once: delivery never holds up the
 * request whose status change caused it. A delivery is retried on a non-2xx answer or a network
 * error with exponential backoff through the injectable scheduler, so a test can drive retries.
 *
 * Without faults or retries, one payout's events arrive in the order they were sent: the first
 * attempt of each waits for the first attempt of the one before (retries do not block the next).
 */
export class WebhookSender {
  private attempts: WebhookAttempt[] = [];
  private readonly tasks: TaskGroup;
  /** Events held back by the out-of-order fault, by payout. */
  private readonly held = new Map<string, HeldEvent>();
  /** The tail of each payout's chain of first attempts. */
  private readonly chains = new Map<string, Promise<void>>();
  private generation = 0;
  private aborter = new AbortController();
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly fetch: typeof fetch;

  constructor(
    readonly providerId: string,
    private readonly config: () => ProviderConfig,
    private readonly deps: RuntimeDeps,
    options: WebhookSenderOptions = {},
  ) {
    this.tasks = new TaskGroup(deps.scheduler);
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.backoffBaseMs = options.backoffBaseMs ?? 200;
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** False while no `webhookUrl` is configured: a provider may skip building its events. */
  get enabled(): boolean {
    return this.config().webhookUrl !== null;
  }

  /** Queues the event for delivery to the URL configured now; a no-op while webhooks are off. */
  send(event: WebhookEvent): void {
    const { webhookUrl: url, webhookOutOfOrderShare, progressDelayMs } = this.config();
    if (url === null) return;
    const key = event.payoutId ?? '';
    const held = this.held.get(key);
    if (held) {
      // The newer event overtakes the held one, which follows it.
      held.cancel();
      this.held.delete(key);
      this.dispatch(event, url);
      this.dispatch(held.event, held.url);
      return;
    }
    if (chance(this.deps.random, webhookOutOfOrderShare)) {
      const cancel = this.tasks.schedule(2 * progressDelayMs, () => {
        this.held.delete(key);
        this.dispatch(event, url);
      });
      this.held.set(key, { event, url, cancel });
      return;
    }
    this.dispatch(event, url);
  }

  /** Every attempt since the last reset, in the order they ended. */
  list(): WebhookAttempt[] {
    return [...this.attempts];
  }

  /** Forgets every attempt and drops pending, held and in-flight deliveries. */
  reset(): void {
    this.dispose();
    this.attempts = [];
  }

  /** Drops pending, held and in-flight deliveries, for shutdown. */
  dispose(): void {
    this.generation++;
    this.aborter.abort();
    this.aborter = new AbortController();
    this.tasks.cancelAll();
    this.held.clear();
    this.chains.clear();
  }

  private dispatch(event: WebhookEvent, url: string): void {
    const generation = this.generation;
    const duplicate = chance(this.deps.random, this.config().webhookDuplicateShare);
    this.enqueue(event.payoutId ?? '', { event, url, duplicate: false, generation });
    if (duplicate) this.enqueue(event.payoutId ?? '', { event, url, duplicate: true, generation });
  }

  private enqueue(key: string, delivery: Delivery): void {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.attempt(delivery, 1));
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  /** Never rejects: a failure is recorded and retried. */
  private async attempt(delivery: Delivery, attempt: number): Promise<void> {
    if (delivery.generation !== this.generation) return;
    const { event, url } = delivery;
    const at = new Date(this.deps.now()).toISOString();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await this.fetch(url, {
        method: 'POST',
        headers: { ...event.headers },
        body: event.body,
        redirect: 'manual',
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      statusCode = res.status;
      await res.body?.cancel().catch(() => undefined);
    } catch (caught) {
      error = describeError(caught, this.timeoutMs);
    }
    if (delivery.generation !== this.generation) return;

    const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
    this.attempts.push({
      event_id: event.id,
      type: event.type,
      payout_id: event.payoutId ?? null,
      url,
      attempt,
      duplicate: delivery.duplicate,
      status_code: statusCode,
      error,
      delivered,
      at,
    });
    if (delivered) return;
    const log = { provider: this.providerId, eventId: event.id, type: event.type, attempt, statusCode, error };
    if (attempt >= this.maxAttempts) {
      this.deps.logger.warn(log, 'webhook delivery gave up');
      return;
    }
    this.deps.logger.debug(log, 'webhook delivery failed, will retry');
    this.tasks.schedule(this.backoffBaseMs * 2 ** (attempt - 1), () => {
      void this.attempt(delivery, attempt + 1);
    });
  }
}

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const detail = cause?.code ?? cause?.message;
    return detail === undefined ? error.message : `${error.message}: ${String(detail)}`;
  }
  return String(error);
}
