import { setTimeout as sleep } from 'node:timers/promises';
import { idAtTime, newId, type ProviderId } from '@payouts/core';
import { type Database, payouts, reconciliationItems, reconciliationRuns, rowsOf, type Transaction } from '@payouts/db';
import { expectedProviderBalances } from '@payouts/ledger';
import type { Logger, ReconcilerMetrics } from '@payouts/observability';
import {
  compareWithProvider,
  DRIFT_REASONS,
  expectedAtProvider,
  isFinal,
  ourSide,
  type PayoutRow,
  type ReconciliationReason,
  type ReconciliationRunRow,
  reconciliationCounts,
  theirSide,
  toCanonical,
} from '@payouts/payouts';
import { type ProviderAdapter, ProviderError, type ProviderPayoutState } from '@payouts/providers';
import { callWithinBudget, ProviderBudget, type Queues, redrive } from '@payouts/queue';
import { and, asc, eq, gt, gte, inArray, lt, or, sql } from 'drizzle-orm';
import { endedAttemptIds } from '../attempts.ts';

/** What a provider may say of an ended attempt without it being a drift: it moved no money. */
const ENDED_UNPAID: ReadonlySet<ProviderPayoutState['outcome']> = new Set(['failed', 'rejected', 'cancelled']);

export interface ReconciliationSettings {
  /** How long a process's claim on a run holds without a checkpoint; a killed process's run is resumed after it. */
  leaseMs: number;
  /** How often a process looks for a run to work on. */
  pollIntervalMs: number;
  /**
   * How far past the window's end the provider's list is read: a payout is created at the
   * provider a little after ours (longer when it waited for funds).
   */
  listSlackMs: number;
}

export const DEFAULT_RECONCILIATION: ReconciliationSettings = {
  leaseMs: 30_000,
  pollIntervalMs: 2000,
  listSlackMs: 3600_000,
};

export interface ReconciliationDeps {
  db: Database;
  queues: Queues;
  adapters: ReadonlyMap<string, ProviderAdapter>;
  /**
   * Requests a second the provider allows this account (`<PREFIX>_RATE_PER_SECOND`): the size of
   * the provider's budget, which the workers' calls and the runs' share.
   */
  ratePerSecond(provider: string): number;
  logger: Logger;
  metrics?: ReconcilerMetrics;
}

/** One provider list page: RazorpayX's maximum. */
const LIST_PAGE = 100;
/** Our payouts read per checkpoint. */
const OURS_PAGE = 500;

interface Finding {
  payoutId: string | null;
  referenceId: string | null;
  providerPayoutId: string | null;
  reason: ReconciliationReason;
  ours: Record<string, unknown> | null;
  theirs: Record<string, unknown> | null;
  /** A status drift on a payout that is not final: re-driven once the finding is committed. */
  redrive?: PayoutRow;
}

class LeaseLost extends Error {}

/**
 * Works reconciliation runs: claims a running run whose lease is free (none, expired, or ours),
 * then advances it one checkpoint at a time. Each checkpoint writes the findings of one step and
 * the run's progress in one transaction, guarded by the lease, so a process killed mid-step
 * leaves the last checkpoint and the step is done again by whoever resumes — its findings are
 * unique per payout (and per provider record), so nothing is counted twice.
 */
export class ReconciliationRunner {
  private readonly owner = newId('reconciliation').replace('rcn_', 'proc_');
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly budgets = new Map<string, ProviderBudget>();
  private wake: (() => void) | null = null;

  constructor(
    private readonly deps: ReconciliationDeps,
    private readonly settings: ReconciliationSettings,
  ) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  /** Look for work now rather than at the next poll. */
  nudge(): void {
    this.wake?.();
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const run = await this.claim();
        if (run) {
          await this.work(run);
          continue;
        }
      } catch (error) {
        if (!(error instanceof LeaseLost)) this.deps.logger.error({ err: error }, 'reconciliation run step failed');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.settings.pollIntervalMs);
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Claims one running run nobody holds (or whose holder stopped renewing), oldest first. */
  async claim(): Promise<ReconciliationRunRow | null> {
    const [run] = await this.deps.db
      .update(reconciliationRuns)
      .set({ leaseOwner: this.owner, leaseUntil: this.leaseEnd(), updatedAt: new Date() })
      .where(
        eq(
          reconciliationRuns.id,
          sql`(select id from reconciliation_runs
               where status = 'running' and (lease_until is null or lease_until < now() or lease_owner = ${this.owner})
               order by created_at limit 1 for update skip locked)`,
        ),
      )
      .returning();
    return run ?? null;
  }

  /** Advances the run to its end, or until this process stops (its lease then lapses for another). */
  async work(claimed: ReconciliationRunRow): Promise<void> {
    let run = claimed;
    const adapter = this.deps.adapters.get(run.provider);
    if (!adapter) {
      await this.finish(run, 'failed', `no adapter for provider ${run.provider}`);
      return;
    }
    this.deps.logger.info({ run: run.id, provider: run.provider, phase: run.phase }, 'reconciliation run claimed');
    try {
      while (!this.stopped && run.phase !== 'done') {
        run = run.phase === 'list' ? await this.listStep(run, adapter) : await this.oursStep(run, adapter);
      }
      if (run.phase === 'done') {
        if (run.balance === null && adapter.capabilities.has('balance')) run = await this.balanceStep(run, adapter);
        await this.finish(run, 'completed', null);
      }
    } catch (error) {
      if (error instanceof LeaseLost) throw error;
      if (error instanceof ProviderError && !['invalid_request', 'unsupported', 'auth'].includes(error.kind)) {
        // The provider is down or limiting us: the checkpoint stands, the run waits for the next claim.
        this.deps.logger.warn({ run: run.id, err: error }, 'reconciliation paused: provider call failed');
        await this.release(run);
        await sleep(this.settings.pollIntervalMs);
        return;
      }
      await this.finish(run, 'failed', error instanceof Error ? error.message : String(error));
    }
  }

  /** One page of the provider's list, matched to our payouts. */
  private async listStep(run: ReconciliationRunRow, adapter: ProviderAdapter): Promise<ReconciliationRunRow> {
    if (!adapter.capabilities.has('list')) return this.checkpoint(run, [], { phase: 'ours' }, 0);
    const from = run.windowFrom.getTime();
    const to = run.windowTo.getTime();
    const page = await this.call(adapter.id, () =>
      adapter.list({ from, to: to + this.settings.listSlackMs, count: LIST_PAGE, skip: run.listSkip }),
    );
    const ourIds = page.items.flatMap((s) => (s.stated?.payoutId ? [s.stated.payoutId] : []));
    const theirIds = page.items.map((s) => s.providerPayoutId);
    const rows =
      page.items.length === 0
        ? []
        : await this.deps.db
            .select()
            .from(payouts)
            .where(
              and(
                eq(payouts.provider, adapter.id as ProviderId),
                or(
                  ourIds.length > 0 ? inArray(payouts.id, ourIds) : undefined,
                  inArray(payouts.providerPayoutId, theirIds),
                ),
              ),
            );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const byTheirs = new Map(rows.flatMap((r) => (r.providerPayoutId ? [[r.providerPayoutId, r] as const] : [])));
    const ended = await endedAttemptIds(this.deps.db, adapter.id, theirIds);
    const [low, high] = windowIds(run);
    const findings: Finding[] = [];
    for (const state of page.items) {
      // An ended attempt of a payout (rail fallback) that the provider agrees was not paid: the
      // payout is checked against its current attempt's record. One it says was paid is a drift.
      if (ended.has(state.providerPayoutId) && ENDED_UNPAID.has(state.outcome)) continue;
      const row = (state.stated?.payoutId && byId.get(state.stated.payoutId)) || byTheirs.get(state.providerPayoutId);
      if (row) {
        // A record of one of our payouts from another window belongs to that window's run.
        if (row.id >= low && row.id < high) findings.push(finding(row, state));
        continue;
      }
      const created = state.stated?.createdAt;
      if (created == null || (created >= from && created < to)) {
        findings.push({
          payoutId: null,
          referenceId: state.stated?.payoutId ?? null,
          providerPayoutId: state.providerPayoutId,
          reason: 'unknown_to_us',
          ours: null,
          theirs: theirSide(state),
        });
      }
    }
    return this.checkpoint(
      run,
      findings,
      {
        listSkip: run.listSkip + page.items.length,
        providerRecordsSeen: run.providerRecordsSeen + page.items.length,
        ...(page.hasMore && page.items.length > 0 ? {} : { phase: 'ours' as const }),
      },
      1,
    );
  }

  /**
   * Our payouts of the window not yet found in the list (or all of them, for a provider without
   * one), looked up one by one with the provider's budget; checkpointed every few calls.
   */
  private async oursStep(run: ReconciliationRunRow, adapter: ProviderAdapter): Promise<ReconciliationRunRow> {
    const [low, high] = windowIds(run);
    if (run.payoutsTotal === null) {
      const [count] = await this.deps.db
        .select({ n: sql<number>`count(*)::int` })
        .from(payouts)
        .where(and(eq(payouts.provider, adapter.id as ProviderId), gte(payouts.id, low), lt(payouts.id, high)));
      run = { ...run, payoutsTotal: count?.n ?? 0 };
    }
    const rows = await this.deps.db
      .select()
      .from(payouts)
      .where(
        and(
          eq(payouts.provider, adapter.id as ProviderId),
          gte(payouts.id, low),
          lt(payouts.id, high),
          run.oursCursor ? gt(payouts.id, run.oursCursor) : undefined,
          sql`not exists (select 1 from reconciliation_items i where i.run_id = ${run.id} and i.payout_id = ${payouts.id})`,
        ),
      )
      .orderBy(asc(payouts.id))
      .limit(OURS_PAGE);
    if (rows.length === 0) return this.checkpoint(run, [], { phase: 'done', payoutsTotal: run.payoutsTotal }, 0);

    // Calls per checkpoint: a few seconds of the provider's rate at most, so a killed process loses little.
    const callBudget = Math.max(1, Math.floor(this.deps.ratePerSecond(adapter.id) * 5));
    const findings: Finding[] = [];
    let calls = 0;
    let cursor = run.oursCursor;
    for (const row of rows) {
      if (!expectedAtProvider(row)) {
        findings.push({ ...base(row), reason: 'not_sent', ours: ourSide(row), theirs: null });
        cursor = row.id;
        continue;
      }
      if (calls >= callBudget) break;
      // A payout seen in the provider's list has its item already; one the list did not show is
      // confirmed by a lookup (it may have been created there long after ours, outside the list's window).
      calls++;
      const state = await this.lookup(adapter, row);
      findings.push(
        state ? finding(row, state) : { ...base(row), reason: 'missing_at_provider', ours: ourSide(row), theirs: null },
      );
      cursor = row.id;
    }
    return this.checkpoint(run, findings, { oursCursor: cursor, payoutsTotal: run.payoutsTotal }, calls);
  }

  /**
   * The provider's balance against what our ledger says we hold there (the float account less what
   * the provider paid out for us), per currency, read once the payouts are checked. Both are read
   * now, not at the window's end: payouts still in flight (the provider may have debited them, our
   * ledger posts them when processed) are shown beside the difference so it can be read.
   */
  private async balanceStep(run: ReconciliationRunRow, adapter: ProviderAdapter): Promise<ReconciliationRunRow> {
    const theirs = await this.call(adapter.id, () => adapter.getBalance());
    const provider = adapter.id as ProviderId;
    const ours = await expectedProviderBalances(this.deps.db, { provider });
    const inFlight = rowsOf<{ currency: string; n: number; amount: string }>(
      await this.deps.db.execute(sql`
        select currency, count(*)::int as n, coalesce(sum(amount), 0)::text as amount from payouts
        where provider = ${provider} and status in ('submitted', 'unknown', 'processing', 'needs_attention')
        group by currency`),
    );
    const currencies = [...new Set([...theirs.map((b) => b.currency), ...ours.map((b) => b.currency)])].sort();
    const balance = currencies.map((currency) => {
      const expected = ours.find((b) => b.currency === currency);
      const stated = theirs.find((b) => b.currency === currency);
      const flying = inFlight.find((r) => r.currency === currency);
      const oursValue = expected?.expected ?? 0n;
      return {
        currency,
        ours: oursValue.toString(),
        theirs: stated ? stated.available.toString() : null,
        difference: stated ? (stated.available - oursValue).toString() : null,
        funded: (expected?.funded ?? 0n).toString(),
        paid_out: (expected?.paidOut ?? 0n).toString(),
        in_flight: { payouts: flying?.n ?? 0, amount: flying?.amount ?? '0' },
      };
    });
    return this.checkpoint(run, [], { balance }, 1);
  }

  private async lookup(adapter: ProviderAdapter, row: PayoutRow): Promise<ProviderPayoutState | null> {
    try {
      if (row.providerPayoutId && adapter.capabilities.has('lookup_by_id')) {
        const providerPayoutId = row.providerPayoutId;
        return await this.call(adapter.id, () => adapter.lookupById(providerPayoutId));
      }
      if (adapter.capabilities.has('lookup_by_reference')) {
        return await this.call(adapter.id, () => adapter.lookupByReference(toCanonical(row)));
      }
      return null;
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'not_found') return null;
      throw error;
    }
  }

  /**
   * Writes a step's findings and the run's progress in one transaction, only while this process
   * still holds the run; then re-drives the unfinished payouts whose state drifted.
   */
  private async checkpoint(
    run: ReconciliationRunRow,
    findings: Finding[],
    progress: Partial<ReconciliationRunRow>,
    calls: number,
  ): Promise<ReconciliationRunRow> {
    const next = await this.deps.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(reconciliationRuns)
        .set({
          ...progress,
          providerCalls: sql`${reconciliationRuns.providerCalls} + ${calls}`,
          leaseUntil: this.leaseEnd(),
          updatedAt: new Date(),
        })
        .where(
          and(
            eq(reconciliationRuns.id, run.id),
            eq(reconciliationRuns.leaseOwner, this.owner),
            eq(reconciliationRuns.status, 'running'),
          ),
        )
        .returning();
      if (!updated) throw new LeaseLost(`lost the lease on ${run.id}`);
      await insertFindings(tx, run.id, findings);
      return updated;
    });
    const drifted = findings.flatMap((f) => (f.redrive ? [f.redrive] : []));
    if (drifted.length > 0) {
      // The provider says something else about a payout still in flight: look at it again now.
      // The look is a normal poll, so what it finds is checked and applied by the reconciler.
      await redrive(this.deps.queues, drifted);
    }
    return next;
  }

  private async finish(run: ReconciliationRunRow, status: 'completed' | 'failed', error: string | null): Promise<void> {
    const [done] = await this.deps.db
      .update(reconciliationRuns)
      .set({
        status,
        error,
        phase: status === 'completed' ? 'done' : run.phase,
        completedAt: new Date(),
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: new Date(),
      })
      .where(
        and(
          eq(reconciliationRuns.id, run.id),
          eq(reconciliationRuns.leaseOwner, this.owner),
          eq(reconciliationRuns.status, 'running'),
        ),
      )
      .returning();
    if (!done) return;
    const counts = await reconciliationCounts(this.deps.db, run.id);
    for (const reason of DRIFT_REASONS) {
      const n = counts[reason] ?? 0;
      if (n > 0) this.deps.metrics?.reconciliationFindings.inc({ provider: run.provider, reason }, n);
    }
    this.deps.logger.info(
      { run: run.id, provider: run.provider, status, counts, error },
      'reconciliation run finished',
    );
  }

  private async release(run: ReconciliationRunRow): Promise<void> {
    await this.deps.db
      .update(reconciliationRuns)
      .set({ leaseOwner: null, leaseUntil: null })
      .where(and(eq(reconciliationRuns.id, run.id), eq(reconciliationRuns.leaseOwner, this.owner)));
  }

  private leaseEnd(): Date {
    return new Date(Date.now() + this.settings.leaseMs);
  }

  /**
   * One call to the provider, with a token from its budget first: the same bucket every worker
   * process draws from, at its last place (`reconcile`), so a run never takes the provider past its
   * rate together with the workers and never delays their calls — it goes at the rate while they
   * are quiet and slows to a call every few seconds while they are busy. A 429 holds the bucket for
   * everyone; a long hold gives the run back to wait for the next claim (nothing was sent).
   */
  private call<T>(provider: string, fn: () => Promise<T>): Promise<T> {
    return callWithinBudget(this.budget(provider), 'reconcile', fn);
  }

  private budget(provider: string): ProviderBudget {
    let budget = this.budgets.get(provider);
    if (!budget) {
      budget = new ProviderBudget(this.deps.queues.connection, this.deps.queues.prefix, provider as ProviderId, {
        ratePerSecond: this.deps.ratePerSecond(provider),
      });
      this.budgets.set(provider, budget);
    }
    return budget;
  }
}

/** The payout ids minted inside the run's window: ids are time-ordered, so the window is an id range. */
function windowIds(run: ReconciliationRunRow): [string, string] {
  return [idAtTime('payout', run.windowFrom.getTime()), idAtTime('payout', run.windowTo.getTime())];
}

function base(row: PayoutRow) {
  return { payoutId: row.id, referenceId: row.referenceId, providerPayoutId: row.providerPayoutId };
}

function finding(row: PayoutRow, state: ProviderPayoutState): Finding {
  const reason = compareWithProvider(row, state);
  return {
    ...base(row),
    providerPayoutId: row.providerPayoutId ?? state.providerPayoutId,
    reason,
    ours: ourSide(row),
    theirs: theirSide(state),
    ...(reason === 'status_mismatch' && !isFinal(row) ? { redrive: row } : {}),
  };
}

async function insertFindings(tx: Transaction, runId: string, findings: Finding[]): Promise<void> {
  if (findings.length === 0) return;
  const values = findings.map((f) => ({
    id: newId('reconciliationItem'),
    runId,
    payoutId: f.payoutId,
    referenceId: f.referenceId,
    providerPayoutId: f.providerPayoutId,
    reason: f.reason,
    ours: f.ours,
    theirs: f.theirs,
  }));
  // A step done again after a crash finds what it found before: the first finding stands.
  await tx.insert(reconciliationItems).values(values).onConflictDoNothing();
}
