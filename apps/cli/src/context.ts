import { parseEnv, z } from '@payouts/config';
import type { Command } from 'commander';
import { ApiClient } from './api-client.ts';
import { json } from './format.ts';

/** Where the CLI writes and what it reads: the real process in main.ts, a capture in tests. */
export interface Io {
  /** Results (stdout). Each call is written as given; the CLI ends its lines itself. */
  out(s: string): void;
  /** Errors, warnings and notes (stderr). */
  err(s: string): void;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

const httpUrl = z.string().refine((s) => {
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL such as http://127.0.0.1:3000');

/** The CLI's whole configuration, read once from the environment (flags override it). */
export const cliEnvSchema = z.object({
  PAYOUTS_API_URL: httpUrl.default(DEFAULT_API_URL),
  PAYOUTS_OPERATOR_KEY: z.string().min(1).optional(),
});
export type CliEnv = z.infer<typeof cliEnvSchema>;

export function readCliEnv(env: Io['env']): CliEnv {
  // An empty variable counts as unset, as shells often export `FOO=`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k.startsWith('PAYOUTS_') && v !== undefined && v !== ''),
  );
  return parseEnv(cliEnvSchema, present);
}

export interface GlobalOptions {
  apiUrl?: string;
  key?: string;
  json?: boolean;
}

export class Context {
  /** The environment, parsed once; a bad one only stops the commands that call the API (not --help). */
  constructor(
    readonly io: Io,
    readonly env: CliEnv | Error,
  ) {}

  /** The admin API client for a command, from --api-url/--key or the environment. */
  client(cmd: Command): ApiClient {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    if (this.env instanceof Error) cmd.error(`error: ${this.env.message}`);
    const env = this.env;
    const url = opts.apiUrl ?? env.PAYOUTS_API_URL;
    if (opts.apiUrl !== undefined) {
      const checked = httpUrl.safeParse(opts.apiUrl);
      if (!checked.success) cmd.error(`error: --api-url ${checked.error.issues[0]?.message ?? 'is invalid'}`);
    }
    const key = opts.key ?? env.PAYOUTS_OPERATOR_KEY;
    if (!key) cmd.error('error: no operator key: set PAYOUTS_OPERATOR_KEY or pass --key <key>');
    return new ApiClient(url, key, this.io.fetch ?? globalThis.fetch);
  }

  /** `--json`: the API's answer as it came; otherwise the readable form. */
  emit(cmd: Command, data: unknown, human: () => string): void {
    if (cmd.optsWithGlobals<GlobalOptions>().json) this.io.out(json(data));
    else this.io.out(human());
  }

  note(s: string): void {
    this.io.err(`${s}\n`);
  }
}

/** A finding rather than a refusal (e.g. the ledger does not verify): printed, exit 1. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}
