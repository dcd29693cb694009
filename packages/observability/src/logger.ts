import { type Logger, type LoggerOptions, pino } from 'pino';
import { maskText, serializeError, serializeErrorsIn, TEXT_MASKS } from './error-serializer.ts';

export type { Logger };

/**
 * Paths redacted from every log line: secrets, credentials and bank details must never reach
 * the logs (docs/architecture.md#principles). Keep this list the single place that says what is sensitive.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-signature"]',
  'req.headers["x-razorpay-signature"]',
  'req.headers["webhook-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  '*.headers.authorization',
  'authorization',
  '*.authorization',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'key',
  'secret',
  '*.secret',
  'keySecret',
  '*.keySecret',
  'apiSecret',
  '*.apiSecret',
  'webhookSecret',
  '*.webhookSecret',
  'webhook_secret',
  '*.webhook_secret',
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'apiToken',
  '*.apiToken',
  'account_number',
  'accountNumber',
  '*.account_number',
  '*.accountNumber',
  'beneficiary.account_number',
  '*.beneficiary.account_number',
  '*.beneficiary.accountNumber',
];

/**
 * Secrets recognisable by their shape, masked wherever they appear in a line — in a message, an
 * error's text, a URL — as a second line of defence behind the structured paths above and the
 * error serializer: our API keys (`sk_test_…`, `sk_live_…`), webhook secrets (`whsec_…`), bearer
 * credentials, a failed query's values and account numbers quoted after their key.
 */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/\bsk_(?:test|live)_[A-Za-z0-9]+/g, 'sk_[redacted]'],
  [/\bwhsec_[A-Za-z0-9+/=_-]+/g, 'whsec_[redacted]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  // A failed query's values, as drizzle appends them to its message, inside a JSON string of the
  // line (where a newline is written `\n`): up to the string's end or its next line.
  [/\\nparams: (?:[^"\\]|\\[^n])*/g, '\\nparams: [redacted]'],
  ...TEXT_MASKS,
];

export function redactSecrets(line: string): string {
  let out = line;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

export function createLogger(options: { name: string; level?: string; destination?: NodeJS.WritableStream }): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Errors are serialized by our serializer under any key (the formatter runs first), and a
    // message taken from an error (`logger.error(err)`) is masked the same way.
    serializers: { err: serializeError, msg: (msg: unknown) => (typeof msg === 'string' ? maskText(msg) : msg) },
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }), log: serializeErrorsIn },
    hooks: { streamWrite: redactSecrets },
  };
  if (options.destination) {
    // biome-ignore lint/suspicious/noExplicitAny: pino accepts any writable as destination
    return pino(config, options.destination as any);
  }
  // Synchronous writes to stdout. pino's default stream writes asynchronously on libuv's thread
  // pool, and on process.exit flushes what is still buffered straight from the main thread: on a
  // busy machine a chunk still queued in the pool then lands after lines logged later (a SIGTERM's
  // "closed database" before "closed reconciler"), and a crash can lose the last lines. A log line
  // is one small write; order and completeness are worth more than hiding it.
  return pino(config, pino.destination({ dest: 1, sync: true }));
}
