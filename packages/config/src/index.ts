import { z } from 'zod';

/** A configuration an app cannot start with: the message names each variable and what is wrong. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

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
    const lines = result.error.issues.map((i) => {
      const name = i.path.join('.') || '(env)';
      // zod says "expected string, received undefined"; a person needs "set it".
      const unset = i.code === 'invalid_type' && i.path.length === 1 && readVariable(env, i.path[0]) === undefined;
      return `  ${name}: ${unset ? 'is not set (required)' : i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

function readVariable(env: Record<string, string | undefined>, key: PropertyKey | undefined): string | undefined {
  return typeof key === 'string' ? env[key] : undefined;
}

/**
 * An app's configuration, or the process ends with exit code 1 and one readable message on
 * stderr: a person who forgot `DATABASE_URL` needs the variable's name, not a stack trace.
 * Anything else thrown is a bug and keeps its stack.
 */
export function readConfigOrExit<T>(app: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${app}: ${error.message}\n`);
    process.exit(1);
  }
}

export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Where Redis is. `REDIS_URL` is either one server (`redis://…`, `rediss://…`, as ioredis takes
 * it) or a Redis Cluster: `redis+cluster://[user:password@]host:port,host:port,…` (`rediss+cluster`
 * for TLS). The cluster nodes listed are only where discovery starts; the client learns the rest.
 */
export type RedisTarget =
  | { mode: 'standalone'; url: string }
  | {
      mode: 'cluster';
      nodes: { host: string; port: number }[];
      username?: string;
      password?: string;
      tls: boolean;
    };

export function parseRedisUrl(url: string): RedisTarget {
  const [, protocol, target] = /^(rediss?)\+cluster:\/\/(.*)$/i.exec(url.trim()) ?? [];
  if (protocol === undefined || target === undefined) return { mode: 'standalone', url };
  let rest = target.replace(/\/.*$/, ''); // no database number: a cluster has only db 0
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(':');
    username = decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : '') || undefined;
    password = decodeURIComponent(colon >= 0 ? auth.slice(colon + 1) : auth) || undefined;
  }
  const nodes = rest.split(',').map((part) => {
    const [, host, portText] = /^([^:\s]+):(\d{1,5})$/.exec(part.trim()) ?? [];
    const port = portText === undefined ? 0 : Number(portText);
    if (host === undefined || port < 1 || port > 65535) throw new Error(`cluster node "${part}" is not host:port`);
    return { host, port };
  });
  return { mode: 'cluster', nodes, username, password, tls: protocol.toLowerCase() === 'rediss' };
}

const redisUrl = z
  .string()
  .min(1)
  .default(LOCAL_REDIS_URL)
  .superRefine((value, ctx) => {
    try {
      parseRedisUrl(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${(error as Error).message} (redis+cluster://host:port,host:port)` });
    }
  });

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const baseEnv = {
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required (postgres://… or pglite:<dir>)'),
  /** One Redis (`redis://host:port`) or a Redis Cluster (`redis+cluster://host:port,host:port`). */
  REDIS_URL: redisUrl,
  LOG_LEVEL: logLevel,
  /**
   * Prefix of every Redis key we use (BullMQ's and our own); hash-tagged so that on a Redis Cluster
   * every key lands in one slot, as BullMQ's multi-key scripts need. Required to carry a `{tag}`
   * when REDIS_URL is a cluster (checked where the queues are built).
   */
  QUEUE_PREFIX: z.string().min(1).default('{payouts}'),
};

export const apiPortEnv = { PORT: port(3000) };

/**
 * API_PROCESSES: how many API processes share the API's port (node:cluster; 1, the default, is
 * the API in the one process started). Each is single-threaded, so a second one lets the API use
 * a second core (docs/operations.md, "Scaling").
 */
export const apiProcessesEnv = { API_PROCESSES: z.coerce.number().int().min(1).max(64).default(1) };

/** Where a worker or reconciler process serves `GET /metrics` (its own port; 0 turns it off). */
export const metricsPortEnv = (fallback: number) => ({ METRICS_PORT: port(fallback) });

/** An on/off setting: `true`/`1` or `false`/`0`, anything else refused at start. */
export const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** An on/off switch: `on`/`off` (or `true`/`false`, `1`/`0`), anything else refused at start. */
export const onOff = (fallback: boolean) =>
  z
    .enum(['on', 'off', 'true', 'false', '1', '0'], { error: 'must be on or off' })
    .default(fallback ? 'on' : 'off')
    .transform((v) => v === 'on' || v === 'true' || v === '1');

/**
 * OPERATOR_APPROVALS=on: a bulk replay (`POST /v1/admin/replays`, not a dry run) is only stored
 * until a second operator key approves it (docs/operations.md, "Operator approvals"). Off by default.
 */
export const operatorApprovalsEnv = { OPERATOR_APPROVALS: onOff(false) };

/**
 * CONFIRM_WINDOW_MS: webhooks of a provider that lists (RazorpayX) are gathered this long, then
 * confirmed by one list call. The API puts each webhook's payout in the window as it arrives, the
 * workers close the windows: both read the same setting.
 */
export const confirmWindowEnv = { CONFIRM_WINDOW_MS: z.coerce.number().int().min(0).default(1_000) };

/** OpenTelemetry tracing: off unless asked for; spans go to an OTLP/HTTP collector. */
export const tracingEnv = {
  OTEL_TRACING_ENABLED: flag(false),
  /** e.g. `http://otel-collector:4318/v1/traces`; default: the OTLP exporter's own (localhost:4318). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
};
export const sandboxPortEnv = { SANDBOX_PORT: port(3100) };

export { z };
