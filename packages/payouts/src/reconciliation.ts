import { newId, type PayoutStatus } from '@payouts/core';
import { type Executor, type reconciliationItems, reconciliationRuns, rowsOf } from '@payouts/db';
import type { ProviderPayoutState } from '@payouts/providers';
import { and, eq, sql } from 'drizzle-orm';
import type { PayoutRow } from './rows.ts';

/**
 * Per-payout reconciliation (docs/operations.md, "Reconciliation"): what a run concludes about one
 * payout of ours and the provider's record of it. `matched` when they agree; otherwise the first
 * drift, in the order money matters: the amount (or currency), the state, the fees, the UTR.
 * `not_sent`: never handed to the provider, and the provider has nothing either.
 */
export const RECONCILIATION_REASONS = [
  'matched',
  'not_sent',
  'amount_mismatch',
  'currency_mismatch',
  'status_mismatch',
  'fee_mismatch',
  'utr_mismatch',
  'missing_at_provider',
  'unknown_to_us',
] as const;
export type ReconciliationReason = (typeof RECONCILIATION_REASONS)[number];

/** Reasons that are drifts: everything but agreement. */
export const DRIFT_REASONS: readonly ReconciliationReason[] = RECONCILIATION_REASONS.filter(
  (r) => r !== 'matched' && r !== 'not_sent',
);

export const RECONCILIATION_STATUSES = ['running', 'completed', 'failed'] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];

/** Our states as a provider can agree with them: in flight, paid, paid and returned, or not paid. */
type Phase = 'in_flight' | 'processed' | 'reversed' | 'not_paid';
function phaseOf(status: PayoutStatus): Phase {
  switch (status) {
    case 'processed':
      return 'processed';
    case 'reversed':
      return 'reversed';
    case 'failed':
    case 'rejected':
    case 'cancelled':
      return 'not_paid';
    default:
      return 'in_flight';
  }
}

/** States our ledger posted fees for, and that a UTR belongs to. */
const PAID: ReadonlySet<Phase> = new Set(['processed', 'reversed']);

/** Whether the provider should have the payout: we have its id there, or sent it (outcome unknown). */
export function expectedAtProvider(row: Pick<PayoutRow, 'providerPayoutId' | 'status'>): boolean {
  if (row.providerPayoutId) return true;
  return ['submitted', 'unknown', 'processing', 'processed', 'reversed', 'needs_attention'].includes(row.status);
}

/** What a run compares of ours, and shows as `ours`. */
export function ourSide(row: PayoutRow): Record<string, unknown> {
  return {
    status: row.status,
    amount: row.amount.toString(),
    currency: row.currency,
    fees: row.fees?.toString() ?? null,
    tax: row.tax?.toString() ?? null,
    utr: row.utr,
    provider_payout_id: row.providerPayoutId,
    reference_id: row.referenceId,
  };
}

/** What the provider stated, as a run shows it under `theirs`. */
export function theirSide(state: ProviderPayoutState): Record<string, unknown> {
  return {
    status: state.outcome,
    raw_status: state.rawStatus,
    amount: state.stated?.amount?.toString() ?? null,
    currency: state.stated?.currency ?? null,
    fees: state.fees?.toString() ?? null,
    tax: state.tax?.toString() ?? null,
    utr: state.utr ?? null,
    provider_payout_id: state.providerPayoutId,
    payout_id: state.stated?.payoutId ?? null,
    created_at: state.stated?.createdAt == null ? null : new Date(state.stated.createdAt).toISOString(),
    ...readingsOf(state),
    ...feeReadingsOf(state),
  };
}

/**
 * The provider's amount and fee under both fee modes when they disagree (a fee was charged), and
 * the reading its own `net_amount` fits, minor units: `{fee_readings: {net_amount: "49500",
 * on_top: {paid_out: "50000", debited: "50500"}, deducted: {paid_out: "49500", debited: "50000"},
 * fits: "deducted"}}`. Krayon's answers carry them (KRAYON_FEE_MODE).
 */
function feeReadingsOf(state: ProviderPayoutState): { fee_readings?: Record<string, unknown> } {
  const fee = state.stated?.feeReadings;
  if (!fee) return {};
  const { on_top, deducted } = fee.readings;
  if (on_top.paidOut === deducted.paidOut && on_top.debited === deducted.debited) return {};
  const side = (r: { paidOut: bigint; debited: bigint }) => ({
    paid_out: r.paidOut.toString(),
    debited: r.debited.toString(),
  });
  const fits =
    fee.netAmount === null
      ? null
      : fee.netAmount === on_top.paidOut
        ? 'on_top'
        : fee.netAmount === deducted.paidOut
          ? 'deducted'
          : null;
  return {
    fee_readings: {
      net_amount: fee.netAmount?.toString() ?? null,
      on_top: side(on_top),
      deducted: side(deducted),
      fits,
    },
  };
}

/**
 * The provider's amount in every reading its adapter knows, when the readings disagree (the Thai
 * gateway's amount string): `{amount_readings: {baht: "100000", satang: "1000"}}`, minor units.
 */
function readingsOf(state: ProviderPayoutState): { amount_readings?: Record<string, string | null> } {
  const readings = state.stated?.amountReadings;
  if (!readings) return {};
  const values = Object.values(readings);
  if (values.every((v) => v === values[0])) return {};
  return { amount_readings: Object.fromEntries(Object.entries(readings).map(([k, v]) => [k, v?.toString() ?? null])) };
}

/** One payout of ours against the provider's record of it. Pure. */
export function compareWithProvider(row: PayoutRow, state: ProviderPayoutState): ReconciliationReason {
  const stated = state.stated;
  if (stated?.currency != null && stated.currency !== row.currency) return 'currency_mismatch';
  if (stated?.amount != null && stated.amount !== row.amount) return 'amount_mismatch';
  const ours = phaseOf(row.status);
  const theirs = phaseOf(state.outcome);
  if (ours !== theirs) return 'status_mismatch';
  if (PAID.has(ours)) {
    if (state.fees != null && state.fees !== (row.fees ?? 0n)) return 'fee_mismatch';
    if (state.tax != null && state.tax !== (row.tax ?? 0n)) return 'fee_mismatch';
    if (state.utr != null && state.utr !== row.utr) return 'utr_mismatch';
  }
  return 'matched';
}

export type ReconciliationRunRow = typeof reconciliationRuns.$inferSelect;
export type ReconciliationItemRow = typeof reconciliationItems.$inferSelect;

/**
 * Starts a run for a provider and window, or finds the one that exists: one run per window, so a
 * repeated request (an operator's retry, two reconcilers' nightly schedules) starts nothing new.
 * A failed run asked for again is started again from its checkpoint.
 */
export async function startReconciliationRun(
  db: Executor,
  r: { provider: string; from: Date; to: Date; requestedBy: string },
): Promise<{ run: ReconciliationRunRow; created: boolean }> {
  const [created] = await db
    .insert(reconciliationRuns)
    .values({
      id: newId('reconciliation'),
      provider: r.provider,
      windowFrom: r.from,
      windowTo: r.to,
      requestedBy: r.requestedBy,
    })
    .onConflictDoNothing()
    .returning();
  if (created) return { run: created, created: true };
  const [existing] = await db
    .update(reconciliationRuns)
    .set({
      status: sql`case when ${reconciliationRuns.status} = 'failed' then 'running' else ${reconciliationRuns.status} end`,
      error: sql`case when ${reconciliationRuns.status} = 'failed' then null else ${reconciliationRuns.error} end`,
    })
    .where(
      and(
        eq(reconciliationRuns.provider, r.provider),
        eq(reconciliationRuns.windowFrom, r.from),
        eq(reconciliationRuns.windowTo, r.to),
      ),
    )
    .returning();
  if (!existing) throw new Error(`reconciliation run for ${r.provider} vanished between insert and read`);
  return { run: existing, created: false };
}

/** The run's counts, by reason, from its items: a finding written twice would be one row, so never counted twice. */
export async function reconciliationCounts(db: Executor, runId: string): Promise<Record<string, number>> {
  const rows = rowsOf<{ reason: string; n: string | number }>(
    await db.execute(
      sql`select reason, count(*) as n from reconciliation_items where run_id = ${runId} group by reason`,
    ),
  );
  const counts: Record<string, number> = Object.fromEntries(RECONCILIATION_REASONS.map((r) => [r, 0]));
  for (const r of rows) counts[r.reason] = Number(r.n);
  return counts;
}

/** One currency of a run's balance comparison; amounts are minor units, as decimal strings. */
export interface ReconciliationBalance {
  currency: string;
  ours: string;
  theirs: string | null;
  difference: string | null;
  funded: string;
  paid_out: string;
  in_flight: { payouts: number; amount: string };
}

/** A run as the API shows it. */
export function reconciliationRunResource(run: ReconciliationRunRow, counts: Record<string, number>) {
  const checked = Object.entries(counts)
    .filter(([reason]) => reason !== 'unknown_to_us')
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    id: run.id,
    object: 'reconciliation' as const,
    provider: run.provider,
    from: run.windowFrom.toISOString(),
    to: run.windowTo.toISOString(),
    status: run.status as ReconciliationStatus,
    requested_by: run.requestedBy,
    counts,
    progress: {
      phase: run.phase,
      payouts_total: run.payoutsTotal,
      payouts_checked: checked,
      provider_records_seen: run.providerRecordsSeen,
      provider_calls: run.providerCalls,
    },
    /**
     * Where the provider reports balances: per currency, what our ledger says we hold there
     * (`ours`), what the provider says (`theirs`), `theirs − ours`, and the payouts still in flight.
     */
    balance: (run.balance ?? null) as ReconciliationBalance[] | null,
    error: run.error,
    created_at: run.createdAt.toISOString(),
    completed_at: run.completedAt?.toISOString() ?? null,
  };
}

/** An item as the API (and the CSV) shows it. */
export function reconciliationItemResource(item: ReconciliationItemRow) {
  return {
    id: item.id,
    payout_id: item.payoutId,
    reference_id: item.referenceId,
    provider_payout_id: item.providerPayoutId,
    reason: item.reason as ReconciliationReason,
    ours: item.ours ?? null,
    theirs: item.theirs ?? null,
    resolution: item.resolvedAt
      ? { resolved_at: item.resolvedAt.toISOString(), resolved_by: item.resolvedBy, note: item.resolutionNote }
      : null,
  };
}
