/**
 * Errors as they are logged, whatever their shape, with nothing in them that must not reach the
 * logs. A database error carries the values of its query: drizzle's DrizzleQueryError has them in
 * `params` and spells them out in its message ("Failed query: …\nparams: …", and so in its stack),
 * postgres.js' PostgresError in `parameters`, and Postgres quotes rows in `detail` ("Failing row
 * contains (…)") and JSON text in `where` — a beneficiary's account number among them. Query
 * parameters are dropped outright; every text an error holds is masked; `cause` chains and
 * aggregated errors are walked the same way.
 */

/** Keys whose values are a query's parameters: never logged. */
const QUERY_VALUE_KEYS = new Set(['params', 'parameters']);

/** Keys whose values are never logged, wherever they appear in an error. */
const SENSITIVE_KEYS = new Set(
  [
    'account_number',
    'accountNumber',
    'authorization',
    'cookie',
    'password',
    'secret',
    'token',
    'apiKey',
    'api_key',
    'keySecret',
    'apiSecret',
    'webhookSecret',
    'webhook_secret',
    'accessToken',
    'apiToken',
  ].map((k) => k.toLowerCase()),
);

const REDACTED = '[redacted]';
/** How deep a `cause` chain, or an object inside an error, is followed. */
const MAX_DEPTH = 5;
/** Marks an error already serialized here (pino runs serializers after the log formatter). */
const SERIALIZED = Symbol('payouts.serializedError');

/**
 * Values quoted in text, masked wherever they appear: an account number after its key, in JSON
 * (`"account_number":"…"`, Postgres' `"account_number": "…"`, also escaped inside a JSON string)
 * or as `account_number=…`.
 */
export const TEXT_MASKS: Array<[RegExp, string]> = [
  [/(account_?number\\*["']?\s*[:=]\s*\\*["']?)(?!\[redacted\])[^"'\\,\s)}\]]+/gi, `$1${REDACTED}`],
];

/** The values drizzle appends to a failed query's message (and so to its stack). */
const QUERY_PARAMS_IN_TEXT = /\nparams: [\s\S]*?(?=\n {4}at |$)/;

/** An error's text (message, stack, detail…) with query parameters and account numbers masked. */
export function maskText(text: string): string {
  let out = text.replace(QUERY_PARAMS_IN_TEXT, `\nparams: ${REDACTED}`);
  for (const [pattern, replacement] of TEXT_MASKS) out = out.replace(pattern, replacement);
  return out;
}

interface ErrorLike {
  message: string;
  name?: unknown;
  stack?: unknown;
  cause?: unknown;
  errors?: unknown;
  [key: string]: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return (
    value instanceof Error ||
    (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string')
  );
}

/**
 * pino's `err` serializer, and what the logger applies to every error it is given under any key.
 * Anything that is not an error is returned as is.
 */
export function serializeError(value: unknown): unknown {
  if (!isErrorLike(value)) return value;
  return serialize(value, 0, new WeakSet());
}

function serialize(error: ErrorLike, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  if ((error as { [SERIALIZED]?: boolean })[SERIALIZED]) return error;
  if (seen.has(error)) return { type: 'Circular', message: '[a cause seen before in this chain]' };
  seen.add(error);

  const out: Record<string, unknown> = {};
  Object.defineProperty(out, SERIALIZED, { value: true });
  out.type =
    typeof error.constructor === 'function' && error.constructor !== Object
      ? error.constructor.name
      : typeof error.name === 'string'
        ? error.name
        : 'Error';
  const message = maskText(error.message);
  out.message = message;
  // The stack starts with the message: the masked one replaces it whole.
  if (typeof error.stack === 'string') out.stack = maskText(error.stack.replace(error.message, message));
  for (const key of Object.keys(error)) {
    if (key in out || key === 'cause' || key === 'errors') continue;
    out[key] = redactField(key, error[key], depth, seen);
  }
  // postgres.js keeps the query and its values as non-enumerable properties: the query text
  // (placeholders only) helps, the values never go out.
  if (!('query' in out) && typeof error.query === 'string') out.query = maskText(error.query);
  if (error.cause !== undefined) {
    out.cause =
      depth >= MAX_DEPTH
        ? '[cause chain too deep]'
        : isErrorLike(error.cause)
          ? serialize(error.cause, depth + 1, seen)
          : redactValue(error.cause, depth + 1, seen);
  }
  if (Array.isArray(error.errors)) {
    out.errors = error.errors.map((e) =>
      isErrorLike(e) && depth < MAX_DEPTH ? serialize(e, depth + 1, seen) : redactValue(e, depth + 1, seen),
    );
  }
  return out;
}

function redactField(key: string, value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (QUERY_VALUE_KEYS.has(key) || SENSITIVE_KEYS.has(key.toLowerCase())) return REDACTED;
  return redactValue(value, depth, seen);
}

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return maskText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (isErrorLike(value)) return serialize(value, depth + 1, seen);
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, seen));
  if (value instanceof Date) return value;
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactField(k, v, depth + 1, seen);
  return out;
}

/**
 * The log formatter's part: an error logged under any key (not only `err`), or one level down
 * (`{ job: { error } }`), is serialized as above before pino writes it.
 */
export function serializeErrorsIn(object: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(object)) {
    let replaced: unknown = value;
    if (isErrorLike(value)) replaced = serializeError(value);
    else if (isPlainObject(value)) {
      const inner = nestedErrors(value);
      if (inner !== value) replaced = inner;
    }
    if (replaced !== value) {
      copy ??= { ...object };
      copy[key] = replaced;
    }
  }
  return copy ?? object;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function nestedErrors(object: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(object)) {
    if (value instanceof Error) {
      copy ??= { ...object };
      copy[key] = serializeError(value);
    }
  }
  return copy ?? object;
}
