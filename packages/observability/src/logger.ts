import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/**
 * Paths redacted from every log line: secrets, credentials and bank details must never reach
 * the logs (DESIGN §1.6). Keep this list the single place that says what is sensitive.
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
 * error's text, a URL — as a second line of defence behind the structured paths above: our API
 * keys (`sk_test_…`, `sk_live_…`), webhook secrets (`whsec_…`) and bearer credentials.
 */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/\bsk_(?:test|live)_[A-Za-z0-9]+/g, 'sk_[redacted]'],
  [/\bwhsec_[A-Za-z0-9+/=_-]+/g, 'whsec_[redacted]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
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
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
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
