import { type Database, providerAttempts, providerSubmissions, type Transaction, tenants } from '@payouts/db';
import type { PayoutRow } from '@payouts/payouts';
import type { ReconcilerJobData } from '@payouts/queue';
import { and, eq, inArray } from 'drizzle-orm';

type EndedAttempt = typeof providerAttempts.$inferInsert;

/**
 * Of these provider payout ids at one provider, those of payouts' ended attempts (rail fallback):
 * the provider keeps their records beside the current attempt's, with our payout id on both.
 */
export async function endedAttemptIds(
  db: Database,
  provider: string,
  providerPayoutIds: string[],
): Promise<Set<string>> {
  if (providerPayoutIds.length === 0) return new Set();
  const found = await db
    .select({ providerPayoutId: providerAttempts.providerPayoutId })
    .from(providerAttempts)
    .where(
      and(
        eq(providerAttempts.provider, provider as EndedAttempt['provider']),
        inArray(providerAttempts.providerPayoutId, providerPayoutIds),
      ),
    );
  return new Set(found.flatMap((a) => (a.providerPayoutId ? [a.providerPayoutId] : [])));
}

/**
 * What a batch of the reconciler needs to know about its payouts' provider attempts (docs/api.md,
 * "Rail fallback"): the provider ids of their earlier attempts, so a late answer about an attempt
 * that already ended (a poll or webhook of the IMPS attempt after the NEFT one began) is recorded
 * and ignored, never applied to the current attempt; and each tenant's rail fallback setting, read
 * only for payouts a confirmed failure may move to a new attempt. Kept beside the batch, not in
 * it: the batch only asks.
 */
export class AttemptFacts {
  private readonly earlier = new Map<string, Set<string>>();
  private readonly railFallback = new Map<string, boolean>();
  /** Of the payouts a worker asked to move to another provider, those a submission was ever claimed for. */
  private readonly claimedSubmissions = new Set<string>();
  /** Attempts ended by this batch, written with it. */
  readonly ended: EndedAttempt[] = [];

  static async load(
    tx: Transaction | Database,
    rows: ReadonlyMap<string, PayoutRow>,
    reports: ReconcilerJobData<'payout.report'>[],
  ): Promise<AttemptFacts> {
    const facts = new AttemptFacts();
    const reported = reports.flatMap((r) => {
      const row = rows.get(r.payoutId);
      return row ? [{ row, r }] : [];
    });
    const retried = [...new Set(reported.filter(({ row }) => row.attempt > 1).map(({ row }) => row.id))];
    if (retried.length > 0) {
      const found = await tx
        .select({ payoutId: providerAttempts.payoutId, providerPayoutId: providerAttempts.providerPayoutId })
        .from(providerAttempts)
        .where(inArray(providerAttempts.payoutId, retried));
      for (const a of found) if (a.providerPayoutId) facts.addEarlier(a.payoutId, a.providerPayoutId);
    }
    // A move to another provider before sending needs to know nothing was ever claimed for sending:
    // read under the rows' locks, which every claim takes too.
    const rerouted = [...new Set(reported.filter(({ r }) => r.reroute).map(({ row }) => row.id))];
    if (rerouted.length > 0) {
      const found = await tx
        .select({ payoutId: providerSubmissions.payoutId })
        .from(providerSubmissions)
        .where(inArray(providerSubmissions.payoutId, rerouted));
      for (const s of found) facts.claimedSubmissions.add(s.payoutId);
    }
    // Only a confirmed failure of a payout without its own choice needs the tenant's setting.
    const tenantIds = [
      ...new Set(
        reported
          .filter(({ row, r }) => r.outcome === 'failed' && row.railFallback === null)
          .map(({ row }) => row.tenantId),
      ),
    ];
    if (tenantIds.length > 0) {
      const found = await tx
        .select({ id: tenants.id, railFallback: tenants.railFallback })
        .from(tenants)
        .where(inArray(tenants.id, tenantIds));
      for (const t of found) facts.railFallback.set(t.id, t.railFallback);
    }
    return facts;
  }

  /** Whether `providerPayoutId` is the provider's id of one of the payout's earlier attempts. */
  isEarlier(payoutId: string, providerPayoutId: string | null): boolean {
    return providerPayoutId !== null && (this.earlier.get(payoutId)?.has(providerPayoutId) ?? false);
  }

  /** Whether a submission of the payout was ever claimed (something may have been sent). */
  claimed(payoutId: string): boolean {
    return this.claimedSubmissions.has(payoutId);
  }

  tenantRailFallback(tenantId: string): boolean {
    return this.railFallback.get(tenantId) ?? false;
  }

  /** Ends the payout's current attempt as the provider confirmed it, before the row moves on. */
  end(
    row: PayoutRow,
    answer: {
      providerPayoutId: string | null;
      providerStatus: string | null;
      failure: { code: string; message: string };
    },
    endedAt: Date,
  ): EndedAttempt {
    const { providerPayoutId, providerStatus, failure } = answer;
    const ended: EndedAttempt = {
      payoutId: row.id,
      attempt: row.attempt,
      provider: row.provider,
      method: row.method,
      idempotencyKey: row.providerIdempotencyKey,
      providerPayoutId,
      providerStatus,
      outcome: 'failed',
      failureCode: failure.code,
      failureMessage: failure.message,
      endedAt,
    };
    this.ended.push(ended);
    if (providerPayoutId) this.addEarlier(row.id, providerPayoutId);
    return ended;
  }

  private addEarlier(payoutId: string, providerPayoutId: string): void {
    const set = this.earlier.get(payoutId) ?? new Set<string>();
    set.add(providerPayoutId);
    this.earlier.set(payoutId, set);
  }
}
