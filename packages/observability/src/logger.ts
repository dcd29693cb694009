import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/**
 * Paths redacted from every log line: secrets, credentials and bank details must never reach
 * the logs (DESIGN §1.6). Keep this list the single place that says what is sensitive.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-signature"]',
  'req.headers["x-razorpay-signature"]',
  'headers.authorization',
  'authorization',
  'apiKey',
  'key',
  'secret',
  'password',
  'token',
  'account_number',
  'accountNumber',
  '*.account_number',
  '*.accountNumber',
  'beneficiary.account_number',
  '*.beneficiary.account_number',
];

export function createLogger(options: { name: string; level?: string; destination?: NodeJS.WritableStream }): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  // biome-ignore lint/suspicious/noExplicitAny: pino accepts any writable as destination
  return options.destination ? pino(config, options.destination as any) : pino(config);
}
