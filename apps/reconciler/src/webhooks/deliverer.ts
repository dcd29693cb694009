import { type Database, rowsOf, webhookDeliveries, webhookEndpoints, webhookEvents } from '@payouts/db';
import type { Logger } from '@payouts/observability';
import { and, eq, sql } from 'drizzle-orm';
import { DEFAULT_RETRY_SCHEDULE, type RetrySchedule, retryDelayMs } from './backoff.ts';
import { signedHeaders } from './sign.ts';
import { postWebhook, TargetRefused } from './transport.ts';

/** How the deliverer runs; from the reconciler's environment (env.ts), defaults there. */
export interface WebhookDeliverySettings {
  /** POSTs in flight at once, per process. */
  concurrency: number;
  /**
   * Whether endpoints may be private addresses (loopback, RFC 1918, link-local): for local
   * development and tests only; in production that would let a tenant reach our own network.
   */
  allowPrivateTargets?: boolean;
  /** One attempt's limit, response body included. */
  timeoutMs: number;
  /** How often due deliveries are looked for besides the nudge after each commit. */
  pollIntervalMs: number;
  retry: RetrySchedule;
}

export const DEFAULT_WEBHOOK_DELIVERY: WebhookDeliverySettings = {
  concurrency: 16,
  timeoutMs: 10_000,
  pollIntervalMs: 1000,
  retry: DEFAULT_RETRY_SCHEDULE,
};

export interface WebhookDelivererOptions extends WebhookDeliverySettings {
  db: Database;
  logger: Logger;
  /** Injectable for tests; the signature's timestamp and every schedule are read from it. */
  now?: () => Date;
  random?: () => number;
}

/** What one attempt's answer means (Standard Webhooks' recommendation). */
export type AttemptOutcome = 'succeeded' | 'failed' | 'retry';

/**
 * 2xx is delivered. A 4xx says the request itself is refused and sending it again will not help —
 * except 408 (the receiver timed out) and 429 (it is busy), which are worth another try, as is
 * anything else: a 3xx (redirects are not followed), a 5xx, no answer at all.
 */
export function outcomeOf(status: number | null): AttemptOutcome {
  if (status !== null && status >= 200 && status < 300) return 'succeeded';
  if (status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429) return 'failed';
  return 'retry';
}

interface Claimed {
  id: string;
  event_id: string;
  endpoint_id: string;
  attempts: number;
}

/**
 * Delivers outbound webhooks (docs/webhooks.md) from the outbox in Postgres — the truth: no queue
 * holds anything that is not there. Runs in each reconciler process; any number of them share the
 * work through `FOR UPDATE SKIP LOCKED`. A claim is a lease: it counts the attempt and moves
 * `next_attempt_at` past the attempt's timeout, so a process that dies mid-POST leaves the delivery
 * to be tried again when the lease runs out (at least once), and its late answer, if any, is
 * dropped (the result is written only while the claim's attempt count still stands).
 *
 * Never a stale state: a delivery is not claimed while an earlier version of the same subject is
 * still pending for the same endpoint (in flight or waiting for a retry), so an endpoint receives
 * a payout's states in order; each carries its own version's state, from the outbox row.
 */
export class WebhookDeliverer {
  private readonly now: () => Date;
  private readonly random: () => number;
  private inFlight = 0;
  private ticking: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly active = new Set<Promise<void>>();

  constructor(private readonly o: WebhookDelivererOptions) {
    this.now = o.now ?? (() => new Date());
    this.random = o.random ?? Math.random;
  }

  start(): this {
    this.timer = setInterval(() => this.nudge(), this.o.pollIntervalMs);
    this.timer.unref();
    this.nudge();
    return this;
  }

  /** Look for due deliveries now (after a commit that wrote some, or after one finished). */
  nudge(): void {
    if (this.closed) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch((error) => this.o.logger.error({ err: error }, 'webhook delivery: claiming failed'))
      .finally(() => {
        this.ticking = null;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** Stops claiming; waits for the POSTs in flight until the deadline (their leases cover the rest). */
  async close(deadlineMs = 10_000): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await Promise.race([Promise.allSettled([...this.active]), new Promise((r) => setTimeout(r, deadlineMs).unref())]);
  }

  private async tick(): Promise<void> {
    while (!this.closed) {
      const room = Math.min(this.o.concurrency - this.inFlight, 50);
      if (room <= 0) return;
      const claimed = await this.claim(room);
      for (const c of claimed) {
        this.inFlight++;
        const run: Promise<void> = this.deliver(c)
          .catch((error) => this.o.logger.error({ err: error, deliveryId: c.id }, 'webhook delivery failed to record'))
          .finally(() => {
            this.inFlight--;
            this.active.delete(run);
            this.nudge();
          });
        this.active.add(run);
      }
      if (claimed.length < room) return;
    }
  }

  private async claim(limit: number): Promise<Claimed[]> {
    const now = this.now();
    const leaseUntil = new Date(now.getTime() + this.o.timeoutMs + 30_000);
    const result = await this.o.db.execute(sql`
      with due as (
        select d.id from webhook_deliveries d
        join webhook_events e on e.id = d.event_id
        where d.status = 'pending' and d.next_attempt_at <= ${now.toISOString()}::timestamptz
          and not exists (
            select 1 from webhook_events e2
            join webhook_deliveries d2 on d2.event_id = e2.id and d2.endpoint_id = d.endpoint_id
            where e2.subject_id = e.subject_id and d2.status = 'pending'
              and (e2.subject_version, e2.id) < (e.subject_version, e.id))
        order by d.next_attempt_at, d.id
        limit ${limit}
        for update of d skip locked
      )
      update webhook_deliveries w set
        attempts = w.attempts + 1,
        last_attempt_at = ${now.toISOString()}::timestamptz,
        next_attempt_at = ${leaseUntil.toISOString()}::timestamptz,
        updated_at = ${now.toISOString()}::timestamptz
      from due where w.id = due.id
      returning w.id, w.event_id, w.endpoint_id, w.attempts`);
    return rowsOf<Claimed>(result);
  }

  private async deliver(c: Claimed): Promise<void> {
    const [[event], [endpoint]] = await Promise.all([
      this.o.db
        .select({ id: webhookEvents.id, type: webhookEvents.type, payload: webhookEvents.payload })
        .from(webhookEvents)
        .where(eq(webhookEvents.id, c.event_id)),
      this.o.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, c.endpoint_id)),
    ]);
    if (!event || !endpoint) throw new Error(`bug: delivery ${c.id} without its event or endpoint`);
    if (endpoint.disabled) {
      await this.record(c, 'failed', null, 'the endpoint is disabled');
      return;
    }

    const body = JSON.stringify(event.payload);
    let status: number | null = null;
    let error: string | null = null;
    let retryAfterMs: number | null = null;
    try {
      // Redirects are not followed (a 3xx is retried like any other non-2xx answer).
      const res = await postWebhook(endpoint.url, {
        headers: {
          ...signedHeaders(event.id, body, endpoint, this.now()),
          'content-type': 'application/json',
          'user-agent': 'payout-engine-webhooks/1',
        },
        body,
        timeoutMs: this.o.timeoutMs,
        allowPrivate: this.o.allowPrivateTargets ?? false,
        maxBody: 200,
      });
      status = res.status;
      retryAfterMs = res.retryAfterMs;
      if (outcomeOf(status) !== 'succeeded') error = `HTTP ${status}${res.body ? `: ${res.body}` : ''}`;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err instanceof TargetRefused) {
        // Not the receiver's answer but our rule: sending again cannot help.
        await this.record(c, 'failed', null, `refused: ${err.message}`);
        this.o.logger.warn(
          { deliveryId: c.id, endpointId: endpoint.id, reason: err.message },
          'webhook target refused',
        );
        return;
      }
      error = err.code ?? err.message;
    }

    const outcome = outcomeOf(status);
    if (outcome !== 'retry') {
      await this.record(c, outcome, status, error);
      if (outcome === 'failed')
        this.o.logger.warn({ deliveryId: c.id, eventId: event.id, status }, 'webhook refused by the endpoint: failed');
      return;
    }
    const scheduled = retryDelayMs(c.attempts, this.o.retry, this.random);
    // A receiver that says when to come back (429, 503) is not asked sooner — nor made to wait
    // more than an hour on its word alone.
    const delay = scheduled === null ? null : Math.max(scheduled, Math.min(retryAfterMs ?? 0, 3_600_000));
    if (delay === null) {
      await this.record(c, 'failed', status, error);
      this.o.logger.warn(
        { deliveryId: c.id, eventId: event.id, attempts: c.attempts, error },
        'webhook delivery gave up after its last attempt',
      );
      return;
    }
    await this.record(c, 'pending', status, error, new Date(this.now().getTime() + delay));
  }

  private async record(
    c: Claimed,
    status: 'pending' | 'succeeded' | 'failed',
    code: number | null,
    error: string | null,
    nextAttemptAt: Date | null = null,
  ): Promise<void> {
    // Only while this claim still stands: an operator's replay (attempts back to 0) or another
    // process's claim after the lease ran out (attempts + 1) wins over this late answer.
    await this.o.db
      .update(webhookDeliveries)
      .set({ status, nextAttemptAt, lastStatusCode: code, lastError: error, updatedAt: this.now() })
      .where(
        and(
          eq(webhookDeliveries.id, c.id),
          eq(webhookDeliveries.status, 'pending'),
          eq(webhookDeliveries.attempts, c.attempts),
        ),
      );
  }
}
