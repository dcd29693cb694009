import {
  CLIENT_CANCELLABLE,
  FINAL_STATUSES,
  PAYOUT_STATUSES,
  type PayoutStatus,
  type QueuedReason,
} from '@payouts/core';
import { payouts } from '@payouts/db';
import { and, eq, inArray, lte, notInArray, type SQL, sql } from 'drizzle-orm';

/**
 * The facts about a payout that its rules read. Each predicate below is written once, in
 * TypeScript for a loaded row and in SQL for a query, side by side, so the two cannot drift.
 */
export interface PayoutState {
  status: PayoutStatus;
  queuedReason: QueuedReason | null;
}

/** Waiting in `queued` for the tenant's wallet: no hold yet; a funding releases it, not a job. */
export function waitsForWallet(p: PayoutState): boolean {
  return p.status === 'queued' && p.queuedReason === 'wallet_low_balance';
}
export const waitsForWalletSql: SQL = sql`(${eq(payouts.status, 'queued')} and ${eq(payouts.queuedReason, 'wallet_low_balance')})`;

/**
 * Waiting in `queued` for its provider's float: held, and parked by us before the provider had it,
 * or queued at the provider itself (RazorpayX's own queue, which then knows its id).
 */
export function waitsForFloat(p: PayoutState): boolean {
  return p.status === 'queued' && p.queuedReason === 'provider_low_balance';
}
export const waitsForFloatSql: SQL = sql`(${eq(payouts.status, 'queued')} and ${eq(payouts.queuedReason, 'provider_low_balance')})`;

/**
 * Waiting in `queued` for its provider's downtime on its method to end: held, never sent (the
 * worker parks it before calling the provider), released oldest first when the downtime ends.
 */
export function waitsForDowntime(p: PayoutState): boolean {
  return p.status === 'queued' && p.queuedReason === 'provider_downtime';
}
export const waitsForDowntimeSql: SQL = sql`(${eq(payouts.status, 'queued')} and ${eq(payouts.queuedReason, 'provider_downtime')})`;

/**
 * A hold exists from `reserved` on; a payout not yet reserved (waiting for approval or for its time,
 * or accepted), or still waiting for its wallet, has none. Neither has a `failed` one: its hold was
 * released on the way in, so the replay out of it (`failed → reserved`) holds its money again.
 */
export function holdPlaced(p: PayoutState): boolean {
  return !(
    p.status === 'pending_approval' ||
    p.status === 'scheduled' ||
    p.status === 'accepted' ||
    p.status === 'failed' ||
    waitsForWallet(p)
  );
}

/**
 * A scheduled payout whose time has come: the reconciler releases it into the normal flow. The
 * SQL twin reads the database's clock, and so does the release (`releaseScheduled` in the
 * reconciler), so a reconciler's clock running ahead can never release a payout early.
 */
export function dueForRelease(p: { status: PayoutStatus; scheduledFor: Date | null }, now: Date): boolean {
  return p.status === 'scheduled' && p.scheduledFor !== null && p.scheduledFor.getTime() <= now.getTime();
}
export const dueForReleaseSql: SQL = sql`(${and(eq(payouts.status, 'scheduled'), lte(payouts.scheduledFor, sql`now()`))})`;

/** May be handed to its provider now: `reserved`, or parked on the provider's float or downtime. */
export function submittable(p: PayoutState): boolean {
  return p.status === 'reserved' || waitsForFloat(p) || waitsForDowntime(p);
}
export const submittableSql: SQL = sql`(${eq(payouts.status, 'reserved')} or ${waitsForFloatSql} or ${waitsForDowntimeSql})`;

/**
 * Whether a cancel asked for now is applied: the reconciler decides with it, and the API answers
 * with it. `claimed`: a worker has claimed the payout for submission (a provider submission
 * exists), so the provider may have it; a payout parked for the provider's float was there too.
 */
export function cancellable(p: PayoutState, claimed: boolean): boolean {
  return CLIENT_CANCELLABLE.has(p.status) && !claimed && !waitsForFloat(p);
}

/** Whether the engine has nothing left to do (processed may still be reversed by the bank). */
export function isFinal(p: Pick<PayoutState, 'status'>): boolean {
  return FINAL_STATUSES.has(p.status);
}
export const finalSql: SQL = inArray(payouts.status, [...FINAL_STATUSES]);
export const unfinishedSql: SQL = notInArray(payouts.status, [...FINAL_STATUSES]);

/** The states still in flight, in the table's order (for gauges and scans). */
export const UNFINISHED_STATUSES: readonly PayoutStatus[] = PAYOUT_STATUSES.filter((s) => !FINAL_STATUSES.has(s));
