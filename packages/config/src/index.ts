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
    PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  };
}

export const apiPortEnv = { PORT: port(3000) };
export const sandboxPortEnv = { SANDBOX_PORT: port(3100) };

export { z };
