import { baseEnv, parseEnv, providerEnv, sandboxPortEnv, z } from '@payouts/config';

const razorpayx = providerEnv();

const sandboxEnvSchema = z.object({
  ...sandboxPortEnv,
  RAZORPAYX_KEY_ID: razorpayx.RAZORPAYX_KEY_ID,
  RAZORPAYX_KEY_SECRET: razorpayx.RAZORPAYX_KEY_SECRET,
  RAZORPAYX_ACCOUNT_NUMBER: razorpayx.RAZORPAYX_ACCOUNT_NUMBER,
  RAZORPAYX_WEBHOOK_SECRET: razorpayx.RAZORPAYX_WEBHOOK_SECRET,
  LOG_LEVEL: baseEnv.LOG_LEVEL,
});

export type SandboxEnv = z.infer<typeof sandboxEnvSchema>;

/** The sandbox's whole environment, read once at start (DESIGN §6); it fails fast on bad values. */
export function loadEnv(env: Record<string, string | undefined> = process.env): SandboxEnv {
  return parseEnv(sandboxEnvSchema, env);
}
