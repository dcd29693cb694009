import { createHash } from 'node:crypto';
import {
  type Currency,
  canTransition,
  MAX_AMOUNT_MINOR,
  must,
  newId,
  type PayoutStatus,
  type ProviderId,
  type TransitionSource,
} from '@payouts/core';
import {
  appendOperatorActions,
  approvalDecisions,
  approvalRequests,
  chainedPayoutEvent,
  type Database,
  insertRows,
  ledgerTransactions,
  type OperatorActionContent,
  payoutBatches,
  payoutEvents,
  payouts,
  providerAttempts,
  providerSubmissions,
  rowsOf,
  type Transaction,
  updateRows,
} from '@payouts/db';
import {
  type AccountRef,
  accounts,
  fundingTransaction,
  holdAmount,
  holdTransaction,
  type LockedAccount,
  lockAccounts,
  type PayoutMoney,
  postTransaction,
  postTransactions,
  reverseTransaction,
  type TransactionSpec,
  voidTransaction,
} from '@payouts/ledger';
import {
  attemptIdempotencyKey,
  cancellable,
  describeMismatches,
  dueForRelease,
  type LedgerStep,
  ledgerSteps,
  nextRouteProvider,
  type PayoutRow,
  railFallbackTarget,
  routeNext,
  submittable,
  type TermsMismatch,
  termsMismatches,
  waitsForWallet,
  waitsForWalletSql,
} from '@payouts/payouts';
import type { ReconcilerJobData, ReconcilerJobName } from '@payouts/queue';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { AttemptFacts } from './attempts.ts';
import { WebhookOutbox } from './webhooks/outbox.ts';

/**
 * What a batch applies: every reconciler job but the batch-run slices and a worker's bundled
 * reports, which are expanded first, and provider fundings, applied on their own (provider-funding.ts).
 */
export type AppliedJobName = Exclude<ReconcilerJobName, 'payouts.accepted' | 'payout.reports' | 'provider.fund'>;
export type ReconcilerEvent = { [N in AppliedJobName]: { name: N; data: ReconcilerJobData<N> } }[AppliedJobName];

export interface EventResult {
  outcome: 'applied' | 'unchanged' | 'ignored' | 'refused';
  payoutId?: string;
  status?: PayoutStatus;
  reason?: string;
  /** wallet.fund: whether this call added money (false for a repeated reference). */
  funded?: boolean;
  /**
   * wallet.fund: what the reference funded (minor units, and its currency), this call or an
   * earlier one; for `balance_limit_exceeded`, the wallet's balance (available + held) instead.
   */
  amount?: string;
  currency?: string;
  /** wallet.fund / wallet.release: payouts released from the wallet queue. */
  released?: number;
}

/**
 * A payout to hand to its provider's queue: an item of a batch run carries its row in the run, so
 * the runs of several tenants draining at once take turns (see `batchItemPriority`).
 */
export interface Submit {
  provider: ProviderId;
  payoutId: string;
  batch: boolean;
  batchRow?: number;
}

function submitOf(row: PayoutRow): Submit {
  const submit: Submit = { provider: row.provider, payoutId: row.id, batch: row.batchId !== null };
  if (row.batchId !== null && row.batchRow !== null) submit.batchRow = row.batchRow;
  return submit;
}

export interface BatchOutcome {
  results: EventResult[];
  /** Payouts that became `reserved`: hand them to their provider once the transaction committed. */
  submits: Submit[];
  /** Every transition applied, for metrics once the transaction committed. */
  transitions: { from: PayoutStatus; to: PayoutStatus; provider: ProviderId; createdAt: Date }[];
  /** Outbound webhook deliveries written (docs/webhooks.md): the deliverer is nudged after the commit. */
  webhookDeliveries: number;
  /** Provider answers refused because their terms differ from the payout's, for metrics. */
  mismatches: { provider: ProviderId; field: TermsMismatch['field'] }[];
}

type EventRow = typeof payoutEvents.$inferInsert;

/** How many queued payouts one funding looks at; the sweeper releases any rest on its next pass. */
const RELEASE_SCAN_LIMIT = 1000;

/** First key of the advisory locks that serialise fundings by reference (the second is the reference's hash). */
const FUNDING_LOCK_SPACE = 0x46554e44; // "FUND"

/**
 * A funding reference's advisory lock: 32 bits of the SHA-256 of its ledger key. Two references
 * sharing one only wait for each other.
 */
function fundingLock(ledgerKey: string): number {
  return createHash('sha256').update(ledgerKey).digest().readInt32BE(0);
}

/** Where each provider takes its fee (its adapter's `feeMode`): on top of the amount unless told. */
export type FeeModes = (provider: ProviderId) => 'on_top' | 'deducted';
const ON_TOP: FeeModes = () => 'on_top';

function money(row: PayoutRow, feeModes: FeeModes = ON_TOP): PayoutMoney {
  return {
    id: row.id,
    tenantId: row.tenantId,
    provider: row.provider,
    currency: row.currency,
    amount: row.amount,
    feeReserve: row.feeReserve,
    feeMode: feeModes(row.provider),
    replays: row.replays,
  };
}

function walletOf(e: ReconcilerEvent, rows: Map<string, PayoutRow>): { tenantId: string; currency: Currency } | null {
  if (e.name === 'wallet.fund' || e.name === 'wallet.release') {
    return { tenantId: e.data.tenantId, currency: e.data.currency as Currency };
  }
  const row = rows.get(e.data.payoutId);
  return row ? { tenantId: row.tenantId, currency: row.currency } : null;
}

/**
 * Applies a batch of events in one database transaction. This is the only code that changes a
 * payout's state or writes the ledger (docs/architecture.md). Locks are taken in one global order — payout
 * rows by id, then every ledger account the batch may touch by key — so concurrent reconcilers
 * wait for each other but never deadlock. Every change is compare-and-set against the locked row
 * and the transition table, and every ledger posting carries a unique key, so replaying any event
 * (a retried job, a duplicate webhook, a second reconciler) changes nothing.
 */
export async function applyEvents(
  db: Database,
  events: ReconcilerEvent[],
  options: { feeModes?: FeeModes } = {},
): Promise<BatchOutcome> {
  return db.transaction(async (tx) => {
    const batch = new Batch(tx, options.feeModes ?? ON_TOP);
    await batch.load(events);
    const results = events.map((e) => batch.apply(e));
    const webhookDeliveries = await batch.write();
    return {
      results,
      submits: batch.submits,
      transitions: batch.transitions,
      webhookDeliveries,
      mismatches: batch.mismatches,
    };
  });
}

class Batch {
  readonly submits: BatchOutcome['submits'] = [];
  readonly transitions: BatchOutcome['transitions'] = [];
  readonly mismatches: BatchOutcome['mismatches'] = [];
  private readonly rows = new Map<string, PayoutRow>();
  private readonly dirty = new Set<string>();
  private readonly history: EventRow[] = [];
  private readonly specs: TransactionSpec[] = [];
  private readonly specKeys = new Set<string>();
  /** Available balance of each wallet this batch may hold against, tracked as holds are placed. */
  private readonly available = new Map<string, bigint>();
  /** What each funding reference of this batch funded, in the ledger already or in this batch. */
  private readonly fundings = new Map<string, { currency: string; amount: bigint }>();
  /** Money this batch's fundings add to each wallet, on top of its locked balances. */
  private readonly funded = new Map<string, bigint>();
  private readonly claimed = new Set<string>();
  /** The accounts this batch locked, handed to the ledger so it need not look them up again. */
  private locked = new Map<string, LockedAccount>();
  private readonly walletQueues = new Map<string, string[]>();
  /**
   * Operator actions applied by this batch (fundings, operator cancels): their audit entries are
   * written in the transaction that applies them, so the change and its record commit together.
   */
  private readonly audit: OperatorActionContent[] = [];
  private readonly now = new Date();
  /** The approval requests of this batch's payouts waiting for approval (theirs, or their batch's). */
  private readonly approvals = new Map<string, ApprovalState>();
  /**
   * The database's clock, read only when the batch holds a scheduled payout: whether one is due is
   * judged by the clock its release scan used (`dueForReleaseSql`), never by this process's.
   */
  private dbNow: Date | null = null;
  /** The batch runs of the scheduled payouts in this batch: their pre-flight when due decides them. */
  private readonly runs = new Map<
    string,
    Pick<typeof payoutBatches.$inferSelect, 'onInsufficientFunds' | 'schedulePreflight'>
  >();

  private readonly outbox: WebhookOutbox;
  /** The payouts' provider attempts (rail fallback): read in `load`, ended ones written in `write`. */
  private attempts = new AttemptFacts();

  constructor(
    private readonly tx: Transaction,
    private readonly feeModes: FeeModes,
  ) {
    this.outbox = new WebhookOutbox(tx, this.now);
  }

  async load(events: ReconcilerEvent[]): Promise<void> {
    const fundingKeys = [
      ...new Set(
        events.flatMap((e) =>
          e.name === 'wallet.fund'
            ? [fundingTransaction(e.data.tenantId, e.data.currency as Currency, 0n, e.data.reference).idempotencyKey]
            : [],
        ),
      ),
    ];
    if (fundingKeys.length > 0) {
      // Fundings of one reference are decided one after the other, whatever their currency (a
      // reference funds once, in one currency, while each currency's wallet has its own locks):
      // these locks come first, in one order (by lock id), before any row lock of the batch.
      const locks = [...new Set(fundingKeys.map(fundingLock))].sort((a, b) => a - b);
      await this.tx.execute(
        sql`select pg_advisory_xact_lock(${FUNDING_LOCK_SPACE}::int, (l.id)::int)
            from jsonb_array_elements(${JSON.stringify(locks)}::jsonb) as l(id)`,
      );
    }

    const ids = new Set<string>();
    for (const e of events) if ('payoutId' in e.data) ids.add(e.data.payoutId);

    for (const e of events) {
      if (e.name !== 'wallet.fund' && e.name !== 'wallet.release') continue;
      const key = walletKey(e.data.tenantId, e.data.currency as Currency);
      if (this.walletQueues.has(key)) continue;
      const queued = await this.tx
        .select({ id: payouts.id })
        .from(payouts)
        .where(
          and(
            eq(payouts.tenantId, e.data.tenantId),
            eq(payouts.currency, e.data.currency as Currency),
            waitsForWalletSql,
          ),
        )
        .orderBy(payouts.id)
        .limit(RELEASE_SCAN_LIMIT);
      this.walletQueues.set(
        key,
        queued.map((q) => q.id),
      );
      for (const q of queued) ids.add(q.id);
    }

    if (ids.size > 0) {
      const locked = await this.tx
        .select()
        .from(payouts)
        .where(inArray(payouts.id, [...ids]))
        .orderBy(payouts.id)
        .for('update');
      for (const r of locked) this.rows.set(r.id, r);
    }
    const scheduled = [...this.rows.values()].filter((r) => r.status === 'scheduled');
    // An approval applied to a payout with a scheduled_for judges its time by the same clock.
    const timed =
      scheduled.length > 0 ||
      [...this.rows.values()].some((r) => r.status === 'pending_approval' && r.scheduledFor !== null);
    if (timed) {
      const [clock] = rowsOf<{ now: string | Date }>(await this.tx.execute(sql`select now() as now`));
      this.dbNow = new Date(must(clock, 'the database clock').now);
    }
    if (scheduled.length > 0) {
      const runIds = [...new Set(scheduled.flatMap((r) => (r.batchId ? [r.batchId] : [])))];
      if (runIds.length > 0) {
        const runs = await this.tx
          .select({
            id: payoutBatches.id,
            onInsufficientFunds: payoutBatches.onInsufficientFunds,
            schedulePreflight: payoutBatches.schedulePreflight,
          })
          .from(payoutBatches)
          .where(inArray(payoutBatches.id, runIds));
        for (const r of runs) this.runs.set(r.id, r);
      }
    }
    await this.outbox.load([...this.rows.values()].map((r) => r.tenantId));
    await this.loadApprovals();
    this.attempts = await AttemptFacts.load(
      this.tx,
      this.rows,
      events.flatMap((e) => (e.name === 'payout.report' ? [e.data] : [])),
    );

    // Balances are read only to place holds (`tryHold`) and to judge fundings. A batch with
    // neither (provider reports, cancels) locks its accounts in write(), after the payouts' own
    // writes and just before the ledger's: on a hot wallet every batch waits for the one holding
    // its accounts, so the less a batch does while holding them, the more batches overlap
    // (docs/benchmarks.md, ledger). The lock order stays the same: payout rows, then accounts.
    if (!events.some(readsBalances)) {
      await this.loadFundingsAndClaims(events, fundingKeys);
      return;
    }
    const refs: AccountRef[] = [];
    for (const e of events) {
      const wallet = walletOf(e, this.rows);
      if (wallet)
        refs.push(
          accounts.available(wallet.tenantId, wallet.currency),
          accounts.held(wallet.tenantId, wallet.currency),
        );
      if (e.name === 'payout.report' || e.name === 'payout.cancel') {
        const row = this.rows.get(e.data.payoutId);
        if (row) {
          const { provider: p, currency: c } = row;
          refs.push(accounts.clearing(p, c), accounts.fees(p, c), accounts.tax(p, c));
        }
      }
      if (e.name === 'wallet.fund') refs.push(accounts.externalFunding(e.data.currency as Currency));
    }
    const lockedAccounts = await lockAccounts(this.tx, refs);
    this.locked = lockedAccounts;
    for (const [key, account] of lockedAccounts)
      if (key.endsWith(':available')) this.available.set(key, account.balance);
    await this.loadFundingsAndClaims(events, fundingKeys);
  }

  private async loadFundingsAndClaims(events: ReconcilerEvent[], fundingKeys: string[]): Promise<void> {
    if (fundingKeys.length > 0) {
      // Read under the reference's lock: a funding committed by another batch is seen here.
      const found = await this.tx
        .select({
          key: ledgerTransactions.idempotencyKey,
          currency: ledgerTransactions.currency,
          metadata: ledgerTransactions.metadata,
        })
        .from(ledgerTransactions)
        .where(inArray(ledgerTransactions.idempotencyKey, fundingKeys));
      for (const f of found) {
        this.fundings.set(f.key, { currency: f.currency, amount: BigInt(String(f.metadata?.amount ?? '0')) });
      }
    }

    const cancelIds = events.flatMap((e) => (e.name === 'payout.cancel' ? [e.data.payoutId] : []));
    if (cancelIds.length > 0) {
      const claims = await this.tx
        .select({ payoutId: providerSubmissions.payoutId })
        .from(providerSubmissions)
        .where(inArray(providerSubmissions.payoutId, cancelIds));
      for (const c of claims) this.claimed.add(c.payoutId);
    }
  }

  /** The decisions that payouts in `pending_approval` wait for, as Postgres has them. */
  private async loadApprovals(): Promise<void> {
    const subjects = new Set<string>();
    for (const r of this.rows.values()) if (r.status === 'pending_approval') subjects.add(r.batchId ?? r.id);
    if (subjects.size === 0) return;
    const requests = await this.tx
      .select()
      .from(approvalRequests)
      .where(inArray(approvalRequests.subjectId, [...subjects]));
    const decisions = await this.tx
      .select()
      .from(approvalDecisions)
      .where(inArray(approvalDecisions.subjectId, [...subjects]));
    for (const r of requests) this.approvals.set(r.subjectId, { ...r, decisions: [] });
    for (const d of decisions) this.approvals.get(d.subjectId)?.decisions.push(d);
  }

  apply(e: ReconcilerEvent): EventResult {
    switch (e.name) {
      case 'payout.accepted':
        return this.accepted(e.data.payoutId);
      case 'payout.report':
        return this.report(e.data);
      case 'payout.cancel':
        return this.cancel(e.data);
      case 'payout.replay':
        return this.replayFailed(e.data);
      case 'wallet.fund':
        return this.fund(e.data);
      case 'wallet.release':
        return { outcome: 'applied', released: this.release(e.data.tenantId, e.data.currency as Currency) };
    }
  }

  private accepted(payoutId: string): EventResult {
    const row = this.rows.get(payoutId);
    if (!row) return { outcome: 'ignored', payoutId, reason: 'payout_not_found' };
    if (row.status === 'scheduled') {
      const released = this.releaseScheduled(row);
      if (released !== 'released') return { outcome: 'unchanged', payoutId, status: row.status, reason: released };
      const short = this.runShortAtDue(row);
      if (short === 'refuse') {
        this.transition(row, 'failed', 'reconciler', {
          failureCode: 'insufficient_funds',
          failureMessage: `When the run was due, the ${row.currency} wallet could not cover it (amounts plus fee reserves); nothing of it was held or sent.`,
        });
        return { outcome: 'applied', payoutId, status: row.status };
      }
      return this.hold(row, short === 'queue' || row.queueIfLowBalance);
    }
    if (row.status === 'reserved') {
      // A retried job after a commit whose enqueue was lost: hand it over again (job ids dedupe).
      this.submits.push(submitOf(row));
      return { outcome: 'unchanged', payoutId, status: row.status };
    }
    if (row.status === 'pending_approval') {
      const decided = this.applyApproval(row);
      // Narrowing cannot see that applyApproval moved the row: read its state afresh.
      if ((row.status as PayoutStatus) !== 'accepted') return decided;
    }
    if (row.status !== 'accepted') return { outcome: 'unchanged', payoutId, status: row.status };
    return this.hold(row, row.queueIfLowBalance);
  }

  /**
   * Applies the decision a payout in `pending_approval` waits for (its own request, or its batch's):
   * approved → `accepted` (and on, by `hold`), or `scheduled` when its time has not come; rejected or expired → `cancelled`;
   * still pending → its `payout.pending_approval` notice once (version 1), and each decision taken
   * so far in its history (the first of two approvals). The decision itself was taken and recorded by the API (or the sweeper, for
   * an expiry) in `approval_requests`; this is where the payout follows it.
   */
  private applyApproval(row: PayoutRow): EventResult {
    const request = this.approvals.get(row.batchId ?? row.id);
    if (!request) return { outcome: 'unchanged', payoutId: row.id, status: row.status };
    const decisions = request.decisions.map((d) => ({
      decision: d.decision,
      actor: d.keyId,
      ...(d.keyLabel ? { actorLabel: d.keyLabel } : {}),
      ...(d.reason ? { reason: d.reason } : {}),
      at: d.createdAt.toISOString(),
    }));
    const detail = { approval: request.status, ...(row.batchId ? { batchId: row.batchId } : {}), decisions };
    switch (request.status) {
      case 'pending': {
        // While it waits, its version is 1 (the notice) + the decisions its history holds: a
        // decision not yet there (the first of two approvals) is recorded now, hash-chained.
        const target = 1 + request.decisions.length;
        if (row.version >= target) return { outcome: 'unchanged', payoutId: row.id, status: row.status };
        const first = row.version === 0;
        if (request.decisions.length > 0) this.record(row, row.status, true, 'api', detail);
        Object.assign(row, { version: target, updatedAt: this.now });
        this.dirty.add(row.id);
        if (first) {
          if (row.batchId) this.outbox.batchApproval(row.tenantId, row.batchId, 'batch.pending_approval');
          else this.outbox.payoutPendingApproval(row);
        }
        return { outcome: 'applied', payoutId: row.id, status: row.status };
      }
      case 'approved': {
        // Approved before its scheduled_for: it waits for its time in `scheduled` (nothing held),
        // and the release of due payouts takes it on from there, like any scheduled payout.
        const waits =
          row.scheduledFor !== null &&
          !dueForRelease(
            { status: 'scheduled', scheduledFor: row.scheduledFor },
            must(this.dbNow, 'the database clock, read for payouts with a scheduled_for'),
          );
        this.transition(row, waits ? 'scheduled' : 'accepted', 'reconciler', {}, detail);
        if (row.batchId) this.outbox.batchApproval(row.tenantId, row.batchId, 'batch.approved');
        return { outcome: 'applied', payoutId: row.id, status: row.status };
      }
      case 'rejected':
      case 'expired': {
        const rejected = request.status === 'rejected';
        const reason = request.decisions.find((d) => d.decision === 'reject')?.reason;
        this.transition(
          row,
          'cancelled',
          rejected ? 'api' : 'sweeper',
          {
            failureCode: rejected ? 'approval_rejected' : 'approval_expired',
            failureMessage: rejected
              ? `Rejected by an approver${reason ? `: ${reason}` : '.'}`
              : `Not approved before ${request.expiresAt.toISOString()}.`,
          },
          detail,
        );
        if (row.batchId)
          this.outbox.batchApproval(
            row.tenantId,
            row.batchId,
            rejected ? 'batch.approval_rejected' : 'batch.approval_expired',
          );
        return { outcome: 'applied', payoutId: row.id, status: row.status };
      }
    }
  }

  /**
   * The release of a scheduled payout: the one place where `scheduled` becomes `accepted`, in the
   * transaction that then holds its money (`accepted` above goes on at once), so a released payout
   * enters the flow exactly where one accepted by the API starts. Decided under the payout's row
   * lock on its recorded state, so two releases of one payout (two reconcilers, a retried job, a
   * re-drive) release it once: the second finds it `accepted` or further on and changes nothing.
   * Not yet due (by the database's clock): it stays. A payout of a scheduled run waits for the
   * run's pre-flight when due (`checkRunsAtDue`), which the release scan writes before it hands
   * over any payout of the run.
   */
  private releaseScheduled(row: PayoutRow): 'released' | 'not_due' | 'awaiting_run_check' {
    if (!dueForRelease(row, must(this.dbNow, 'the database clock, read for scheduled payouts'))) return 'not_due';
    const run = row.batchId ? this.runs.get(row.batchId) : undefined;
    if (run?.schedulePreflight && run.schedulePreflight.due === null) return 'awaiting_run_check';
    this.transition(
      row,
      'accepted',
      'reconciler',
      {},
      { reason: 'due', scheduledFor: must(row.scheduledFor, 'the time of a scheduled payout').toISOString() },
    );
    return 'released';
  }

  /**
   * Whether the payout's run was found short in its currency when it was due, and what its
   * `on_insufficient_funds` says then: `refuse` fails the whole run (no half-paid salary run),
   * `queue` lets its payouts wait for funds; null when the run was covered, or the payout has no run.
   */
  private runShortAtDue(row: PayoutRow): 'refuse' | 'queue' | null {
    const run = row.batchId ? this.runs.get(row.batchId) : undefined;
    const due = run?.schedulePreflight?.due;
    if (!run || !due?.shortfalls.some((s) => s.currency === row.currency)) return null;
    return run.onInsufficientFunds;
  }

  /**
   * The one way an `accepted` payout enters the normal flow, whether it was accepted at creation,
   * released by its approvals or by its time: hold its money (→ `reserved`, handed to its
   * provider), or queue it for its wallet, or fail it for want of funds.
   */
  private hold(row: PayoutRow, queueIfLowBalance: boolean): EventResult {
    const payoutId = row.id;
    if (this.tryHold(row, 'reconciler')) return { outcome: 'applied', payoutId, status: 'reserved' };
    if (queueIfLowBalance) {
      this.transition(row, 'queued', 'reconciler', { queuedReason: 'wallet_low_balance' });
    } else {
      this.transition(row, 'failed', 'reconciler', {
        failureCode: 'insufficient_funds',
        failureMessage: `The ${row.currency} wallet's available balance cannot cover this payout.`,
      });
    }
    return { outcome: 'applied', payoutId, status: row.status };
  }

  private tryHold(row: PayoutRow, source: TransitionSource): boolean {
    const key = accounts.available(row.tenantId, row.currency).key;
    const balance = this.available.get(key) ?? 0n;
    const needed = holdAmount(money(row));
    if (balance < needed) return false;
    this.available.set(key, balance - needed);
    this.postSteps(row, ledgerSteps(row, 'reserved'));
    this.transition(row, 'reserved', source, { queuedReason: null });
    this.submits.push(submitOf(row));
    return true;
  }

  private report(r: ReconcilerJobData<'payout.report'>): EventResult {
    const row = this.rows.get(r.payoutId);
    if (!row) return { outcome: 'ignored', payoutId: r.payoutId, reason: 'payout_not_found' };
    if (r.reroute) return this.reroute(row, r, r.reroute);
    const stale = this.staleAttempt(row, r);
    if (stale) return stale;
    // Every provider answer is checked here, before anything else of it is believed: this is the
    // one place an answer becomes a transition or a posting.
    const mismatches = termsMismatches(row, r.stated, r.outcome);
    if (mismatches.length > 0) return this.mismatch(row, r, mismatches);
    const details: Partial<PayoutRow> = {};
    if (r.providerPayoutId && row.providerPayoutId !== r.providerPayoutId)
      details.providerPayoutId = r.providerPayoutId;
    if (r.rawStatus && row.providerStatus !== r.rawStatus) details.providerStatus = r.rawStatus;
    if (r.utr && row.utr !== r.utr) details.utr = r.utr;
    // Once posted, a payout's fees and tax are what the ledger charged: a later report that says
    // otherwise cannot change the charge, so it does not change the row either, and a reversal
    // returns exactly what was charged.
    const posted = row.status === 'processed' || row.status === 'reversed';
    if (!posted && r.fees !== null && row.fees !== BigInt(r.fees)) details.fees = BigInt(r.fees);
    if (!posted && r.tax !== null && row.tax !== BigInt(r.tax)) details.tax = BigInt(r.tax);

    const to = r.outcome;
    const detail = {
      rawStatus: r.rawStatus,
      providerPayoutId: r.providerPayoutId,
      observedAt: r.observedAt,
      ...(r.resolution ? { resolution: r.resolution } : {}),
    };
    if (to === row.status) {
      if (posted) return this.lateNews(row, r, details, detail);
      // Same state, maybe with news (a UTR that arrived later): keep the facts, no transition.
      if (Object.keys(details).length > 0) {
        Object.assign(row, details, { updatedAt: this.now });
        this.dirty.add(row.id);
        return { outcome: 'applied', payoutId: row.id, status: to };
      }
      return { outcome: 'unchanged', payoutId: row.id, status: to };
    }
    if (to === 'failed' && r.failure) {
      const rail = railFallbackTarget(row, r.failure, this.attempts.tenantRailFallback(row.tenantId));
      if (rail && canTransition(row.status, 'reserved')) {
        return this.nextAttempt(row, r, r.failure, { provider: row.provider, method: rail }, detail);
      }
      const provider = nextRouteProvider(row, r.failure);
      if (provider && canTransition(row.status, 'reserved')) {
        return this.nextAttempt(row, r, r.failure, { provider, method: row.method }, detail);
      }
    }
    // Our own parking (a downtime, the provider's float short: a report with no provider id) is for a
    // payout the provider does not have yet. Made by a job that read the payout before another sent
    // it, it arrives late: applied, it would move a payout that is at the provider back to `queued`.
    if (to === 'queued' && r.providerPayoutId === null && !(submittable(row) && row.providerPayoutId === null)) {
      this.record(row, to, false, r.source, { ...detail, reason: 'already_sent' });
      return { outcome: 'ignored', payoutId: row.id, status: row.status, reason: 'already_sent' };
    }
    // `failed → reserved` is an operator's replay only (`replayFailed`): no report brings a failed payout back.
    if (!canTransition(row.status, to) || row.status === 'failed') {
      this.record(row, to, false, r.source, { ...detail, reason: 'transition_not_allowed' });
      return { outcome: 'ignored', payoutId: row.id, status: row.status, reason: 'transition_not_allowed' };
    }
    const steps = ledgerSteps(row, to);
    if (steps.includes('hold')) {
      // Only the reconciler reserves a payout's money, against its wallet (`tryHold`): a report
      // may move a held payout back to `reserved` (confirmed absent at the provider), never place a hold.
      this.record(row, to, false, r.source, { ...detail, reason: 'hold_not_placed' });
      return { outcome: 'ignored', payoutId: row.id, status: row.status, reason: 'hold_not_placed' };
    }

    const fees = details.fees ?? row.fees ?? 0n;
    const tax = details.tax ?? row.tax ?? 0n;
    if (steps.includes('post')) {
      // The row keeps what was posted (0 when the provider named no fees): what was charged.
      details.fees = fees;
      details.tax = tax;
    }
    this.postSteps(row, steps, fees, tax);
    if (to === 'reserved') this.submits.push(submitOf(row));

    const failure = to === 'failed' || to === 'rejected' || to === 'cancelled' || to === 'reversed' ? r.failure : null;
    this.transition(
      row,
      to,
      r.source,
      {
        ...details,
        queuedReason: to === 'queued' ? (r.queuedReason ?? 'provider_low_balance') : null,
        ...(failure ? { failureCode: failure.code, failureMessage: failure.message } : {}),
      },
      detail,
    );
    return { outcome: 'applied', payoutId: row.id, status: to };
  }

  /**
   * Provider fallback before sending (docs/api.md, "Routing rules"): the worker found the payout's
   * provider unable to take it before anything was sent. Moved to the next provider of its route,
   * same attempt and idempotency key (nothing reached the first), only while it is still waiting
   * at that provider (`reserved` or `queued`, no provider id) and no submission of it was ever
   * claimed (`provider_submissions`, written under this row's lock before any call): otherwise
   * something may have been sent, and it stays where it is. The hold stays: no ledger step.
   */
  private reroute(
    row: PayoutRow,
    r: ReconcilerJobData<'payout.report'>,
    move: NonNullable<ReconcilerJobData<'payout.report'>['reroute']>,
  ): EventResult {
    const waiting = row.status === 'reserved' || row.status === 'queued';
    if (row.provider !== move.from || routeNext(row) !== move.to) {
      // Already moved (a repeated report), or no longer this route's step: nothing to record.
      return { outcome: 'unchanged', payoutId: row.id, status: row.status };
    }
    if (!waiting || row.providerPayoutId !== null || this.attempts.claimed(row.id)) {
      this.record(row, row.status, false, r.source, {
        observedAt: r.observedAt,
        reason: 'reroute_after_send',
        reroute: move,
      });
      return { outcome: 'ignored', payoutId: row.id, status: row.status, reason: 'reroute_after_send' };
    }
    const detail = {
      observedAt: r.observedAt,
      reason: 'provider_fallback',
      gate: move.reason,
      from_provider: move.from,
      next_provider: move.to,
    };
    const fields = { provider: move.to, queuedReason: null };
    if (row.status === 'queued') this.transition(row, 'reserved', r.source, fields, detail);
    else {
      // Still `reserved`: no state change, a history entry and `payout.updated`.
      this.record(row, 'reserved', true, r.source, detail);
      Object.assign(row, fields, { version: row.version + 1, updatedAt: this.now });
      this.dirty.add(row.id);
      this.outbox.payoutUpdated(row);
    }
    this.submits.push(submitOf(row));
    return { outcome: 'applied', payoutId: row.id, status: row.status, reason: 'provider_fallback' };
  }

  /**
   * A provider's answer about an attempt that already ended (its id is an earlier attempt's), or a
   * report asking for `reserved` from `submitted` or `processing` (only a confirmed absence of an
   * outcome not known moves a payout back, from `unknown`; a new attempt is the reconciler's own
   * decision): kept in the history, not applied.
   */
  private staleAttempt(row: PayoutRow, r: ReconcilerJobData<'payout.report'>): EventResult | null {
    const earlier = this.attempts.isEarlier(row.id, r.providerPayoutId);
    // The table's `submitted | processing → reserved` is the reconciler's own move (`nextAttempt`).
    const ownMove = r.outcome === 'reserved' && (row.status === 'submitted' || row.status === 'processing');
    if (!earlier && !ownMove) return null;
    const reason = earlier ? 'earlier_attempt' : 'transition_not_allowed';
    this.record(row, r.outcome, false, r.source, {
      rawStatus: r.rawStatus,
      providerPayoutId: r.providerPayoutId,
      observedAt: r.observedAt,
      reason,
    });
    return { outcome: 'ignored', payoutId: row.id, status: row.status, reason };
  }

  /**
   * Rail fallback (docs/api.md): the provider confirmed the current attempt failed because its rail
   * is unavailable, so the attempt ends (kept in `provider_attempts` and in the history) and the
   * payout goes back to `reserved` on the fallback rail as its next attempt, with that attempt's
   * own idempotency key, handed to its provider again. The hold stays: no ledger step.
   * Provider fallback (docs/api.md, "Routing rules") is the same move to the next provider of the
   * payout's route, on the same rail, after a confirmed failure its routing rule lists.
   */
  private nextAttempt(
    row: PayoutRow,
    r: ReconcilerJobData<'payout.report'>,
    failure: { code: string; message: string },
    target: { provider: PayoutRow['provider']; method: string },
    detail: Record<string, unknown>,
  ): EventResult {
    const reason = target.provider === row.provider ? 'rail_fallback' : 'provider_fallback';
    const providerPayoutId = r.providerPayoutId ?? row.providerPayoutId;
    const ended = this.attempts.end(
      row,
      { providerPayoutId, providerStatus: r.rawStatus ?? row.providerStatus, failure },
      this.now,
    );
    const next = row.attempt + 1;
    this.transition(
      row,
      'reserved',
      r.source,
      {
        attempt: next,
        provider: target.provider,
        method: target.method,
        providerIdempotencyKey: attemptIdempotencyKey(row, next),
        providerPayoutId: null,
        providerStatus: null,
        utr: null,
        fees: null,
        tax: null,
        queuedReason: null,
        failureCode: null,
        failureMessage: null,
      },
      {
        ...detail,
        reported: 'failed',
        reason,
        attempt: { number: ended.attempt, provider: ended.provider, method: ended.method, outcome: 'failed', failure },
        next_attempt: { number: next, provider: target.provider, method: target.method },
      },
    );
    this.submits.push(submitOf(row));
    return { outcome: 'applied', payoutId: row.id, status: 'reserved', reason };
  }

  /**
   * A provider answered with other terms than the payout's (amount, currency, another payout's
   * id, fees in another currency). Nothing of the answer is acted on: no posting, no fees, no new
   * state from it. An unfinished payout goes to `needs_attention` with `provider_mismatch` and both
   * values, keeping its hold, for an operator; a finished one (or one already waiting for an
   * operator) gets a history entry only. The metric and its alert make the mismatch seen.
   */
  private mismatch(row: PayoutRow, r: ReconcilerJobData<'payout.report'>, mismatches: TermsMismatch[]): EventResult {
    const message = describeMismatches(mismatches);
    if (row.status === 'needs_attention' && row.failureCode === 'provider_mismatch' && row.failureMessage === message) {
      // The same answer again (the payout's polls go on while it waits): already recorded and counted.
      return { outcome: 'unchanged', payoutId: row.id, status: row.status, reason: 'provider_mismatch' };
    }
    for (const m of mismatches) this.mismatches.push({ provider: row.provider, field: m.field });
    const detail = {
      rawStatus: r.rawStatus,
      providerPayoutId: r.providerPayoutId,
      observedAt: r.observedAt,
      reported: r.outcome,
      reason: 'provider_mismatch',
      mismatches,
    };
    if (row.status === 'needs_attention' || !canTransition(row.status, 'needs_attention')) {
      this.record(row, r.outcome, false, r.source, detail);
      return { outcome: 'ignored', payoutId: row.id, status: row.status, reason: 'provider_mismatch' };
    }
    this.transition(
      row,
      'needs_attention',
      r.source,
      {
        // Kept so the payout can still be followed at the provider (and found by an operator).
        ...(r.providerPayoutId && !row.providerPayoutId ? { providerPayoutId: r.providerPayoutId } : {}),
        queuedReason: null,
        failureCode: 'provider_mismatch',
        failureMessage: message,
      },
      detail,
    );
    return { outcome: 'applied', payoutId: row.id, status: 'needs_attention', reason: 'provider_mismatch' };
  }

  /**
   * News about a payout whose money moved (`processed`, `reversed`) without a change of state: a
   * UTR, or fees and tax other than those charged. The client is told (refund teams show the UTR
   * to their customers): the payout's history gets an entry and its version grows, which writes a
   * `payout.updated` event. A UTR is kept on the row. Fees and tax are recorded as reported but not
   * charged: the ledger posted the charge at `processed`, and a reversal returns exactly that.
   * A provider's other fields (its raw status) change the row quietly, as before.
   */
  private lateNews(
    row: PayoutRow,
    r: ReconcilerJobData<'payout.report'>,
    details: Partial<PayoutRow>,
    detail: Record<string, unknown>,
  ): EventResult {
    const news: Record<string, unknown> = {};
    if (details.utr !== undefined) news.utr = details.utr;
    if (r.fees !== null && BigInt(r.fees) !== (row.fees ?? 0n)) news.reported_fees = r.fees;
    if (r.tax !== null && BigInt(r.tax) !== (row.tax ?? 0n)) news.reported_tax = r.tax;
    if (Object.keys(news).length === 0) {
      if (Object.keys(details).length === 0) return { outcome: 'unchanged', payoutId: row.id, status: row.status };
      Object.assign(row, details, { updatedAt: this.now });
      this.dirty.add(row.id);
      return { outcome: 'applied', payoutId: row.id, status: row.status };
    }
    if (news.reported_fees !== undefined || news.reported_tax !== undefined) {
      news.charged_fees = String(row.fees ?? 0n);
      news.charged_tax = String(row.tax ?? 0n);
    }
    this.record(row, row.status, true, r.source, { ...detail, updated: news });
    Object.assign(row, details, { version: row.version + 1, updatedAt: this.now });
    this.dirty.add(row.id);
    this.outbox.payoutUpdated(row);
    return { outcome: 'applied', payoutId: row.id, status: row.status };
  }

  private cancel(c: ReconcilerJobData<'payout.cancel'>): EventResult {
    const row = this.rows.get(c.payoutId);
    if (!row || (c.tenantId !== null && row.tenantId !== c.tenantId)) {
      return { outcome: 'refused', payoutId: c.payoutId, reason: 'payout_not_found' };
    }
    const status = row.status;
    if (!cancellable(row, this.claimed.has(row.id))) {
      this.record(row, 'cancelled', false, c.source, { ...actorOf(c), reason: 'not_cancellable' });
      if (c.source === 'operator')
        // A second cancel of one already cancelled (two at once) changed nothing: it was not refused.
        this.recordOperator(
          c.actor,
          'payout.cancel',
          row.id,
          {},
          {
            outcome: status === 'cancelled' ? 'unchanged' : 'refused',
            status,
          },
        );
      return { outcome: 'refused', payoutId: row.id, status, reason: 'not_cancellable' };
    }
    this.postSteps(row, ledgerSteps(row, 'cancelled'));
    this.transition(
      row,
      'cancelled',
      c.source,
      {
        queuedReason: null,
        failureCode: 'cancelled',
        failureMessage: `Cancelled by ${c.source === 'operator' ? 'an operator' : 'the client'}.`,
      },
      actorOf(c),
    );
    if (c.source === 'operator') {
      this.recordOperator(c.actor, 'payout.cancel', row.id, {}, { outcome: 'applied', status: 'cancelled' });
    }
    return { outcome: 'applied', payoutId: row.id, status: 'cancelled' };
  }

  /**
   * An operator's replay of a payout failed for a systemic reason (docs/operations.md): the API
   * judged its failure code systemic and its provider confirmed it has no record of it. Applied
   * only while the payout is still `failed` with that code (a second replay of the same request
   * finds it reserved and changes nothing), and only if the wallet covers a new hold: the earlier
   * release stays posted, the new hold is posted beside it under the replay's own keys, and the
   * payout goes back to `reserved`, handed to its provider with its idempotency key unchanged.
   */
  private replayFailed(r: ReconcilerJobData<'payout.replay'>): EventResult {
    const row = this.rows.get(r.payoutId);
    if (!row) return { outcome: 'refused', payoutId: r.payoutId, reason: 'payout_not_found' };
    const detail = { actor: r.actor, reason: 'systemic_failure_replay', failureCode: r.failureCode, lookup: r.lookup };
    const refuse = (reason: string): EventResult => {
      this.record(row, 'reserved', false, 'operator', { ...detail, refused: reason });
      this.recordOperator(r.actor, 'payout.replay', row.id, {}, { outcome: 'refused', reason, status: row.status });
      return { outcome: 'refused', payoutId: row.id, status: row.status, reason };
    };
    if (row.status !== 'failed') {
      if (row.status === 'reserved' && row.replays > 0)
        return { outcome: 'unchanged', payoutId: row.id, status: row.status };
      return refuse('not_failed');
    }
    if (row.failureCode !== r.failureCode) return refuse('failure_code_changed');
    const key = accounts.available(row.tenantId, row.currency).key;
    const balance = this.available.get(key) ?? 0n;
    const needed = holdAmount(money(row));
    if (balance < needed) return refuse('insufficient_funds');
    this.available.set(key, balance - needed);
    const previous = { failureCode: row.failureCode, failureMessage: row.failureMessage };
    // The new cycle's number first: the hold below is keyed by it.
    row.replays += 1;
    this.postSteps(row, ledgerSteps(row, 'reserved'));
    this.transition(
      row,
      'reserved',
      'operator',
      { queuedReason: null, failureCode: null, failureMessage: null, providerStatus: null },
      { ...detail, replay: row.replays, previous },
    );
    this.submits.push(submitOf(row));
    this.recordOperator(
      r.actor,
      'payout.replay',
      row.id,
      {},
      { outcome: 'applied', status: 'reserved', replay: row.replays, lookup: r.lookup, failure_code: r.failureCode },
    );
    return { outcome: 'applied', payoutId: row.id, status: 'reserved' };
  }

  /**
   * A reference funds once. Decided here, under the reference's lock and the wallet's, so that
   * concurrent fundings with one reference give one funding: the same amount and currency again
   * is `unchanged` (answered with what was funded), anything else is refused, and so is a funding
   * that would take the wallet (available + held) past `MAX_AMOUNT_MINOR`. Only the funding that
   * moves money is recorded as the operator's action, in this transaction, with what it funded.
   */
  private fund(f: ReconcilerJobData<'wallet.fund'>): EventResult {
    const currency = f.currency as Currency;
    const amount = BigInt(f.amount);
    const spec = fundingTransaction(f.tenantId, currency, amount, f.reference);
    const earlier = this.fundings.get(spec.idempotencyKey);
    if (earlier) {
      const what = { funded: false, amount: earlier.amount.toString(), currency: earlier.currency };
      if (earlier.currency !== currency || earlier.amount !== amount) {
        return { outcome: 'refused', reason: 'funding_reference_reused', ...what, released: 0 };
      }
      return { outcome: 'unchanged', ...what, released: this.release(f.tenantId, currency) };
    }
    const wallet = walletKey(f.tenantId, currency);
    const balance =
      (this.locked.get(accounts.available(f.tenantId, currency).key)?.balance ?? 0n) +
      (this.locked.get(accounts.held(f.tenantId, currency).key)?.balance ?? 0n) +
      (this.funded.get(wallet) ?? 0n);
    if (balance + amount > MAX_AMOUNT_MINOR) {
      return {
        outcome: 'refused',
        reason: 'balance_limit_exceeded',
        funded: false,
        amount: balance.toString(),
        currency,
      };
    }
    spec.metadata = { ...spec.metadata, actor: f.actor };
    this.post(spec);
    this.fundings.set(spec.idempotencyKey, { currency, amount });
    this.funded.set(wallet, (this.funded.get(wallet) ?? 0n) + amount);
    const key = accounts.available(f.tenantId, currency).key;
    this.available.set(key, (this.available.get(key) ?? 0n) + amount);
    const released = this.release(f.tenantId, currency);
    this.recordOperator(
      f.actor,
      'wallet.fund',
      f.tenantId,
      { currency, amount: Number(amount), reference: f.reference },
      { outcome: 'applied', funded: true, released },
    );
    return { outcome: 'applied', funded: true, amount: amount.toString(), currency, released };
  }

  private recordOperator(
    actor: string,
    action: string,
    target: string,
    params: Record<string, unknown>,
    result: Record<string, unknown>,
  ): void {
    this.audit.push({ id: newId('operatorAction'), actor, action, target, params, result, createdAt: this.now });
  }

  /**
   * First in, first out, as RazorpayX does with its own queue: a payout the balance cannot cover
   * yet is skipped for the next one that fits, so one large payout does not block small ones.
   */
  private release(tenantId: string, currency: Currency): number {
    let released = 0;
    for (const id of this.walletQueues.get(walletKey(tenantId, currency)) ?? []) {
      const row = this.rows.get(id);
      if (!row || !waitsForWallet(row)) continue;
      if (this.tryHold(row, 'reconciler')) released++;
    }
    return released;
  }

  /**
   * Writes a transition's ledger steps (`ledgerSteps` in @payouts/payouts says which), in order.
   * `fees` and `tax` are what a posting charges: the provider's word, or 0.
   */
  private postSteps(row: PayoutRow, steps: LedgerStep[], fees = 0n, tax = 0n): void {
    const m = money(row, this.feeModes);
    for (const step of steps) {
      switch (step) {
        case 'hold':
          this.post(holdTransaction(m));
          break;
        case 'void':
          this.post(voidTransaction(m));
          break;
        case 'post':
          this.post(postTransaction(m, fees, tax));
          break;
        case 'reverse':
          this.post(reverseTransaction(m, fees, tax));
          break;
      }
    }
  }

  private post(spec: TransactionSpec): void {
    if (this.specKeys.has(spec.idempotencyKey)) return;
    this.specKeys.add(spec.idempotencyKey);
    this.specs.push(spec);
  }

  private transition(
    row: PayoutRow,
    to: PayoutStatus,
    source: TransitionSource,
    fields: Partial<PayoutRow>,
    detail: Record<string, unknown> = {},
  ): void {
    if (!canTransition(row.status, to)) {
      throw new Error(`bug: transition ${row.status} → ${to} for ${row.id} is not in the table`);
    }
    this.record(row, to, true, source, detail);
    this.transitions.push({ from: row.status, to, provider: row.provider, createdAt: row.createdAt });
    const from = row.status;
    Object.assign(row, fields, { status: to, version: row.version + 1, updatedAt: this.now });
    this.dirty.add(row.id);
    this.outbox.payoutChanged(row, from);
  }

  private record(
    row: PayoutRow,
    to: PayoutStatus,
    applied: boolean,
    source: TransitionSource,
    detail: Record<string, unknown>,
  ): void {
    // Chained after the payout's last row (its `history_hash`), under the payout's row lock taken
    // in `load`: every history row a batch writes belongs to a locked row.
    const event = chainedPayoutEvent(
      { payoutId: row.id, fromStatus: row.status, toStatus: to, applied, source, detail, createdAt: this.now },
      row.historyHash,
    );
    this.history.push(event);
    row.historyHash = event.hash;
    this.dirty.add(row.id);
  }

  /** Returns the outbound webhook deliveries written. */
  async write(): Promise<number> {
    // One UPDATE and one INSERT for the whole batch instead of a statement per payout: the
    // batch's payouts are already locked, so this is the same change in a fraction of the round
    // trips, with the rows sent as one jsonb parameter (see insertRows on why not drizzle's values()).
    const dirty = [...this.dirty].map((id) => {
      const r = must(this.rows.get(id), `the locked row of dirty payout ${id}`);
      return {
        id: r.id,
        status: r.status,
        queuedReason: r.queuedReason,
        // A new provider attempt (rail or provider fallback) changes these; otherwise they are as loaded.
        provider: r.provider,
        method: r.method,
        attempt: r.attempt,
        replays: r.replays,
        providerIdempotencyKey: r.providerIdempotencyKey,
        providerPayoutId: r.providerPayoutId,
        providerStatus: r.providerStatus,
        utr: r.utr,
        fees: r.fees,
        tax: r.tax,
        failureCode: r.failureCode,
        failureMessage: r.failureMessage,
        version: r.version,
        historyHash: r.historyHash,
        updatedAt: r.updatedAt,
      };
    });
    await updateRows(this.tx, payouts, 'id', dirty);
    await insertRows(this.tx, payoutEvents, this.history);
    await insertRows(this.tx, providerAttempts, this.attempts.ended);
    // The ledger after the payouts' rows, which only this batch holds: a batch that did not lock
    // its accounts in load() locks them here (postTransactions, in key order), so on a hot wallet
    // the part other batches wait for is the ledger's statements and the commit only.
    const posted = await postTransactions(this.tx, this.specs, this.locked);
    if (posted.size !== this.specs.length) {
      // Every spec was decided under the rows' locks, so an existing key means state and ledger
      // disagree: abort rather than move a payout without its money.
      const missing = this.specs.filter((s) => !posted.has(s.idempotencyKey)).map((s) => s.idempotencyKey);
      throw new Error(`ledger already had ${missing.join(', ')}: payout state and ledger disagree`);
    }
    // After the payouts' UPDATE: a batch's completion is judged on this transaction's states.
    const deliveries = await this.outbox.write();
    // Last: the operator chain's head lock is the last lock a transaction takes (appendOperatorActions).
    await appendOperatorActions(this.tx, this.audit);
    return deliveries;
  }
}

/** Events whose outcome depends on a wallet's balance: they lock the batch's accounts in load(). */
function readsBalances(e: ReconcilerEvent): boolean {
  return (
    e.name === 'payout.accepted' ||
    e.name === 'payout.replay' ||
    e.name === 'wallet.fund' ||
    e.name === 'wallet.release'
  );
}

type ApprovalState = typeof approvalRequests.$inferSelect & { decisions: (typeof approvalDecisions.$inferSelect)[] };

function walletKey(tenantId: string, currency: Currency): string {
  return `${tenantId}:${currency}`;
}

/** Who asked for a cancel, as the payout's history keeps it: the key, and its label when it has one. */
function actorOf(c: ReconcilerJobData<'payout.cancel'>): Record<string, unknown> {
  return c.actorLabel ? { actor: c.actor, actorLabel: c.actorLabel } : { actor: c.actor };
}
