import { baseEnv, parseEnv, providerEnv, sandboxPortEnv, z } from '@payouts/config';

/** The same names and defaults the engine uses, so both sides agree out of the box. */
const razorpayx = providerEnv();

const sandboxEnvSchema = z.object({
  ...sandboxPortEnv,
  RAZORPAYX_KEY_ID: razorpayx.RAZORPAYX_KEY_ID,
  RAZORPAYX_KEY_SECRET: razorpayx.RAZORPAYX_KEY_SECRET,
  RAZORPAYX_ACCOUNT_NUMBER: razorpayx.RAZORPAYX_ACCOUNT_NUMBER,
  RAZORPAYX_WEBHOOK_SECRET: razorpayx.RAZORPAYX_WEBHOOK_SECRET,
  KRAYON_API_TOKEN: razorpayx.KRAYON_API_TOKEN,
  THAI_GATEWAY_API_KEY: razorpayx.THAI_GATEWAY_API_KEY,
  THAI_GATEWAY_API_SECRET: razorpayx.THAI_GATEWAY_API_SECRET,
  DRUO_ACCESS_TOKEN: razorpayx.DRUO_ACCESS_TOKEN,
  DRUO_TENANT_ID: razorpayx.DRUO_TENANT_ID,
  /** Where the simulated providers send their webhooks (the engine's /v1/webhooks); off when unset. */
  SANDBOX_WEBHOOK_BASE_URL: z.string().url().optional(),
  LOG_LEVEL: baseEnv.LOG_LEVEL,
});

export type SandboxEnv = z.infer<typeof sandboxEnvSchema>;

/** The sandbox's whole environment, read once at start, like every app's; it fails fast on bad values. */
export function loadEnv(env: Record<string, string | undefined> = process.env): SandboxEnv {
  return parseEnv(sandboxEnvSchema, env);
}
