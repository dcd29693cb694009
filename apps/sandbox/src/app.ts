import { createLogger, type Logger } from '@payouts/observability';
import express, { type RequestHandler } from 'express';
import { adminRouter } from './common/admin-routes.ts';
import type { ProviderConfigPatch } from './common/config.ts';
import type { ProviderMount, ProviderSimulator } from './common/provider.ts';
import type { Random } from './common/random.ts';
import type { SimulatorOptions, SimulatorRegistration } from './common/registration.ts';
import { type Scheduler, timerScheduler } from './common/scheduler.ts';
import { SIMULATORS } from './simulators.ts';

type Simulator = (typeof SIMULATORS)[number];
type OptionsOf<R> = R extends SimulatorRegistration<string, infer C, ProviderSimulator> ? SimulatorOptions<C> : never;
type SimulatorOf<R> = R extends SimulatorRegistration<string, object, infer S> ? S : never;

/** Each simulator's options under its key (`razorpayx`, `thaiGateway`, …), from the list of simulators. */
export type SimulatorsOptions = { readonly [R in Simulator as R['key']]?: OptionsOf<R> };
/** Each simulator under its key, for tests to look inside without going through HTTP. */
type Simulators = { readonly [R in Simulator as R['key']]: SimulatorOf<R> };

export interface SandboxOptions extends SimulatorsOptions {
  /** A starting configuration for every simulator; a simulator's own `config` is applied over it. */
  readonly config?: ProviderConfigPatch;
  /** Drives fault injection and random outcomes; `seededRandom(n)` makes a run repeatable. */
  readonly random?: Random;
  /** Drives payout progress; `ManualScheduler` lets a test step it. */
  readonly scheduler?: Scheduler;
  /** Milliseconds since the epoch: `created_at` and idempotency key expiry. */
  readonly now?: () => number;
  /** Silent unless given: tests should not print a line per request. */
  readonly logger?: Logger;
  /**
   * Where each simulator keeps its state (`<stateDir>/<provider>.json`) across restarts: payouts
   * and their pending progress, idempotency keys and references, balances and configuration. In
   * memory only when unset.
   */
  readonly stateDir?: string;
}

/**
 * Everything the simulators hold: in memory, and in the state directory when one is given (else a
 * restart forgets every payout, key and balance). Exposed so tests can look inside without going
 * through HTTP.
 */
export interface SandboxState extends Simulators {
  readonly providers: ReadonlyMap<string, ProviderSimulator>;
  /** Forgets all payouts and keys, and restores every provider's starting configuration. */
  reset(): void;
  /** Writes every simulator's state file now (none without a state directory). */
  save(): Promise<void>;
  /** Cancels scheduled progress and drops held-open requests, for shutdown; writes nothing more. */
  dispose(): void;
}

/** A request that may have changed state (any but a read): the simulators' files are written soon after it. */
function changes(providers: readonly ProviderSimulator[]): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // `close`, not `finish`: a create held open by the timeout fault never finishes, but it committed.
      res.on('close', () => {
        for (const p of providers) p.runtime.changed();
      });
    }
    next();
  };
}

export function createSandbox(options: SandboxOptions = {}): { app: express.Express; state: SandboxState } {
  const logger = options.logger ?? createLogger({ name: 'sandbox', level: 'silent' });
  const deps = {
    random: options.random ?? Math.random,
    scheduler: options.scheduler ?? timerScheduler,
    now: options.now ?? Date.now,
    logger,
  };

  const mounts = SIMULATORS.map((registration) => {
    const own = options[registration.key];
    const config = { ...options.config, ...own?.config };
    // Each registration creates from its own options: the union of their types is no one's.
    const create = registration.create as (d: typeof deps, o: object, stateDir?: string) => ProviderMount;
    return { key: registration.key, ...create(deps, { ...own, config }, options.stateDir) };
  });
  const providers = new Map<string, ProviderSimulator>(mounts.map((m) => [m.simulator.id, m.simulator]));

  const state: SandboxState = {
    ...(Object.fromEntries(mounts.map((m) => [m.key, m.simulator])) as Simulators),
    providers,
    reset: () => {
      for (const p of providers.values()) p.reset();
    },
    save: async () => {
      await Promise.all([...providers.values()].map((p) => p.runtime.save()));
    },
    dispose: () => {
      for (const p of providers.values()) p.runtime.dispose();
    },
  };

  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    const started = performance.now();
    // The path only, taken before routers rewrite it: query strings carry account numbers.
    const path = req.path;
    res.on('finish', () => {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      logger.debug({ method: req.method, path, status: res.statusCode, ms }, 'request');
    });
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, providers: [...providers.keys()] });
  });
  app.use('/_admin', changes([...providers.values()]), adminRouter(providers, state.reset));
  for (const { simulator, router } of mounts) app.use(`/${simulator.id}`, changes([simulator]), router);
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'No such route in the sandbox.' } });
  });
  return { app, state };
}
