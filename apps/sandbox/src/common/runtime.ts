import { type ProviderConfig, type ProviderConfigPatch, resolveProviderConfig } from './config.ts';
import type { RuntimeDeps } from './deps.ts';
import { HangingRequests } from './hanging-requests.ts';
import { chance } from './random.ts';
import type { StateFile } from './state-file.ts';
import { TaskGroup } from './task-group.ts';
import { WebhookSender } from './webhooks.ts';

/** A record whose automatic steps the runtime schedules: `cancelStep` is set while one is pending. */
export interface Progressing {
  cancelStep?: (() => void) | undefined;
}

/**
 * The automatic step a record takes from where it is, or null where its progress stops. Each
 * simulator has one, so a restored record resumes from its status and decided outcome alone.
 */
export type NextStep<R> = (record: R) => (() => void) | null;

/**
 * The provider-neutral half of a simulator: its live configuration (faults, delays, balance),
 * its scheduled steps, its held-open requests and its outgoing webhooks. In memory, unless the
 * sandbox has a state directory: then a state file keeps the simulator across restarts.
 */
export class ProviderRuntime {
  config: ProviderConfig;
  readonly tasks: TaskGroup;
  readonly hanging = new HangingRequests();
  /** Signed status-change events to the configured `webhookUrl`, attempts listed by the admin API. */
  readonly webhooks: WebhookSender;
  private file: StateFile | undefined;
  /**
   * Requests this provider's API received since the last reset, by `METHOD /path` with ids
   * replaced by `:id` (`GET /_admin/<provider>/requests`): tests count the calls a run makes.
   */
  readonly requests = new Map<string, number>();
  /**
   * Requests received in each clock second (the last few minutes): what `rateLimitPerSecond` counts,
   * as a provider's limiter does, and `peakPerSecond` reports.
   */
  private readonly perSecond = new Map<number, number>();
  /** The most requests received in one clock second since the last reset. */
  private peak = 0;
  /** Requests answered 429 by `rateLimitPerSecond`. */
  rateLimited = 0;

  constructor(
    readonly id: string,
    private readonly initialConfig: ProviderConfig,
    readonly deps: RuntimeDeps,
  ) {
    this.config = { ...initialConfig };
    this.tasks = new TaskGroup(deps.scheduler);
    this.webhooks = new WebhookSender(id, () => this.config, deps);
  }

  /**
   * Counts a request received, by endpoint and in its clock second; returns how many this second
   * holds now. Every request counts, the refused ones too, as at a provider.
   */
  countRequest(method: string, path: string): number {
    // Provider ids (`pout_…`, uuids) become `:id`, so the counts stay per endpoint: a long segment
    // with a digit, or a prefixed id (`pout_` and 14 letters may hold no digit at all).
    const route = `${method} ${path.replace(/\/(?:(?=[^/]*\d)[^/]{8,}|[a-z]{2,5}_[A-Za-z0-9]{12,})(?=\/|$)/g, '/:id')}`;
    this.requests.set(route, (this.requests.get(route) ?? 0) + 1);
    const second = Math.floor(this.now() / 1000);
    const count = (this.perSecond.get(second) ?? 0) + 1;
    this.perSecond.set(second, count);
    if (this.perSecond.size > 300) {
      for (const s of this.perSecond.keys()) if (s < second - 300) this.perSecond.delete(s);
    }
    this.peak = Math.max(this.peak, count);
    return count;
  }

  /**
   * The most requests this provider's API received within one clock second since the last reset:
   * what its rate limit counts, measured where the calls land.
   */
  get peakPerSecond(): number {
    return this.peak;
  }

  /**
   * Whether a request that is the `countInSecond`-th of its clock second passes `rateLimitPerSecond`;
   * false (the caller answers 429, and it is counted as refused) past it.
   */
  admitByRate(countInSecond: number): boolean {
    const limit = this.config.rateLimitPerSecond;
    if (limit > 0 && countInSecond > limit) {
      this.rateLimited++;
      return false;
    }
    return true;
  }

  chance(share: number): boolean {
    return chance(this.deps.random, share);
  }

  now(): number {
    return this.deps.now();
  }

  /**
   * Runs the record's automatic steps one `progressDelayMs` apart, while `next` has one. The only
   * way progress is scheduled, so `cancelStep` says truthfully whether a step is pending.
   */
  advance<R extends Progressing>(record: R, next: NextStep<R>): void {
    const step = next(record);
    if (step === null) return;
    record.cancelStep = this.tasks.schedule(this.config.progressDelayMs, () => {
      record.cancelStep = undefined;
      step();
      this.changed();
      this.advance(record, next);
    });
  }

  /** From now on, changes are written to `file` (`keepState`). */
  keepIn(file: StateFile): void {
    this.file = file;
  }

  /** The simulator's state changed: its state file, if it has one, is written soon. */
  changed(): void {
    this.file?.changed();
  }

  /** Writes the state file now, if there is one; the snapshot is taken before this returns. */
  save(): Promise<void> {
    return this.file?.flush() ?? Promise.resolve();
  }

  /** A validated partial update; a balance change goes through the simulator's `setBalance`. */
  patchConfig(patch: ProviderConfigPatch): ProviderConfig {
    this.config = resolveProviderConfig(this.config, patch);
    return this.config;
  }

  /** Back to the configuration the sandbox was started with, with no webhook pending or recorded. */
  reset(): void {
    this.requests.clear();
    this.peak = 0;
    this.perSecond.clear();
    this.rateLimited = 0;
    this.tasks.cancelAll();
    this.webhooks.reset();
    this.config = { ...this.initialConfig };
    this.changed();
  }

  /** Stops everything, writes nothing more: `save` first to keep the last changes. */
  dispose(): void {
    this.file?.stop();
    this.tasks.cancelAll();
    this.hanging.dropAll();
    this.webhooks.dispose();
  }
}
