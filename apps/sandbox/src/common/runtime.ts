import { type ProviderConfig, type ProviderConfigPatch, resolveProviderConfig } from './config.ts';
import type { RuntimeDeps } from './deps.ts';
import { HangingRequests } from './hanging-requests.ts';
import { chance } from './random.ts';
import { TaskGroup } from './task-group.ts';
import { WebhookSender } from './webhooks.ts';

/**
 * The provider-neutral half of a simulator: its live configuration (faults, delays, balance),
 * its scheduled steps, its held-open requests and its outgoing webhooks. State is in memory
 * only: a sandbox restart forgets every payout, key and balance, like a fresh provider test account.
 */
export class ProviderRuntime {
  config: ProviderConfig;
  readonly tasks: TaskGroup;
  readonly hanging = new HangingRequests();
  /** Signed status-change events to the configured `webhookUrl`, attempts listed by the admin API. */
  readonly webhooks: WebhookSender;

  constructor(
    readonly id: string,
    private readonly initialConfig: ProviderConfig,
    readonly deps: RuntimeDeps,
  ) {
    this.config = { ...initialConfig };
    this.tasks = new TaskGroup(deps.scheduler);
    this.webhooks = new WebhookSender(id, () => this.config, deps);
  }

  chance(share: number): boolean {
    return chance(this.deps.random, share);
  }

  now(): number {
    return this.deps.now();
  }

  /** A validated partial update; a balance change goes through the simulator's `setBalance`. */
  patchConfig(patch: ProviderConfigPatch): ProviderConfig {
    this.config = resolveProviderConfig(this.config, patch);
    return this.config;
  }

  /** Back to the configuration the sandbox was started with, with no webhook pending or recorded. */
  reset(): void {
    this.tasks.cancelAll();
    this.webhooks.reset();
    this.config = { ...this.initialConfig };
  }

  dispose(): void {
    this.tasks.cancelAll();
    this.hanging.dropAll();
    this.webhooks.dispose();
  }
}
