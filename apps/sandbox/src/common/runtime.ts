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
  /** Requests received in each clock second (the last few minutes), for `rateLimitPerSecond`. */
  private readonly perSecond = new Map<number, number>();
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

  /** When the requests of the last second came (ms), oldest first: for `peakPerSecond`. */
  private readonly lastSecond: number[] = [];
  private peak = 0;

  countRequest(method: string, path: string): void {
    // Provider ids (`pout_…`, uuids) become `:id`, so the counts stay per endpoint.
    const route = `${method} ${path.replace(/\/(?=[^/]*\d)[^/]{8,}/g, '/:id')}`;
    this.requests.set(route, (this.requests.get(route) ?? 0) + 1);
    const now = this.deps.now();
    this.lastSecond.push(now);
    while ((this.lastSecond[0] ?? now) <= now - 1000) this.lastSecond.shift();
    this.peak = Math.max(this.peak, this.lastSecond.length);
  }

  /**
   * The most requests this provider's API received within any one second (a sliding window) since
   * the last reset: what a provider's rate limit would have seen, measured where the calls land.
   */
  get peakPerSecond(): number {
    return this.peak;
  }

  /**
   * Counts a request in its clock second; false when it is past `rateLimitPerSecond` there (the
   * caller answers 429). Every request received counts, the refused ones too, as at a provider.
   */
  admitByRate(): boolean {
    const second = Math.floor(this.now() / 1000);
    const count = (this.perSecond.get(second) ?? 0) + 1;
    this.perSecond.set(second, count);
    if (this.perSecond.size > 300) {
      for (const s of this.perSecond.keys()) if (s < second - 300) this.perSecond.delete(s);
    }
    const limit = this.config.rateLimitPerSecond;
    if (limit > 0 && count > limit) {
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
    this.lastSecond.length = 0;
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
