import { payouts } from '@payouts/db';
import type { PayoutRow } from '@payouts/payouts';
import { eq } from 'drizzle-orm';
import type { ApiDeps } from '../deps.ts';
import { recordOperatorAction } from '../operator-log.ts';
import { problems } from '../problem.ts';
import { type Asked, askProvider, reportOf } from '../provider-lookup.ts';

/** What the replay of a failed payout answers: as the replay of an unfinished one, and `pending` while the reconciler has not applied it. */
export interface FailedReplayResult {
  payout_id: string;
  status: string;
  replayed: boolean;
  pending: boolean;
}

/**
 * The replay of a payout failed for a systemic reason (docs/operations.md, "Replay of systemic
 * failures"). Its failure code must be one of SYSTEMIC_FAILURE_CODES (our credentials or account
 * were refused, not the payout), and its provider, asked with the same keys by its id there or by
 * our reference, must answer that it has no record of it. Then the reconciler holds its money
 * again and hands it to its provider with the idempotency key it always had; if the provider has
 * it after all, nothing is sent and its real state is reported (kept in the payout's history).
 * A lookup that cannot prove the absence refuses the replay: never paid twice.
 */
export async function replayFailed(deps: ApiDeps, actor: string, row: PayoutRow): Promise<FailedReplayResult> {
  const code = row.failureCode ?? '';
  const verdict = await judgeFailedReplay(deps, row);
  if (verdict.kind === 'not_systemic') throw problems.conflict('failure_not_systemic', verdict.detail);
  if (verdict.kind === 'at_provider') {
    const asked = verdict.asked;
    // The provider has it: what it says is reported as any lookup's answer (a failed payout does
    // not move; its history keeps the answer), and nothing is sent again.
    await deps.reconciler.call('payout.report', reportOf(row.id, asked.state, null));
    await recordOperatorAction(deps.db, {
      actor,
      action: 'payout.replay',
      target: row.id,
      params: {},
      result: { outcome: 'refused', reason: 'payout_at_provider', provider_status: asked.state.rawStatus },
    });
    throw problems.conflict('payout_at_provider', verdict.detail);
  }
  if (verdict.kind === 'absence_not_proven') {
    await recordOperatorAction(deps.db, {
      actor,
      action: 'payout.replay',
      target: row.id,
      params: {},
      result: { outcome: 'refused', reason: 'absence_not_proven', provider: verdict.why },
    });
    throw problems.conflict('absence_not_proven', verdict.detail);
  }
  const reply = await deps.reconciler.call('payout.replay', {
    payoutId: row.id,
    failureCode: code,
    actor,
    lookup: verdict.why,
  });
  if (reply.state === 'answered' && reply.answer.outcome === 'refused') {
    // The reconciler recorded the refusal in the operator log, in the transaction that decided it.
    if (reply.answer.reason === 'insufficient_funds') {
      throw problems.conflict(
        'insufficient_funds',
        `The ${row.currency} wallet's available balance cannot cover the payout's hold again: fund the wallet, then replay it.`,
      );
    }
    throw problems.conflict(
      'payout_not_replayable',
      `The payout is ${reply.answer.status ?? 'no longer failed'}: it moved while being replayed, and was not replayed.`,
    );
  }
  // Postgres says what happened (the answer may be gone, or not come yet): a replay applied counted one more.
  const [current] = await deps.db
    .select({ status: payouts.status, replays: payouts.replays })
    .from(payouts)
    .where(eq(payouts.id, row.id));
  const now = current ?? row;
  return {
    payout_id: row.id,
    status: now.status,
    replayed: now.replays > row.replays,
    pending: reply.state === 'pending' && now.replays === row.replays,
  };
}

/**
 * Whether a failed payout may be replayed, as the replay itself judges it, with nothing changed:
 * its code must be systemic, and its provider (asked with the same keys; the one call made) must
 * prove it has no record of it. The wallet's cover for a new hold is judged only by the replay.
 */
export type FailedReplayVerdict =
  | { kind: 'not_systemic'; detail: string }
  | { kind: 'at_provider'; asked: Extract<Asked, { kind: 'answer' }>; detail: string }
  | { kind: 'absence_not_proven'; asked: Asked; why: string; detail: string }
  | { kind: 'replayable'; asked: Asked; why: string };

export async function judgeFailedReplay(deps: ApiDeps, row: PayoutRow): Promise<FailedReplayVerdict> {
  const codes = deps.systemicFailureCodes ?? new Set<string>();
  const code = row.failureCode ?? '';
  if (!codes.has(code)) {
    return {
      kind: 'not_systemic',
      detail: `The payout failed with ${code || 'no failure code'}: not a systemic failure (SYSTEMIC_FAILURE_CODES: ${[...codes].join(', ') || 'none'}), so it is final. Pay again with a new payout.`,
    };
  }
  const asked = await askProvider(deps, row);
  if (asked.kind === 'answer') {
    return {
      kind: 'at_provider',
      asked,
      detail: `${row.provider} has the payout as ${asked.state.rawStatus} (${asked.state.providerPayoutId}): it reached the provider, so it is not sent again. Follow it there.`,
    };
  }
  if (asked.why !== 'no record of the payout' || row.providerPayoutId) {
    return {
      kind: 'absence_not_proven',
      asked,
      why: asked.why,
      detail: row.providerPayoutId
        ? `${row.provider} gave the payout an id (${row.providerPayoutId}): it reached the provider, so it is not sent again.`
        : `${row.provider} cannot prove it has no record of the payout (${asked.why}), so it is not sent again.`,
    };
  }
  return { kind: 'replayable', asked, why: asked.why };
}
