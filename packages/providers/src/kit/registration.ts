import type { Currency, ProviderId } from '@payouts/core';
import type { z } from 'zod';
import type { Capability, HttpClient, ProviderAdapter } from '../contract/index.ts';
import type { Rails } from './rails.ts';

/** A provider's environment fragment: variable name → schema, defaults pointing at the local sandbox. */
export type EnvShape = Readonly<Record<string, z.ZodType>>;
type Parsed<S extends EnvShape> = { [K in keyof S]: z.output<S[K]> };

/** How one provider's queue is served by default; each is overridable per deployment. */
export interface WorkerDefaults {
  /** Jobs in flight at once per worker process (`<PREFIX>_CONCURRENCY`). */
  readonly concurrency: number;
  /** Requests a second to the provider, shared by every worker (`<PREFIX>_RATE_PER_SECOND`). */
  readonly ratePerSecond: number;
}

/** What every adapter takes besides its own settings. */
export interface AdapterOptions {
  timeoutMs: number;
  /** Injected in tests; defaults to got with retries off. */
  http?: HttpClient;
}

/** What a provider folder writes in its `registration.ts`, typed end to end. */
export interface ProviderSpec<Id extends string, S extends EnvShape, Settings> {
  readonly id: Id;
  readonly capabilities: ReadonlySet<Capability>;
  /** Its variables, `<PREFIX>_BASE_URL` among them; `sandboxUrl` is where the local sandbox serves every provider (`<sandboxUrl>/<id>`). */
  env(sandboxUrl: string): S;
  /**
   * Its variables that are settings, not secrets (how the provider is read, e.g. where it takes its
   * fee): deployments keep them in configuration beside the base URL, not in the credentials' Secret.
   */
  readonly settingsEnv?: readonly (keyof S & string)[];
  /** The adapter's settings from the parsed variables. */
  settings(env: Parsed<S>): Settings;
  create(config: Settings & AdapterOptions): ProviderAdapter<NoInfer<Id>>;
  /** Currencies routed here when a payout names no provider. */
  readonly defaultRoutes?: readonly Currency[];
  /** The rails it offers and their limits (docs/providers.md, "Rails"); none: no rail limits. */
  readonly rails?: Rails;
  readonly worker: WorkerDefaults;
}

/**
 * A provider as the rest of the engine sees it: everything config, the worker, the reconciler, the
 * sandbox and `pnpm start` derive, from one object exported by the provider's folder.
 */
export interface ProviderRegistration<Id extends string = ProviderId> {
  readonly id: Id;
  /** `THAI_GATEWAY` for `thai-gateway`: the prefix of every variable of this provider. */
  readonly envPrefix: string;
  /** `<PREFIX>_BASE_URL`: where the provider's API is (the sandbox's `/<id>` unless set). */
  readonly baseUrlEnv: string;
  /** Its secret variables (keys, tokens, account ids): everything but the base URL and its settings. */
  readonly credentialEnv: readonly string[];
  /** Its variables that are settings, not secrets (configuration beside the base URL). */
  readonly settingsEnv: readonly string[];
  readonly capabilities: ReadonlySet<Capability>;
  /** Signed webhooks arrive at `/v1/webhooks/<id>`, and the sandbox sends them. */
  readonly webhooks: boolean;
  /**
   * Without webhooks a late reversal is learnt only by looking: processed payouts here are looked
   * at again daily (the reconciler's re-check).
   */
  readonly recheck: boolean;
  readonly defaultRoutes: readonly Currency[];
  /** Its rails' default limits; a deployment may override them (PROVIDER_RAIL_LIMITS). */
  readonly rails: Rails;
  readonly worker: WorkerDefaults;
  env(sandboxUrl: string): EnvShape;
  /** The adapter, from the parsed environment (every app parses the same variables). */
  fromEnv(env: Readonly<Record<string, unknown>>, options: AdapterOptions): ProviderAdapter<Id>;
}

/** `thai-gateway` → `THAI_GATEWAY`. */
export function envPrefixOf(id: string): string {
  return id.toUpperCase().replaceAll('-', '_');
}

export function defineProvider<Id extends string, S extends EnvShape, Settings>(
  spec: ProviderSpec<Id, S, Settings>,
): ProviderRegistration<Id> {
  const webhooks = spec.capabilities.has('webhooks');
  const envPrefix = envPrefixOf(spec.id);
  const baseUrlEnv = `${envPrefix}_BASE_URL`;
  const names = Object.keys(spec.env('http://sandbox.invalid'));
  // Deployments, the sandbox and `pnpm start` rely on the naming: a misnamed variable would silently keep its default.
  const misnamed = names.filter((name) => !name.startsWith(`${envPrefix}_`));
  if (!names.includes(baseUrlEnv) || misnamed.length > 0) {
    throw new Error(
      `${spec.id}: variables must include ${baseUrlEnv} and all start with ${envPrefix}_ (${names.join(', ')})`,
    );
  }
  const settingsEnv: readonly string[] = spec.settingsEnv ?? [];
  return {
    id: spec.id,
    envPrefix,
    baseUrlEnv,
    credentialEnv: names.filter((name) => name !== baseUrlEnv && !settingsEnv.includes(name)),
    settingsEnv,
    capabilities: spec.capabilities,
    webhooks,
    recheck: !webhooks,
    defaultRoutes: spec.defaultRoutes ?? [],
    rails: spec.rails ?? {},
    worker: spec.worker,
    env: (sandboxUrl) => spec.env(sandboxUrl),
    fromEnv(env, options) {
      // The keys were parsed by the schema `env` returned, so they have its types.
      return spec.create({ ...spec.settings(env as Parsed<S>), ...options });
    },
  };
}
