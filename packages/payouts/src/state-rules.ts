import { canTransition, PAYOUT_STATUSES, type PayoutStatus } from '@payouts/core';
import { holdPlaced, type PayoutState, waitsForWallet } from './predicates.ts';

/**
 * What each state means beside the transition table (`TRANSITIONS` in @payouts/core): the job
 * that moves a payout on from it when its job was lost, whether the sweeper looks for it, and
 * what entering it does to the ledger. One row per state, checked by a test, so a new state
 * cannot be added without deciding all three.
 */
export interface StateRule {
  /**
   * The job that moves a payout on from this state (the sweeper and operator replays):
   * `accept` asks the reconciler to hold its money, `submit` hands it to its provider, `poll`
   * looks at the provider; `by_queue_reason` depends on what a `queued` payout waits for.
   */
  redrive: 'accept' | 'submit' | 'poll' | 'by_queue_reason' | 'none';
  /**
   * Whether the sweeper re-drives it once it has not moved for a while. `needs_attention` has a
   * re-drive (an operator's replay) but is left to operators. `when_due`: not for being still
   * (a scheduled payout is still on purpose) but once its `scheduled_for` has come: the
   * reconciler's release of due payouts scans for it every second (`dueForReleaseSql`).
   */
  swept: boolean | 'when_due';
  /**
   * What entering the state does to the ledger: `hold` places the hold (when there is none yet),
   * `void` releases it (when there is one), `post` settles it with the fees and tax, `reverse`
   * returns a settled payout (posting it first when the `processed` in between was never seen).
   */
  ledger: 'none' | 'hold' | 'void' | 'post' | 'reverse';
}

export const STATE_RULES: Readonly<Record<PayoutStatus, StateRule>> = {
  // Waits for people, maybe for days: not swept by age. Its decision (approved, rejected, expired)
  // is in Postgres (`approval_requests`); the sweeper's approval scan re-drives a decided payout
  // whose job was lost, and expires those past their time. `accept` applies the decision.
  pending_approval: { redrive: 'accept', swept: false, ledger: 'none' },
  // Released by the `accept` job, which moves a due one to `accepted` and on (a replay of one not
  // yet due changes nothing); nothing is held before.
  scheduled: { redrive: 'accept', swept: 'when_due', ledger: 'none' },
  accepted: { redrive: 'accept', swept: true, ledger: 'none' },
  reserved: { redrive: 'submit', swept: true, ledger: 'hold' },
  queued: { redrive: 'by_queue_reason', swept: true, ledger: 'none' },
  submitted: { redrive: 'poll', swept: true, ledger: 'none' },
  unknown: { redrive: 'poll', swept: true, ledger: 'none' },
  processing: { redrive: 'poll', swept: true, ledger: 'none' },
  needs_attention: { redrive: 'poll', swept: false, ledger: 'none' },
  processed: { redrive: 'none', swept: false, ledger: 'post' },
  failed: { redrive: 'none', swept: false, ledger: 'void' },
  rejected: { redrive: 'none', swept: false, ledger: 'void' },
  cancelled: { redrive: 'none', swept: false, ledger: 'void' },
  reversed: { redrive: 'none', swept: false, ledger: 'reverse' },
};

/** The states the sweeper scans for payouts that stopped moving. */
export const SWEPT_STATUSES: readonly PayoutStatus[] = PAYOUT_STATUSES.filter((s) => STATE_RULES[s].swept === true);

/** The states the release of due payouts scans (by `scheduled_for`, not by age). */
export const SWEPT_WHEN_DUE_STATUSES: readonly PayoutStatus[] = PAYOUT_STATUSES.filter(
  (s) => STATE_RULES[s].swept === 'when_due',
);

/** What re-drives a payout from its recorded state, or null when no job does (final, or waiting for its wallet). */
export function redriveAction(
  p: PayoutState & { providerPayoutId: string | null },
): 'accept' | 'submit' | 'poll' | null {
  const action = STATE_RULES[p.status].redrive;
  if (action === 'none') return null;
  if (action !== 'by_queue_reason') return action;
  if (waitsForWallet(p)) return null; // released by a funding, not a job
  // Parked before the provider had it: submit (the provider gate decides when); queued at the
  // provider itself (RazorpayX's own queue): follow it.
  return p.providerPayoutId ? 'poll' : 'submit';
}

export type LedgerStep = 'hold' | 'void' | 'post' | 'reverse';

/**
 * The ledger transactions a transition writes, in order, read from `STATE_RULES`: the effect of
 * the target state, given whether the payout holds money already and whether it was posted.
 */
export function ledgerSteps(from: PayoutState, to: PayoutStatus): LedgerStep[] {
  if (!canTransition(from.status, to)) throw new Error(`bug: transition ${from.status} → ${to} is not in the table`);
  switch (STATE_RULES[to].ledger) {
    case 'none':
      return [];
    case 'hold':
      return holdPlaced(from) ? [] : ['hold'];
    case 'void':
      return holdPlaced(from) ? ['void'] : [];
    case 'post':
      return ['post'];
    case 'reverse':
      // A poll may see the reversal without having seen `processed`: post, then compensate.
      return from.status === 'processed' ? ['reverse'] : ['post', 'reverse'];
  }
}
