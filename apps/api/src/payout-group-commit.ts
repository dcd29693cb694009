import type { ApiMetrics } from '@payouts/observability';
import { jobContext, jobIds } from '@payouts/queue';
import type { ApiDeps } from './deps.ts';
import { DEFAULT_GROUP_COMMIT, type GroupCommitOptions } from './env.ts';
import { type CreateOutcome, createGroup, createOne, type GroupOutcome, type PayoutCreate } from './payout-create.ts';

interface Waiting {
  create: PayoutCreate;
  /** `scope\nkey`: one per group, and none while a group with the same key is being written. */
  id: string;
  resolve(outcome: CreateOutcome): void;
  reject(error: unknown): void;
}

/**
 * The group commit of `POST /v1/payouts`: requests that arrive within a few milliseconds of one
 * another are written by ONE statement (`createGroup`: one commit for all their payouts, first
 * events and Idempotency-Key records), handed to the reconciler by ONE `addBulk`, and only then
 * answered. Per request, Postgres and Redis did one round trip each; a group shares them, which is
 * what bounds the API's throughput once the commits, not the HTTP work, are the cost.
 *
 * A group closes `windowMs` after its first request arrived, or as soon as it has `maxSize`
 * requests, whichever comes first: a request alone waits at most `windowMs` more than it would
 * have. A request alone in its group is written by the single-request statement (`createOne`).
 *
 * Idempotency-Key semantics are the single path's, per request: a group holds at most one request
 * per key, and a second request with a key whose create is waiting or being written waits for the
 * next group, where it finds the first one's record: the same answer (replayed) for the same body,
 * 422 for another, never a second payout. Across API instances the advisory lock still answers
 * 409 to a twin in flight elsewhere.
 *
 * If the group's statement fails, nothing of it was written (one statement, one transaction), and
 * each request is written again on its own: a request whose row Postgres refuses (its reference
 * held by a live payout, say) gets its own answer and the others are created.
 *
 * Crash safety is the single path's: no request is answered before its statement committed, and
 * a payout whose enqueue is lost after the commit is re-driven by the sweeper from Postgres.
 */
export class PayoutGroupCommit {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Keys of the groups being written now. */
  private readonly writing = new Set<string>();

  constructor(
    private readonly deps: ApiDeps,
    private readonly options: GroupCommitOptions = DEFAULT_GROUP_COMMIT,
    private readonly metrics?: Pick<ApiMetrics, 'payoutCommitSize' | 'payoutCommitFallbacks'>,
  ) {}

  /** Writes this request's create with whichever requests share its group; resolves once committed and enqueued. */
  write(create: PayoutCreate): Promise<CreateOutcome> {
    return new Promise<CreateOutcome>((resolve, reject) => {
      this.waiting.push({ create, id: `${create.tenantId}\n${create.key}`, resolve, reject });
      if (this.waiting.length >= this.options.maxSize) this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer || this.waiting.length === 0) return;
    this.timer = setTimeout(() => this.flush(), this.options.windowMs);
  }

  /** Closes a group: the oldest waiting requests, one per key, none whose key is being written. */
  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const group: Waiting[] = [];
    const keys = new Set<string>();
    const left: Waiting[] = [];
    for (const w of this.waiting) {
      if (group.length < this.options.maxSize && !keys.has(w.id) && !this.writing.has(w.id)) {
        group.push(w);
        keys.add(w.id);
      } else {
        left.push(w);
      }
    }
    this.waiting = left;
    if (group.length === 0) return;
    for (const id of keys) this.writing.add(id);
    // The group is written outside the request context of whichever request opened it: each job
    // carries its own request's trace.
    void jobContext
      .exit(() => this.commit(group))
      // A bug past the writes must not leave a request hanging (settled ones ignore this).
      .catch((error: unknown) => {
        for (const w of group) w.reject(error);
      })
      .finally(() => {
        for (const id of keys) this.writing.delete(id);
        // A twin held back for this group has waited for it already: its turn is now.
        if (this.waiting.some((w) => keys.has(w.id))) this.flush();
        else this.schedule();
      });
    this.schedule();
  }

  private async commit(group: Waiting[]): Promise<void> {
    let outcomes: GroupOutcome[];
    try {
      outcomes = await this.writeGroup(group.map((w) => w.create));
    } catch (error) {
      for (const w of group) w.reject(error);
      return;
    }
    // Created and due now: one job each, in one round trip. A scheduled payout has no job until it
    // is due (the reconciler's release finds it); one waiting for approval goes, so that the
    // reconciler sends its `payout.pending_approval`.
    const due = group.filter((w, i) => {
      const o = outcomes[i];
      return o?.ok === true && !o.outcome.replayed && w.create.record.status !== 'scheduled';
    });
    if (due.length > 0) {
      const jobs = due.map((w) => ({
        data: { ...w.create.trace, payoutId: w.create.record.id },
        opts: { jobId: jobIds.accepted(w.create.record.id) },
      }));
      await this.deps.queues.toReconcilerBulk('payout.accepted', jobs).catch((error) =>
        // The payouts are durable already; the sweeper re-drives them from Postgres.
        this.deps.logger.warn(
          { err: error, payoutIds: due.map((w) => w.create.record.id) },
          'enqueue after commit failed; the sweeper will re-drive',
        ),
      );
    }
    group.forEach((w, i) => {
      const o = outcomes[i];
      if (o?.ok) w.resolve(o.outcome);
      else w.reject(o ? o.error : new Error('no outcome for a request of the group'));
    });
  }

  private async writeGroup(creates: PayoutCreate[]): Promise<GroupOutcome[]> {
    if (creates.length > 1) {
      try {
        const outcomes = await createGroup(this.deps, creates);
        this.metrics?.payoutCommitSize.observe(creates.length);
        return outcomes;
      } catch (error) {
        // Nothing of the group was written. Each request on its own finds out which one
        // Postgres refuses (a reference held by a live payout, a twin's reference in the same
        // group) and answers it alone.
        this.metrics?.payoutCommitFallbacks.inc();
        this.deps.logger.debug({ err: error, size: creates.length }, 'group commit failed; writing each request alone');
      }
    }
    return Promise.all(
      creates.map((c) =>
        createOne(this.deps, c).then(
          (outcome): GroupOutcome => {
            this.metrics?.payoutCommitSize.observe(1);
            return { ok: true, outcome };
          },
          (error: unknown): GroupOutcome => ({ ok: false, error }),
        ),
      ),
    );
  }
}
