import { type ProviderReport, REPORT_SLICE } from './catalog.ts';
import { jobContext, type Queues, traced } from './queues.ts';

/**
 * Hands a worker process's reports to the reconciler in bulk: the reports made within `lingerMs`
 * of the first (or `REPORT_SLICE` of them) leave together as one `payout.reports` job. Each
 * caller's promise settles when the job that carries its report is stored in Redis, so a job that
 * reported is completed only after its report is safe, as with one job per report; if the add
 * fails, every caller of that flush sees the error and its job is tried again.
 */
export class ReportBatcher {
  private buffer: { report: ProviderReport; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly queues: Queues,
    /** How long the first report of a flush waits for others: a few ms, against a job's ~40 Redis commands. */
    private readonly lingerMs = 5,
  ) {}

  add(report: ProviderReport): Promise<void> {
    // The trace of the job that reports, taken now: the flush runs outside any one job's context.
    const withTrace = traced(report);
    return new Promise<void>((resolve, reject) => {
      this.buffer.push({ report: withTrace, resolve, reject });
      if (this.buffer.length >= REPORT_SLICE) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.buffer.splice(0, REPORT_SLICE);
    if (batch.length === 0) return;
    // Outside the context of the job whose report started the flush: the job carries many.
    const added = jobContext.exit(() =>
      this.queues.toReconciler('payout.reports', { reports: batch.map((b) => b.report) }),
    );
    added.then(
      () => {
        for (const b of batch) b.resolve();
      },
      (error: unknown) => {
        for (const b of batch) b.reject(error);
      },
    );
  }
}
