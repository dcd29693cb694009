import { z } from 'zod';

/**
 * Each app parses its environment once, at start, with a zod schema built from these pieces,
 * and fails fast with a readable message. Nothing else reads `process.env`.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';
export const LOCAL_SANDBOX_URL = (port: number) => `http://127.0.0.1:${port}`;

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const baseEnv = {
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required (postgres://… or pglite:<dir>)'),
  REDIS_URL: z.string().min(1).default(LOCAL_REDIS_URL),
  LOG_LEVEL: logLevel,
  /** Prefix of every BullMQ key; hash-tagged so a Redis Cluster keeps a queue on one slot. */
  QUEUE_PREFIX: z.string().min(1).default('{payouts}'),
};

/** Provider settings; base URLs default to the local sandbox. */
export function providerEnv(sandboxPort = 3100) {
  const sandbox = LOCAL_SANDBOX_URL(sandboxPort);
  return {
    RAZORPAYX_BASE_URL: z.string().url().default(`${sandbox}/razorpayx`),
    RAZORPAYX_KEY_ID: z.string().min(1).default('rzp_test_sandbox'),
    RAZORPAYX_KEY_SECRET: z.string().min(1).default('sandbox_secret'),
    RAZORPAYX_ACCOUNT_NUMBER: z.string().min(1).default('7878780080316316'),
    RAZORPAYX_WEBHOOK_SECRET: z.string().min(1).default('sandbox_webhook_secret'),
    KRAYON_BASE_URL: z.string().url().default(`${sandbox}/krayon`),
    KRAYON_API_TOKEN: z.string().min(1).default('krayon_sandbox_token'),
    THAI_GATEWAY_BASE_URL: z.string().url().default(`${sandbox}/thai-gateway`),
    THAI_GATEWAY_API_KEY: z.string().min(1).default('thai_sandbox_key'),
    THAI_GATEWAY_API_SECRET: z.string().min(1).default('thai_sandbox_secret'),
    DRUO_BASE_URL: z.string().url().default(`${sandbox}/druo`),
    DRUO_ACCESS_TOKEN: z.string().min(1).default('druo_sandbox_token'),
    /** DRUO's originator tenant (a merchant setting at DRUO), not one of ours. */
    DRUO_TENANT_ID: z.string().min(1).default('ten_0521aadc-5fbd-4b3c-af0a-a4f4b8d6f20a'),
    PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  };
}

type ProviderEnv = { [K in keyof ReturnType<typeof providerEnv>]: z.infer<ReturnType<typeof providerEnv>[K]> };

/**
 * Every provider's settings from the parsed environment, in the shape the provider registry
 * takes (`createAdapters` in @payouts/providers). One place, so the API (validation) and the
 * workers (calls) can never disagree about a provider's configuration.
 */
export function providersConfigFromEnv(env: ProviderEnv) {
  return {
    timeoutMs: env.PROVIDER_TIMEOUT_MS,
    razorpayx: {
      baseUrl: env.RAZORPAYX_BASE_URL,
      keyId: env.RAZORPAYX_KEY_ID,
      keySecret: env.RAZORPAYX_KEY_SECRET,
      accountNumber: env.RAZORPAYX_ACCOUNT_NUMBER,
      webhookSecret: env.RAZORPAYX_WEBHOOK_SECRET,
    },
    krayon: { baseUrl: env.KRAYON_BASE_URL, apiToken: env.KRAYON_API_TOKEN },
    thaiGateway: {
      baseUrl: env.THAI_GATEWAY_BASE_URL,
      apiKey: env.THAI_GATEWAY_API_KEY,
      apiSecret: env.THAI_GATEWAY_API_SECRET,
    },
    druo: { baseUrl: env.DRUO_BASE_URL, accessToken: env.DRUO_ACCESS_TOKEN, tenantId: env.DRUO_TENANT_ID },
  };
}

export const apiPortEnv = { PORT: port(3000) };
export const sandboxPortEnv = { SANDBOX_PORT: port(3100) };

export { z };
