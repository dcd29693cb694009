import type { Currency, ProviderId } from '@payouts/core';
import { z } from 'zod';
import type { ProviderAdapter } from './contract/types.ts';
import { druo } from './druo/registration.ts';
import { type Rails, withRailOverrides } from './kit/rails.ts';
import type { EnvShape, ProviderRegistration } from './kit/registration.ts';
import { krayon } from './krayon/registration.ts';
import { razorpayx } from './razorpayx/registration.ts';
import { thaiGateway } from './thai-gateway/registration.ts';

/**
 * The providers the engine knows: the one place a provider is named. Everything else (each app's
 * environment, default routes, worker limits, the re-check list, which providers send webhooks)
 * is derived from these registrations. Adding one: docs/providers.md, "Adding a provider".
 */
export const PROVIDERS = [razorpayx, krayon, thaiGateway, druo] as const satisfies readonly ProviderRegistration[];

/** Where `pnpm start` and the tests run the sandbox: every provider's base URL defaults under it. */
const localSandboxUrl = (port: number) => `http://127.0.0.1:${port}`;

const sharedEnv = { PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000) };

/** Every provider's variables, base URLs defaulting to the local sandbox, plus the shared timeout. */
export function providerEnv(
  sandboxPort = 3100,
  registrations: readonly ProviderRegistration<string>[] = PROVIDERS,
): EnvShape & typeof sharedEnv {
  const sandboxUrl = localSandboxUrl(sandboxPort);
  const shape: Record<string, z.ZodType> = {};
  for (const registration of registrations) Object.assign(shape, registration.env(sandboxUrl));
  return { ...shape, ...sharedEnv };
}

/** The names of a provider's worker limits; their defaults are the registration's. */
export const workerLimitNames = (registration: ProviderRegistration<string>) => ({
  concurrency: `${registration.envPrefix}_CONCURRENCY`,
  ratePerSecond: `${registration.envPrefix}_RATE_PER_SECOND`,
});

/** `<PREFIX>_CONCURRENCY` and `<PREFIX>_RATE_PER_SECOND` for every provider, for the worker's environment. */
export function providerWorkerEnv(registrations: readonly ProviderRegistration<string>[] = PROVIDERS): EnvShape {
  const shape: Record<string, z.ZodType> = {};
  for (const registration of registrations) {
    const names = workerLimitNames(registration);
    shape[names.concurrency] = z.coerce.number().int().min(1).default(registration.worker.concurrency);
    shape[names.ratePerSecond] = z.coerce.number().int().min(1).default(registration.worker.ratePerSecond);
  }
  return shape;
}

/** One provider's worker limits, read from an environment parsed with `providerWorkerEnv`. */
export function workerLimits(
  env: Readonly<Record<string, unknown>>,
  registration: ProviderRegistration<string>,
): { concurrency: number; ratePerSecond: number } {
  const names = workerLimitNames(registration);
  return { concurrency: Number(env[names.concurrency]), ratePerSecond: Number(env[names.ratePerSecond]) };
}

/**
 * Every provider pointed at a running sandbox (`pnpm start`, the tests, the benchmarks): its base
 * URL under `sandboxUrl` and, when given, a rate for its queue (the sandbox takes far more than a
 * real provider's few requests a second).
 */
export function sandboxProviderEnv(sandboxUrl: string, ratePerSecond?: number): Record<string, string> {
  return Object.fromEntries(
    PROVIDERS.flatMap((provider) => [
      [provider.baseUrlEnv, `${sandboxUrl}/${provider.id}`],
      ...(ratePerSecond === undefined ? [] : [[workerLimitNames(provider).ratePerSecond, String(ratePerSecond)]]),
    ]),
  );
}

type ProvidersEnv = Readonly<Record<string, unknown>> & { PROVIDER_TIMEOUT_MS: number };

/**
 * An adapter for every registered provider, from an environment parsed with `providerEnv`. One
 * place, so the API (validation) and the workers (calls) can never disagree about a provider.
 */
export function createAdapters(env: ProvidersEnv): Map<ProviderId, ProviderAdapter>;
export function createAdapters<Id extends string>(
  env: ProvidersEnv,
  registrations: readonly ProviderRegistration<Id>[],
): Map<Id, ProviderAdapter<Id>>;
export function createAdapters(
  env: ProvidersEnv,
  registrations: readonly ProviderRegistration<string>[] = PROVIDERS,
): Map<string, ProviderAdapter<string>> {
  const timeoutMs = env.PROVIDER_TIMEOUT_MS;
  return new Map(registrations.map((r) => [r.id, r.fromEnv(env, { timeoutMs })]));
}

/** Default routing when a payout names no provider (docs/api.md): by currency, configurable. */
export const DEFAULT_ROUTES: Readonly<Partial<Record<Currency, ProviderId>>> = Object.fromEntries(
  PROVIDERS.flatMap((r) => r.defaultRoutes.map((currency) => [currency, r.id])),
);

/** Providers whose late reversals are learnt only by looking again (no webhooks). */
export const RECHECK_PROVIDERS: readonly ProviderId[] = PROVIDERS.filter((r) => r.recheck).map((r) => r.id);

/** Providers that send signed webhooks, to `/v1/webhooks/<id>`. */
export const WEBHOOK_PROVIDERS: readonly ProviderId[] = PROVIDERS.filter((r) => r.webhooks).map((r) => r.id);

/** Each provider's rails with their declared default limits (docs/providers.md, "Rails"). */
export const PROVIDER_RAILS: ReadonlyMap<ProviderId, Rails> = new Map(PROVIDERS.map((r) => [r.id, r.rails]));

const minorUnits = z
  .number()
  .int()
  .nonnegative()
  .transform((n) => BigInt(n));
const railLimitSchema = z.strictObject({ min: minorUnits.optional(), max: minorUnits.optional() });

/**
 * `PROVIDER_RAIL_LIMITS`: a JSON object of overrides laid over the declared rails, e.g.
 * `{"razorpayx": {"IMPS": {"max": 20000000}}}` (minor units; a rail named replaces its limits, a
 * rail added becomes one). Unset: the declared defaults.
 */
export const railLimitsEnv = z
  .string()
  .optional()
  .transform((value, ctx): ReadonlyMap<ProviderId, Rails> => {
    if (value === undefined || value.trim() === '') return PROVIDER_RAILS;
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object: {"<provider>": {"<rail>": {"min"?, "max"?}}}' });
      return z.NEVER;
    }
    const parsed = z
      .partialRecord(z.enum(PROVIDERS.map((r) => r.id)), z.record(z.string().min(1), railLimitSchema))
      .safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', message: `${issue.path.join('.') || 'value'}: ${issue.message}` });
      }
      return z.NEVER;
    }
    return new Map(PROVIDERS.map((r) => [r.id, withRailOverrides(r.rails, parsed.data[r.id] as Rails | undefined)]));
  });
