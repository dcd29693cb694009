import { FINAL_STATUSES, must, newId, type PayoutStatus, payoutEventType, type WebhookEventType } from '@payouts/core';
import {
  type ChainLink,
  chainKey,
  insertRows,
  payoutBatches,
  payouts,
  type Transaction,
  waitingLinks,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from '@payouts/db';
import {
  batchReplays,
  batchStatusGroups,
  batchStatusResource,
  isFinal,
  type PayoutRow,
  payoutResource,
  unfinishedSql,
} from '@payouts/payouts';
import { and, asc, desc, eq, inArray } from 'drizzle-orm';

type EventInsert = typeof webhookEvents.$inferInsert;
type BatchApprovalEventType = Extract<WebhookEventType, `batch.${string}`>;

/**
 * The event a transition sends: `payout.<state>`, except where an approval decided it — enough
 * approvals (`pending_approval` → `accepted`: `payout.approved`), a rejection or the expiry
 * (→ `cancelled`: `payout.approval_rejected`, `payout.approval_expired`; the payload's status is
 * `cancelled` and its `failure.code` says which). `payout.rejected` stays the provider's refusal.
 */
function transitionEventType(from: PayoutStatus, row: PayoutRow): WebhookEventType {
  if (from === 'pending_approval') {
    // Approved: into the flow (accepted), or to wait for its time (scheduled).
    if (row.status === 'accepted' || row.status === 'scheduled') return 'payout.approved';
    if (row.failureCode === 'approval_rejected') return 'payout.approval_rejected';
    if (row.failureCode === 'approval_expired') return 'payout.approval_expired';
  }
  return payoutEventType(row.status as Exclude<PayoutStatus, 'accepted'>);
}
type DeliveryInsert = typeof webhookDeliveries.$inferInsert;

interface Endpoint {
  id: string;
  enabledEvents: string[] | null;
}

/**
 * A payout of each batch last seen unfinished, across transactions of this process: while it is
 * still unfinished the batch cannot be complete, which one primary-key read shows. Only a hint —
 * it is checked again under the batch's lock, and a final payout never becomes unfinished.
 */
const unfinishedHint = new Map<string, string>();

/**
 * The outbound-webhook outbox of one reconciler transaction (docs/webhooks.md): every payout
 * transition and every batch completion of the transaction becomes a `webhook_events` row, with
 * one `webhook_deliveries` row per enabled endpoint of its tenant that wants its type — written
 * in the same transaction, so an event exists exactly when its change committed, and its payload
 * is the state at that version, never a later one.
 *
 * The tenants' endpoints are read once per transaction; a tenant without any costs nothing more
 * (no serializing, no insert), so the hot path stays as it was for them.
 */
export class WebhookOutbox {
  private readonly endpoints = new Map<string, Endpoint[]>();
  private readonly events: EventInsert[] = [];
  private readonly deliveries: DeliveryInsert[] = [];
  /** Each delivery's place in its version chain (subject and version to its endpoint). */
  private readonly links: ChainLink[] = [];
  /** Payouts created scheduled, whose creation sent `payout.scheduled` (version 0). */
  private readonly createdScheduled = new Set<string>();
  /** Batches that had a payout become final here, of tenants that want `batch.completed`. */
  private readonly batches = new Map<string, string>();
  /** Batches' approval news of this transaction (`batchApproval`). */
  private readonly batchNews = new Map<string, { tenantId: string; batchId: string; type: BatchApprovalEventType }>();

  constructor(
    private readonly tx: Transaction,
    private readonly now: Date,
  ) {}

  async load(tenantIds: Iterable<string>): Promise<void> {
    const ids = [...new Set(tenantIds)];
    if (ids.length === 0) return;
    const rows = await this.tx
      .select({
        id: webhookEndpoints.id,
        tenantId: webhookEndpoints.tenantId,
        enabledEvents: webhookEndpoints.enabledEvents,
      })
      .from(webhookEndpoints)
      .where(and(inArray(webhookEndpoints.tenantId, ids), eq(webhookEndpoints.disabled, false)));
    for (const r of rows) {
      const list = this.endpoints.get(r.tenantId) ?? [];
      list.push({ id: r.id, enabledEvents: r.enabledEvents });
      this.endpoints.set(r.tenantId, list);
    }
  }

  private subscribers(tenantId: string, type: WebhookEventType): Endpoint[] {
    const list = this.endpoints.get(tenantId);
    if (!list) return [];
    return list.filter((e) => e.enabledEvents === null || e.enabledEvents.includes(type));
  }

  /** Call after the row holds its new state and version. */
  payoutChanged(row: PayoutRow, from: PayoutStatus): void {
    if (!this.endpoints.has(row.tenantId)) return;
    const to = row.status;
    // `accepted` has no event of its own (webhook-events.ts): a payout released by its time passes
    // through it to the state it reaches next in this transaction, which has one. Leaving
    // `pending_approval` for it is the approval, which does (payout.approved).
    if (to === 'accepted' && from !== 'pending_approval') return;
    this.payoutEvent(row, transitionEventType(from, row));
    if (
      row.batchId &&
      FINAL_STATUSES.has(to) &&
      !FINAL_STATUSES.has(from) &&
      this.subscribers(row.tenantId, 'batch.completed').length > 0
    ) {
      this.batches.set(row.batchId, row.tenantId);
    }
  }

  /**
   * A payout created in `pending_approval` (its version 1 is this notice): `payout.pending_approval`,
   * the first version of its chain. A payout of a batch sends none: its batch does.
   */
  payoutPendingApproval(row: PayoutRow): void {
    if (!this.endpoints.has(row.tenantId)) return;
    this.payoutEvent(row, 'payout.pending_approval');
  }

  /**
   * A batch's approval news (`batch.pending_approval`, then one of `batch.approved`,
   * `batch.approval_rejected`, `batch.approval_expired`), once each: many transactions apply one
   * batch's slices, and the unique (subject, version, type) keeps one event.
   */
  batchApproval(tenantId: string, batchId: string, type: BatchApprovalEventType): void {
    if (this.subscribers(tenantId, type).length === 0) return;
    this.batchNews.set(`${batchId} ${type}`, { tenantId, batchId, type });
  }

  /** Call after the row holds its news and new version: `payout.updated`, in the same version chain. */
  payoutUpdated(row: PayoutRow): void {
    if (!this.endpoints.has(row.tenantId)) return;
    this.payoutEvent(row, 'payout.updated');
  }

  private payoutEvent(row: PayoutRow, type: WebhookEventType): void {
    const targets = this.subscribers(row.tenantId, type);
    if (targets.length === 0) return;
    if (row.scheduledFor !== null) this.createdScheduled.add(row.id);
    const { event, deliveries } = this.build(row.tenantId, type, row.id, row.version, payoutResource(row), targets);
    this.events.push(event);
    this.deliveries.push(...deliveries);
    for (const d of deliveries)
      this.links.push({
        endpointId: d.endpointId,
        subjectId: row.id,
        subjectVersion: row.version,
        eventId: must(event.id, 'the id of the event just built'),
      });
  }

  private build(
    tenantId: string,
    type: WebhookEventType,
    subjectId: string,
    subjectVersion: number,
    data: unknown,
    targets: Endpoint[],
  ): { event: EventInsert; deliveries: DeliveryInsert[] } {
    const id = newId('webhookEvent');
    return {
      event: {
        id,
        tenantId,
        type,
        subjectId,
        subjectVersion,
        payload: { type, timestamp: this.now.toISOString(), data },
        createdAt: this.now,
      },
      deliveries: targets.map((endpoint) => ({
        id: newId('webhookDelivery'),
        eventId: id,
        endpointId: endpoint.id,
        tenantId,
        subjectId,
        subjectVersion,
        status: 'pending' as const,
        attempts: 0,
        nextAttemptAt: this.now,
        createdAt: this.now,
        updatedAt: this.now,
      })),
    };
  }

  /**
   * Writes the events and deliveries: one INSERT each (insertRows: the rows as one parameter). Call after the payouts'
   * UPDATE, so batch completion sees this transaction's states. Returns the deliveries written.
   */
  async write(): Promise<number> {
    let written = 0;
    if (this.batches.size > 0) written += await this.completedBatches();
    if (this.batchNews.size > 0) written += await this.batchApprovalNews();
    await this.chain();
    await insertRows(this.tx, webhookEvents, this.events);
    await insertRows(this.tx, webhookDeliveries, this.deliveries);
    return written + this.deliveries.length;
  }

  /**
   * Version order (docs/webhooks.md): a delivery behind an earlier version of its payout to the
   * same endpoint — written here, or still pending from before — waits without a time; the
   * deliverer gives it one when that earlier delivery is done. The payout's row lock, held by
   * this transaction, orders its versions, so the earlier one is committed or written here.
   */
  private async chain(): Promise<void> {
    const first = new Map<string, { at: number; link: ChainLink }>();
    const waitHere = new Set<number>();
    this.links.forEach((l, i) => {
      const chain = `${l.endpointId} ${l.subjectId}`;
      const earlier = first.get(chain);
      if (earlier === undefined) first.set(chain, { at: i, link: l });
      else if (earlier.link.subjectVersion < l.subjectVersion) waitHere.add(i);
      else {
        waitHere.add(earlier.at);
        first.set(chain, { at: i, link: l });
      }
    });
    // A payout's first version with an event has nothing before it: version 1 (its creation had
    // none), or version 0 for one created scheduled, whose `payout.scheduled` may still be pending.
    const heads = [...first.values()]
      .map(({ link }) => link)
      .filter((l) => l.subjectVersion > 1 || this.createdScheduled.has(l.subjectId));
    const waiting = heads.length > 0 ? await waitingLinks(this.tx, heads) : new Set<string>();
    this.links.forEach((l, i) => {
      if (waitHere.has(i) || waiting.has(chainKey(l)))
        must(this.deliveries[i], `the delivery of link ${i}`).nextAttemptAt = null;
    });
  }

  /**
   * `batch.completed`, once per batch. Two transactions may finish the last payouts of one batch
   * at the same time, each seeing the other's still unfinished: the batch row's lock orders them
   * (taken last, after payouts and accounts, in id order: no deadlock), so the second, reading
   * after the first committed, sees the batch complete. Both may see it complete on a replay: the
   * unique (subject, version, type) keeps one event.
   *
   * A batch can finish more than once: an operator's replay of a payout failed for a systemic reason
   * takes it back to `reserved`, the batch is processing again, and it completes again when that
   * payout is final. Each completion is its own event: its version is 1 + the replays of the
   * batch's payouts so far, so the first completion is version 1 and a completion after replays has
   * a higher one (a bulk replay of several payouts that finish together gives one event, so versions
   * may skip numbers; they only grow).
   */
  private async completedBatches(): Promise<number> {
    const locked = await this.tx
      .select()
      .from(payoutBatches)
      .where(inArray(payoutBatches.id, [...this.batches.keys()]))
      .orderBy(asc(payoutBatches.id))
      .for('update');
    let written = 0;
    for (const batch of locked) {
      if (!(await this.complete(batch.id))) continue;
      const data = batchStatusResource(batch, await batchStatusGroups(this.tx, batch.id), this.now);
      if (data.status !== 'completed') continue;
      const targets = this.subscribers(batch.tenantId, 'batch.completed');
      if (targets.length === 0) continue;
      const version = 1 + (await batchReplays(this.tx, batch.id));
      const { event, deliveries } = this.build(batch.tenantId, 'batch.completed', batch.id, version, data, targets);
      const inserted = await insertRows(this.tx, webhookEvents, [event], {
        onConflictDoNothing: ['subject_id', 'subject_version', 'type'],
        returning: ['id'],
      });
      if (inserted.length === 0) continue;
      await insertRows(this.tx, webhookDeliveries, deliveries);
      written += deliveries.length;
    }
    return written;
  }

  private async batchApprovalNews(): Promise<number> {
    const ids = [...new Set([...this.batchNews.values()].map((n) => n.batchId))];
    const batches = new Map(
      (await this.tx.select().from(payoutBatches).where(inArray(payoutBatches.id, ids))).map((b) => [b.id, b]),
    );
    let written = 0;
    for (const news of this.batchNews.values()) {
      const batch = batches.get(news.batchId);
      if (!batch) continue;
      const data = batchStatusResource(batch, await batchStatusGroups(this.tx, batch.id), this.now);
      // Version 1: the batch's pending notice; 2: its decision (one of three, never two).
      const version = news.type === 'batch.pending_approval' ? 1 : 2;
      const targets = this.subscribers(news.tenantId, news.type);
      const { event, deliveries } = this.build(news.tenantId, news.type, batch.id, version, data, targets);
      const inserted = await insertRows(this.tx, webhookEvents, [event], {
        onConflictDoNothing: ['subject_id', 'subject_version', 'type'],
        returning: ['id'],
      });
      if (inserted.length === 0) continue;
      await insertRows(this.tx, webhookDeliveries, deliveries);
      written += deliveries.length;
    }
    return written;
  }

  /**
   * Whether every payout of the batch is final. Scans the batch from its last row back, where
   * unfinished payouts usually are (a run is enqueued in row order), and remembers the one found.
   */
  private async complete(batchId: string): Promise<boolean> {
    const hint = unfinishedHint.get(batchId);
    if (hint) {
      const [row] = await this.tx.select({ status: payouts.status }).from(payouts).where(eq(payouts.id, hint));
      if (row && !isFinal(row)) return false;
    }
    const [open] = await this.tx
      .select({ id: payouts.id })
      .from(payouts)
      .where(and(eq(payouts.batchId, batchId), unfinishedSql))
      .orderBy(desc(payouts.batchRow))
      .limit(1);
    if (open) {
      if (unfinishedHint.size >= 10_000) unfinishedHint.clear();
      unfinishedHint.set(batchId, open.id);
      return false;
    }
    unfinishedHint.delete(batchId);
    return true;
  }
}
