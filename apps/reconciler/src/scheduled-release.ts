import { type Database, payoutBatches, payouts, rowsOf } from '@payouts/db';
import { walletBalances } from '@payouts/ledger';
import type { Logger } from '@payouts/observability';
import { dueForReleaseSql, shortfallsOf } from '@payouts/payouts';
import { ACCEPTED_SLICE, BATCH_JOB_PRIORITY, type Queues } from '@payouts/queue';
import { and, asc, eq, sql } from 'drizzle-orm';

/**
 * Scheduled payouts (docs/api.md#scheduled-payouts) wait in Postgres, nowhere else: no job is
 * queued for them when they are created, so a flushed Redis or a restarted process loses nothing.
 * Every SCHEDULE_RELEASE_INTERVAL_MS (a second by default) the reconciler looks for those whose `scheduled_for`
 * has come, by the database's clock, oldest time first, and hands them to itself exactly as a
 * batch upload does: `payouts.accepted` jobs of ACCEPTED_SLICE payouts, added in bulk, in time
 * order, so thousands due at one minute are released set-based, a slice per transaction. Applying
 * such a job is the release proper (`releaseScheduled` in apply-events.ts): under the payout's row
 * lock, `scheduled` → `accepted`, then its hold, in one transaction; a payout released already is
 * left as it is, so a slice handed over twice (two reconcilers, a resend) releases each payout once.
 *
 * A slice whose job is lost (a Redis flush) leaves its payouts `scheduled` and due: the scan finds
 * them again and hands them over once more, after `resendAfterMs` (the sweeper's SWEEP_AFTER_MS),
 * or at once in a process that did not hand them over (a restarted reconciler).
 */
export interface ScheduledReleaseOptions {
  /** How long a payout handed over stays trusted to its job before it is handed over again. */
  resendAfterMs: number;
  /** Due payouts looked at per pass. */
  limit?: number;
}

export interface ReleaseResult {
  /** Payouts handed over for release in this pass. */
  handedOver: number;
  /** Scheduled runs whose pre-flight when due was written in this pass. */
  runsChecked: number;
}

export class ScheduledRelease {
  /** Payouts this process handed over, with when: not handed over again until `resendAfterMs` passed. */
  private readonly handedOver = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly queues: Queues,
    private readonly options: ScheduledReleaseOptions,
    private readonly logger?: Logger,
  ) {}

  /** One pass: the due payouts, oldest time first, their runs' pre-flight, then their jobs. */
  async releaseDue(now: number = Date.now()): Promise<ReleaseResult> {
    for (const [id, at] of this.handedOver) if (now - at >= this.options.resendAfterMs) this.handedOver.delete(id);
    const due = await this.db
      .select({ id: payouts.id, batchId: payouts.batchId })
      .from(payouts)
      .where(dueForReleaseSql)
      .orderBy(asc(payouts.scheduledFor), asc(payouts.id))
      .limit(this.options.limit ?? 10_000);
    const fresh = due.filter((p) => !this.handedOver.has(p.id));
    if (fresh.length === 0) return { handedOver: 0, runsChecked: 0 };

    // A run is checked once, when due, before any of its payouts is released (they wait for it).
    let runsChecked = 0;
    for (const runId of new Set(fresh.flatMap((p) => (p.batchId ? [p.batchId] : [])))) {
      if (await checkRunAtDue(this.db, runId)) runsChecked++;
    }

    const slices = [];
    for (let i = 0; i < fresh.length; i += ACCEPTED_SLICE) {
      const ids = fresh.slice(i, i + ACCEPTED_SLICE).map((p) => p.id);
      // No job id: a slice's payouts are its own only for this pass (a fixed id could be held by a
      // failed job for a day and swallow the resend); a duplicate changes nothing anyway.
      slices.push({ data: { payoutIds: ids }, opts: { priority: BATCH_JOB_PRIORITY } });
    }
    await this.queues.toReconcilerBulk('payouts.accepted', slices);
    for (const p of fresh) this.handedOver.set(p.id, now);
    this.logger?.info({ handedOver: fresh.length, runsChecked }, 'scheduled payouts due: handed over for release');
    return { handedOver: fresh.length, runsChecked };
  }
}

/**
 * A scheduled run's wallet pre-flight when it is due (docs/batches.md): what its payouts still
 * scheduled need, against the wallet now, written on the run once (under its row lock, so two
 * reconcilers write it once). The release of each of its payouts reads it: a run found short is
 * failed whole, or queued for funds, as its `on_insufficient_funds` says. Returns whether this call wrote it.
 */
async function checkRunAtDue(db: Database, runId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [run] = await tx.select().from(payoutBatches).where(eq(payoutBatches.id, runId)).for('update');
    if (!run?.schedulePreflight || run.schedulePreflight.due !== null) return false;
    const needs = rowsOf<{ currency: string; needed: string }>(
      await tx.execute(sql`
        select currency, sum(amount + fee_reserve)::text as needed from payouts
        where ${and(eq(payouts.batchId, runId), eq(payouts.status, 'scheduled'))}
        group by currency`),
    );
    const [clock] = rowsOf<{ now: string | Date }>(await tx.execute(sql`select now() as now`));
    const shortfalls = shortfallsOf(
      new Map(needs.map((n) => [n.currency, BigInt(n.needed)])),
      await walletBalances(tx, run.tenantId),
    );
    await tx
      .update(payoutBatches)
      .set({
        schedulePreflight: {
          ...run.schedulePreflight,
          due: { checked_at: new Date(clock?.now ?? Date.now()).toISOString(), shortfalls },
        },
      })
      .where(eq(payoutBatches.id, runId));
    return true;
  });
}
