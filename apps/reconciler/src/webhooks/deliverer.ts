import {
  cancelPendingDeliveries,
  type Database,
  type Executor,
  promoteNextInChain,
  rowsOf,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from '@payouts/db';
import type { Logger } from '@payouts/observability';
import { and, eq, type SQL, sql } from 'drizzle-orm';
import { circuitDelayMs, DEFAULT_RETRY_SCHEDULE, type RetrySchedule, retryDelayMs } from './backoff.ts';
import { signedHeaders } from './sign.ts';
import { postWebhook, TargetRefused } from './transport.ts';

/** How the deliverer runs; from the reconciler's environment (env.ts), defaults there. */
export interface WebhookDeliverySettings {
  /** POSTs in flight at once, per process. */
  concurrency: number;
  /**
   * POSTs in flight at once to one endpoint, per process: a slow endpoint cannot take every slot.
   * Default 8.
   */
  endpointConcurrency?: number;
  /** Failed attempts in a row (5xx, 408, 429, timeout, network) that open an endpoint's circuit. Default 5. */
  circuitThreshold?: number;
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

export const DEFAULT_WEBHOOK_DELIVERY = {
  concurrency: 16,
  endpointConcurrency: 8,
  circuitThreshold: 5,
  timeoutMs: 10_000,
  pollIntervalMs: 1000,
  retry: DEFAULT_RETRY_SCHEDULE,
} satisfies WebhookDeliverySettings;

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

export interface ClaimedDelivery {
  id: string;
  event_id: string;
  endpoint_id: string;
  attempts: number;
  /** Whether this attempt probes an endpoint whose circuit was open. */
  probe: boolean;
}

/** What an attempt says about its endpoint, for the circuit. */
type EndpointSignal = 'answered' | 'unreachable' | null;

const SKIP_SCAN = (index: 'ready' | 'pending') =>
  index === 'ready' ? sql.raw(`status = 'pending' and next_attempt_at is not null`) : sql.raw(`status = 'pending'`);

/**
 * The endpoints that have `pending` deliveries (only those with a time, for `ready`), one index
 * probe each: a loose index scan over a partial index that leads with the endpoint
 * (`webhook_deliveries_ready_idx`, `webhook_deliveries_chain_idx`), which Postgres 15 does not do
 * by itself. Its cost follows the number of such endpoints, not the number of deliveries they hold.
 */
export function endpointsWithPending(index: 'ready' | 'pending') {
  const where = SKIP_SCAN(index);
  return sql`busy(endpoint_id) as (
    (select endpoint_id from webhook_deliveries where ${where} order by endpoint_id limit 1)
    union all
    select (select d.endpoint_id from webhook_deliveries d where ${where} and d.endpoint_id > busy.endpoint_id
            order by d.endpoint_id limit 1)
    from busy where busy.endpoint_id is not null)`;
}

export interface ClaimParams {
  limit: number;
  now: Date;
  /** Until when a claimed delivery is leased (and a probed endpoint's circuit kept open). */
  leaseUntil: Date;
  /** This process's POSTs in flight, per endpoint. */
  inFlight: Record<string, number>;
  endpointConcurrency: number;
}

/**
 * The claim statement (`WebhookDeliverer.claim`): candidates are the endpoints with something due
 * that may be sent to (enabled; circuit closed, or open but due for its probe; not at its
 * in-flight limit here), ranked by their turn within their tenant and then least recently served;
 * the first `limit` of them are locked, each gives its due deliveries from the ready index (one
 * for a probe), and the round takes the first of every endpoint before the second of any.
 */
export function claimQuery(p: ClaimParams): SQL {
  const now = p.now.toISOString();
  const leaseUntil = p.leaseUntil.toISOString();
  const inFlight = JSON.stringify(p.inFlight);
  const cap = p.endpointConcurrency;
  const limit = p.limit;
  return sql`
  with recursive ${endpointsWithPending('ready')},
  candidates as (
    select e.id, e.last_claimed_at, e.circuit_open_until is not null as probe,
      row_number() over (partition by e.tenant_id order by e.last_claimed_at nulls first, e.id) as turn
    from busy join webhook_endpoints e on e.id = busy.endpoint_id
    where not e.disabled
      and (e.circuit_open_until is null or e.circuit_open_until <= ${now}::timestamptz)
      and coalesce((${inFlight}::jsonb ->> e.id)::int, 0) < ${cap}
      and exists (
        select 1 from webhook_deliveries d
        where d.endpoint_id = e.id and d.status = 'pending' and d.next_attempt_at is not null
          and d.next_attempt_at <= ${now}::timestamptz)
  ),
  chosen as (
    select e.id, c.probe, c.turn, c.last_claimed_at
    from webhook_endpoints e join candidates c on c.id = e.id
    where not e.disabled and (e.circuit_open_until is null or e.circuit_open_until <= ${now}::timestamptz)
    order by c.turn, c.last_claimed_at nulls first, e.id
    limit ${limit}
    for no key update of e skip locked
  ),
  picked as (
    select d.id, c.id as endpoint_id, c.probe, c.turn, c.last_claimed_at,
      row_number() over (partition by c.id order by d.next_attempt_at, d.id) as rn
    from chosen c cross join lateral (
      select d.id, d.next_attempt_at from webhook_deliveries d
      where d.endpoint_id = c.id and d.status = 'pending' and d.next_attempt_at is not null
        and d.next_attempt_at <= ${now}::timestamptz
      order by d.next_attempt_at
      limit ${cap}
      for update of d skip locked
    ) d
  ),
  due as (
    select p.id, p.endpoint_id, p.probe from picked p
    where p.rn <= case when p.probe then 1 else ${cap} - coalesce((${inFlight}::jsonb ->> p.endpoint_id)::int, 0) end
    order by p.rn, p.turn, p.last_claimed_at nulls first, p.endpoint_id
    limit ${limit}
  ),
  served as (
    update webhook_endpoints e set last_claimed_at = ${now}::timestamptz,
      circuit_open_until = case when e.circuit_open_until is null then null else ${leaseUntil}::timestamptz end
    where e.id in (select endpoint_id from due)
  )
  update webhook_deliveries w set
    attempts = w.attempts + 1,
    last_attempt_at = ${now}::timestamptz,
    next_attempt_at = ${leaseUntil}::timestamptz,
    updated_at = ${now}::timestamptz
  from due where w.id = due.id
  returning w.id, w.event_id, w.endpoint_id, w.attempts, due.probe`;
}

/**
 * Delivers outbound webhooks (docs/webhooks.md) from the outbox in Postgres — the truth: no queue
 * holds anything that is not there. Runs in each reconciler process; any number of them share the
 * work through `SKIP LOCKED`. A claim is a lease: it counts the attempt and moves
 * `next_attempt_at` past the attempt's timeout, so a process that dies mid-POST leaves the delivery
 * to be tried again when the lease runs out (at least once), and its late answer, if any, is
 * dropped (the result is written only while the claim's attempt count still stands).
 *
 * Fair: a claim goes endpoint by endpoint — each tenant's least recently served endpoint first,
 * one delivery from each before a second from any, at most `endpointConcurrency` in flight to one
 * endpoint — so a tenant whose endpoints fail or crawl delays only itself. An endpoint whose
 * attempts keep failing opens its circuit: none of its deliveries is claimed until it is probed
 * again with one. Only the head of each version chain has a time (see
 * packages/db/src/webhook-deliveries.ts), so a claim reads what it takes, whatever waits behind.
 */
export class WebhookDeliverer {
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly endpointConcurrency: number;
  private readonly circuitThreshold: number;
  private inFlight = 0;
  /** In flight per endpoint, in this process. */
  private readonly perEndpoint = new Map<string, number>();
  private ticking: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private housekeeping: Promise<void> | null = null;
  private lastRepair = Number.NEGATIVE_INFINITY;
  private readonly active = new Set<Promise<void>>();

  constructor(private readonly o: WebhookDelivererOptions) {
    this.now = o.now ?? (() => new Date());
    this.random = o.random ?? Math.random;
    this.endpointConcurrency = o.endpointConcurrency ?? DEFAULT_WEBHOOK_DELIVERY.endpointConcurrency;
    this.circuitThreshold = o.circuitThreshold ?? DEFAULT_WEBHOOK_DELIVERY.circuitThreshold;
  }

  start(): this {
    this.timer = setInterval(() => {
      this.tidy();
      this.nudge();
    }, this.o.pollIntervalMs);
    this.timer.unref();
    this.tidy();
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
    await this.housekeeping;
    await Promise.race([Promise.allSettled([...this.active]), new Promise((r) => setTimeout(r, deadlineMs).unref())]);
  }

  /** Ends what disabled endpoints still have pending, and now and then mends stranded chains. */
  private tidy(): void {
    if (this.closed || this.housekeeping) return;
    this.housekeeping = (async () => {
      await this.cancelForDisabled();
      if (performance.now() - this.lastRepair >= REPAIR_INTERVAL_MS) {
        this.lastRepair = performance.now();
        await this.repairChains();
      }
    })()
      .catch((error) => this.o.logger.error({ err: error }, 'webhook delivery: housekeeping failed'))
      .finally(() => {
        this.housekeeping = null;
      });
  }

  private async tick(): Promise<void> {
    while (!this.closed) {
      const room = Math.min(this.o.concurrency - this.inFlight, 50);
      if (room <= 0) return;
      const claimed = await this.claim(room);
      for (const c of claimed) {
        this.inFlight++;
        this.perEndpoint.set(c.endpoint_id, (this.perEndpoint.get(c.endpoint_id) ?? 0) + 1);
        const run: Promise<void> = this.deliver(c)
          .catch((error) => this.o.logger.error({ err: error, deliveryId: c.id }, 'webhook delivery failed to record'))
          .finally(() => {
            this.inFlight--;
            const left = (this.perEndpoint.get(c.endpoint_id) ?? 1) - 1;
            if (left > 0) this.perEndpoint.set(c.endpoint_id, left);
            else this.perEndpoint.delete(c.endpoint_id);
            this.active.delete(run);
            this.nudge();
          });
        this.active.add(run);
      }
      if (claimed.length < room) return;
    }
  }

  /**
   * One claim round: at most `limit` due deliveries, fairly across endpoints and tenants (see the
   * class comment), as leases. Public for tests and the benchmark; the deliverer calls it itself.
   *
   * Reads, whatever the backlog: one index probe per endpoint with timed pending deliveries (to
   * find them), one per such endpoint that may be sent to (is anything due?), and for at most
   * `limit` of those, at most `endpointConcurrency` rows each from the ready index.
   */
  async claim(limit: number): Promise<ClaimedDelivery[]> {
    const now = this.now();
    const result = await this.o.db.execute(
      claimQuery({
        limit,
        now,
        leaseUntil: new Date(now.getTime() + this.o.timeoutMs + 30_000),
        inFlight: Object.fromEntries(this.perEndpoint),
        endpointConcurrency: this.endpointConcurrency,
      }),
    );
    return rowsOf<ClaimedDelivery>(result);
  }

  private async deliver(c: ClaimedDelivery): Promise<void> {
    const [[event], [endpoint]] = await Promise.all([
      this.o.db
        .select({
          id: webhookEvents.id,
          payload: webhookEvents.payload,
          subjectId: webhookEvents.subjectId,
        })
        .from(webhookEvents)
        .where(eq(webhookEvents.id, c.event_id)),
      this.o.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, c.endpoint_id)),
    ]);
    if (!event || !endpoint) throw new Error(`bug: delivery ${c.id} without its event or endpoint`);
    if (endpoint.disabled) {
      // Disabled between the claim and now: this one and everything else it had pending end here.
      await cancelPendingDeliveries(this.o.db, [endpoint.id], this.now(), ENDPOINT_DISABLED);
      return;
    }
    const attempt = { ...c, subjectId: event.subjectId };

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
        // Not the receiver's answer but our rule: sending again cannot help. Nor is the endpoint
        // failing: no request was made, so its circuit has nothing to learn from this.
        await this.record(attempt, 'failed', null, `refused: ${err.message}`, 'answered');
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
      await this.record(attempt, outcome, status, error, 'answered');
      if (outcome === 'failed')
        this.o.logger.warn({ deliveryId: c.id, eventId: event.id, status }, 'webhook refused by the endpoint: failed');
      return;
    }
    const scheduled = retryDelayMs(c.attempts, this.o.retry, this.random);
    // A receiver that says when to come back (429, 503) is not asked sooner — nor made to wait
    // more than an hour on its word alone.
    const delay = scheduled === null ? null : Math.max(scheduled, Math.min(retryAfterMs ?? 0, 3_600_000));
    if (delay === null) {
      await this.record(attempt, 'failed', status, error, 'unreachable');
      this.o.logger.warn(
        { deliveryId: c.id, eventId: event.id, attempts: c.attempts, error },
        'webhook delivery gave up after its last attempt',
      );
      return;
    }
    await this.record(attempt, 'pending', status, error, 'unreachable', new Date(this.now().getTime() + delay));
  }

  /**
   * The attempt's outcome, the hand-over to the next version of its subject when it is done, and
   * what it says about the endpoint's health — one transaction, so a crash cannot record the one
   * without the other. Lock order: the delivery, the next one, then the endpoint; claims and
   * cancellations skip locked rows rather than wait, so nothing waits on this in a cycle.
   */
  private async record(
    c: ClaimedDelivery & { subjectId: string },
    status: 'pending' | 'succeeded' | 'failed',
    code: number | null,
    error: string | null,
    signal: EndpointSignal,
    nextAttemptAt: Date | null = null,
  ): Promise<void> {
    const now = this.now();
    await this.o.db.transaction(async (tx) => {
      // Only while this claim still stands: an operator's replay (attempts back to 0) or another
      // process's claim after the lease ran out (attempts + 1) wins over this late answer.
      const written = await tx
        .update(webhookDeliveries)
        .set({ status, nextAttemptAt, lastStatusCode: code, lastError: error, updatedAt: now })
        .where(
          and(
            eq(webhookDeliveries.id, c.id),
            eq(webhookDeliveries.status, 'pending'),
            eq(webhookDeliveries.attempts, c.attempts),
          ),
        )
        .returning({ id: webhookDeliveries.id });
      if (written.length === 0) return;
      if (status !== 'pending') await promoteNextInChain(tx, c.endpoint_id, c.subjectId, now);
      if (signal) await this.endpointHealth(tx, c, signal, now);
    });
  }

  /**
   * Any answer from the endpoint closes its circuit; a failure worth retrying counts, and the
   * `circuitThreshold`-th in a row opens it. Once open, only its probe counts: each failed probe
   * opens it for longer (`circuitDelayMs`), while attempts that were already in flight when it
   * opened add nothing. While open, none of its deliveries is claimed.
   */
  private async endpointHealth(tx: Executor, c: ClaimedDelivery, signal: EndpointSignal, now: Date): Promise<void> {
    if (signal === 'answered') {
      const closed = rowsOf<{ id: string }>(
        await tx.execute(sql`
          update webhook_endpoints set consecutive_failures = 0, circuit_open_until = null
          where id = ${c.endpoint_id} and (consecutive_failures <> 0 or circuit_open_until is not null)
          returning id`),
      );
      if (closed.length > 0 && c.probe)
        this.o.logger.info({ endpointId: c.endpoint_id }, 'webhook endpoint answered its probe: circuit closed');
      return;
    }
    const [row] = rowsOf<{ failures: number }>(
      await tx.execute(sql`
        update webhook_endpoints set consecutive_failures = consecutive_failures + 1
        where id = ${c.endpoint_id} and (circuit_open_until is null or ${c.probe})
        returning consecutive_failures as failures`),
    );
    const failures = Number(row?.failures ?? 0);
    if (failures < this.circuitThreshold) return;
    const openings = failures - this.circuitThreshold + 1;
    const until = new Date(now.getTime() + circuitDelayMs(openings, this.o.retry, this.random));
    await tx.update(webhookEndpoints).set({ circuitOpenUntil: until }).where(eq(webhookEndpoints.id, c.endpoint_id));
    this.o.logger[openings === 1 ? 'warn' : 'info'](
      { endpointId: c.endpoint_id, failures, until: until.toISOString() },
      openings === 1
        ? 'webhook endpoint keeps failing: circuit open, its deliveries wait'
        : 'webhook endpoint failed its probe: circuit open again',
    );
  }

  /**
   * Pending deliveries of disabled endpoints: disabling cancels them at once, but one a deliverer
   * held at that moment, or one a reconciler transaction was writing, may be left; they end here.
   */
  async cancelForDisabled(): Promise<number> {
    const disabled = rowsOf<{ id: string }>(
      await this.o.db.execute(sql`
        with recursive ${endpointsWithPending('pending')}
        select e.id from busy join webhook_endpoints e on e.id = busy.endpoint_id where e.disabled`),
    ).map((r) => r.id);
    if (disabled.length === 0) return 0;
    const cancelled = await cancelPendingDeliveries(this.o.db, disabled, this.now(), ENDPOINT_DISABLED);
    if (cancelled > 0)
      this.o.logger.info(
        { endpoints: disabled.length, cancelled },
        'webhook deliveries of disabled endpoints cancelled',
      );
    return cancelled;
  }

  /**
   * A safety net, every few minutes: a pending delivery without its subject gets it, and a waiting
   * one (no time) whose subject has nothing earlier pending to its endpoint gets its time. Nothing
   * in this version leaves either behind; a reconciler of the previous version, running beside
   * this one during a rolling deploy, writes the one and does not hand over the other. Reads every
   * pending delivery, hence not on every poll. The rows are chosen once (`= any(array(…))`), never
   * once per row a nested loop would visit.
   */
  async repairChains(): Promise<number> {
    const now = this.now().toISOString();
    await this.o.db.execute(sql`
      update webhook_deliveries d set subject_id = e.subject_id, subject_version = e.subject_version
      from webhook_events e
      where d.id = any(array(
          select id from webhook_deliveries where status = 'pending' and subject_id is null limit 1000))
        and e.id = d.event_id`);
    const rows = rowsOf<{ id: string }>(
      await this.o.db.execute(sql`
        update webhook_deliveries w set next_attempt_at = ${now}::timestamptz, updated_at = ${now}::timestamptz
        where w.id = any(array(
          select d.id from webhook_deliveries d
          where d.status = 'pending' and d.next_attempt_at is null
            and not exists (
              select 1 from webhook_deliveries d2
              where d2.endpoint_id = d.endpoint_id and d2.subject_id = d.subject_id and d2.status = 'pending'
                and (d2.subject_version, d2.event_id) < (d.subject_version, d.event_id))
          limit 1000
          for update of d skip locked))
        returning w.id`),
    );
    if (rows.length > 0) this.o.logger.warn({ mended: rows.length }, 'webhook deliveries waiting on nothing: sent now');
    return rows.length;
  }
}

const ENDPOINT_DISABLED = 'the endpoint was disabled';
const REPAIR_INTERVAL_MS = 5 * 60_000;
