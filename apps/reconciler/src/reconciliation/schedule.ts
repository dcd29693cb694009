import type { Database } from '@payouts/db';
import type { Logger } from '@payouts/observability';
import { startReconciliationRun } from '@payouts/payouts';

/**
 * The nightly run: once a day, at `atMinuteUtc` past midnight UTC, a run of the previous UTC day
 * for every provider that can be reconciled. Every reconciler process schedules it; one run per
 * provider and window exists however many ask (startReconciliationRun), so they agree.
 */
export function nightlyWindow(now: number): { from: Date; to: Date } {
  const today = new Date(now);
  const to = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return { from: new Date(to - 86_400_000), to: new Date(to) };
}

export interface NightlyOptions {
  /** Minutes past midnight UTC; null turns the nightly run off. */
  atMinuteUtc: number | null;
  providers: readonly string[];
}

export function scheduleNightly(
  db: Database,
  o: NightlyOptions,
  logger: Logger,
  onStarted: () => void,
  now: () => number = Date.now,
): () => void {
  if (o.atMinuteUtc === null || o.providers.length === 0) return () => {};
  const at = o.atMinuteUtc;
  let lastWindow = '';
  const tick = async () => {
    const t = now();
    const minute = Math.floor((t % 86_400_000) / 60_000);
    if (minute < at) return;
    const window = nightlyWindow(t);
    const key = window.to.toISOString();
    if (key === lastWindow) return;
    for (const provider of o.providers) {
      const { created } = await startReconciliationRun(db, { provider, ...window, requestedBy: 'schedule' });
      if (created) logger.info({ provider, ...window }, 'nightly reconciliation run started');
    }
    lastWindow = key;
    onStarted();
  };
  const timer = setInterval(() => {
    tick().catch((error) => logger.error({ err: error }, 'nightly reconciliation scheduling failed'));
  }, 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
