import { createLogger, type Logger } from '@payouts/observability';
import express from 'express';
import { adminRouter } from './common/admin-routes.ts';
import type { ProviderMount, ProviderSimulator } from './common/provider.ts';
import type { Random } from './common/random.ts';
import { type Scheduler, timerScheduler } from './common/scheduler.ts';
import { createDruo, type DruoOptions, type DruoSimulator } from './druo/index.ts';
import { createKrayon, type KrayonOptions, type KrayonSimulator } from './krayon/index.ts';
import { createRazorpayX, type RazorpayXOptions, type RazorpayXSimulator } from './razorpayx/index.ts';
import { createThaiGateway, type ThaiGatewayOptions, type ThaiGatewaySimulator } from './thai-gateway/index.ts';

export interface SandboxOptions {
  readonly razorpayx?: RazorpayXOptions;
  readonly druo?: DruoOptions;
  readonly krayon?: KrayonOptions;
  readonly thaiGateway?: ThaiGatewayOptions;
  /** Drives fault injection and random outcomes; `seededRandom(n)` makes a run repeatable. */
  readonly random?: Random;
  /** Drives payout progress; `ManualScheduler` lets a test step it. */
  readonly scheduler?: Scheduler;
  /** Milliseconds since the epoch: `created_at` and idempotency key expiry. */
  readonly now?: () => number;
  /** Silent unless given: tests should not print a line per request. */
  readonly logger?: Logger;
}

/**
 * Everything the simulators hold, in memory only: a restart forgets every payout, key and
 * balance. Exposed so tests can look inside without going through HTTP.
 */
export interface SandboxState {
  readonly razorpayx: RazorpayXSimulator;
  readonly druo: DruoSimulator;
  readonly krayon: KrayonSimulator;
  readonly thaiGateway: ThaiGatewaySimulator;
  readonly providers: ReadonlyMap<string, ProviderSimulator>;
  /** Forgets all payouts and keys, and restores every provider's starting configuration. */
  reset(): void;
  /** Cancels scheduled progress and drops held-open requests, for shutdown. */
  dispose(): void;
}

export function createSandbox(options: SandboxOptions = {}): { app: express.Express; state: SandboxState } {
  const logger = options.logger ?? createLogger({ name: 'sandbox', level: 'silent' });
  const deps = {
    random: options.random ?? Math.random,
    scheduler: options.scheduler ?? timerScheduler,
    now: options.now ?? Date.now,
    logger,
  };

  const razorpayx = createRazorpayX(deps, options.razorpayx);
  const druo = createDruo(deps, options.druo);
  const krayon = createKrayon(deps, options.krayon);
  const thaiGateway = createThaiGateway(deps, options.thaiGateway);
  // A new provider is one more entry here and a folder beside src/razorpayx.
  const mounts: ProviderMount[] = [razorpayx, krayon, druo, thaiGateway];
  const providers = new Map<string, ProviderSimulator>(mounts.map((m) => [m.simulator.id, m.simulator]));

  const state: SandboxState = {
    razorpayx: razorpayx.simulator,
    druo: druo.simulator,
    krayon: krayon.simulator,
    thaiGateway: thaiGateway.simulator,
    providers,
    reset: () => {
      for (const p of providers.values()) p.reset();
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
  app.use('/_admin', adminRouter(providers, state.reset));
  for (const { simulator, router } of mounts) app.use(`/${simulator.id}`, router);
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'No such route in the sandbox.' } });
  });
  return { app, state };
}
