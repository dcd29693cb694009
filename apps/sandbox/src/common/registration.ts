import type { ProviderRegistration } from '@payouts/providers';
import type { Router } from 'express';
import type { z } from 'zod';
import { DEFAULT_PROVIDER_CONFIG, type ProviderConfigPatch, resolveProviderConfig } from './config.ts';
import type { RuntimeDeps } from './deps.ts';
import { keepState, type Persistent } from './persistence.ts';
import type { ProviderMount, ProviderSimulator } from './provider.ts';
import { ProviderRuntime } from './runtime.ts';

/** What a test or `main.ts` may hand one simulator: its credentials, and a starting configuration. */
export type SimulatorOptions<Credentials> = Partial<Credentials> & {
  /** Starting configuration; `POST /_admin/reset` returns to it. */
  readonly config?: ProviderConfigPatch;
};

/** What a simulator folder writes in its `index.ts`. */
export interface SimulatorSpec<
  Key extends string,
  Credentials extends object,
  S extends ProviderSimulator & Persistent<State>,
  State,
> {
  /** The engine's registration of the provider simulated: its id is the mount path (`/<id>`). */
  readonly provider: ProviderRegistration<string>;
  /** Its name in `SandboxOptions` and `SandboxState` (`thaiGateway` for `thai-gateway`). */
  readonly key: Key;
  /** The credentials the engine's variables default to, so both sides agree out of the box. */
  readonly defaults: Credentials;
  /** The credentials from the engine's variables (the same names), as the sandbox's `main.ts` reads them. */
  credentials(env: (name: string) => string): Credentials;
  simulator(runtime: ProviderRuntime, credentials: Credentials): S;
  router(simulator: S): Router;
  /** What the simulator keeps across restarts (its folder's `state.ts`), checked when it is loaded. */
  readonly state: z.ZodType<State>;
}

export interface SimulatorRegistration<
  Key extends string = string,
  Credentials extends object = object,
  S extends ProviderSimulator = ProviderSimulator,
> {
  readonly id: string;
  readonly key: Key;
  /** Signed webhooks go out from this simulator (to the engine's `/v1/webhooks/<id>`). */
  readonly webhooks: boolean;
  /** The engine's variables this simulator reads: the provider's, but for its base URL. */
  readonly envNames: readonly string[];
  credentials(env: (name: string) => string): Credentials;
  /** With a `stateDir`, the simulator starts from `<stateDir>/<id>.json` and keeps it up to date. */
  create(deps: RuntimeDeps, options?: SimulatorOptions<Credentials>, stateDir?: string): ProviderMount<S>;
}

export function defineSimulator<
  Key extends string,
  Credentials extends object,
  S extends ProviderSimulator & Persistent<State>,
  State,
>(spec: SimulatorSpec<Key, Credentials, S, State>): SimulatorRegistration<Key, Credentials, S> {
  const { id, baseUrlEnv } = spec.provider;
  return {
    id,
    key: spec.key,
    webhooks: spec.provider.webhooks,
    // The URL is where the engine finds the sandbox; the sandbox has no use for it.
    envNames: Object.keys(spec.provider.env('http://sandbox.invalid')).filter((n) => n !== baseUrlEnv),
    credentials: (env) => spec.credentials(env),
    create(deps, options = {}, stateDir) {
      const { config, ...credentials } = options;
      const runtime = new ProviderRuntime(id, resolveProviderConfig(DEFAULT_PROVIDER_CONFIG, config), deps);
      const simulator = spec.simulator(runtime, { ...spec.defaults, ...definedOnly(credentials) });
      if (stateDir !== undefined)
        keepState({ dir: stateDir, runtime, simulator, schema: spec.state, startConfig: config ?? {} });
      return { simulator, router: spec.router(simulator) };
    },
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
