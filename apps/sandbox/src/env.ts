import { baseEnv, parseEnv, sandboxPortEnv, z } from '@payouts/config';
import { providerEnv } from '@payouts/providers';
import { SIMULATORS } from './simulators.ts';

/** The same names and defaults the engine uses, so both sides agree out of the box. */
function simulatorEnv() {
  const engine = providerEnv();
  return Object.fromEntries(SIMULATORS.flatMap((s) => s.envNames.map((name) => [name, engine[name]])));
}

export const sandboxEnvSchema = z.object({
  ...sandboxPortEnv,
  /** Each simulator's credentials (RAZORPAYX_KEY_ID, KRAYON_API_TOKEN, …), from its registration. */
  ...simulatorEnv(),
  /** Where the simulated providers send their webhooks (the engine's /v1/webhooks); off when unset. */
  SANDBOX_WEBHOOK_BASE_URL: z.string().url().optional(),
  /** Where each simulator keeps its state across restarts (`<dir>/<provider>.json`); in memory when unset. */
  SANDBOX_STATE_DIR: z.string().min(1).optional(),
  LOG_LEVEL: baseEnv.LOG_LEVEL,
});

export type SandboxEnv = z.infer<typeof sandboxEnvSchema>;

/** The sandbox's whole environment, read once at start, like every app's; it fails fast on bad values. */
export function loadEnv(env: Record<string, string | undefined> = process.env): SandboxEnv {
  return parseEnv(sandboxEnvSchema, env);
}
