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
  /** stdout when it is a terminal: live progress is drawn on it. Absent (a pipe, CI, tests): plain lines. */
  terminal?: NodeJS.WritableStream;
  /** Registers a Ctrl-C handler for a long wait; returns its removal. Absent: Ctrl-C is not caught. */
  onInterrupt?(handler: () => void): () => void;
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
  /** A tenant's API key, for the tenant commands (batch, payouts, balances). */
  PAYOUTS_API_KEY: z.string().min(1).optional(),
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

/**
 * Whose key a command calls with: the operator's (the admin API) or a tenant's (its own routes,
 * e.g. batches). `--key` overrides either.
 */
export type KeyKind = 'operator' | 'tenant';

const KEY_VARIABLES = { operator: 'PAYOUTS_OPERATOR_KEY', tenant: 'PAYOUTS_API_KEY' } as const;

export class Context {
  /** The variable the last client's key was meant to come from: named when the API refuses it. */
  keyVariable: string = KEY_VARIABLES.operator;

  /** The environment, parsed once; a bad one only stops the commands that call the API (not --help). */
  constructor(
    readonly io: Io,
    readonly env: CliEnv | Error,
  ) {}

  /** The API client for a command, from --api-url/--key or the environment. */
  client(cmd: Command, kind: KeyKind = 'operator'): ApiClient {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    if (this.env instanceof Error) cmd.error(`error: ${this.env.message}`);
    const env = this.env;
    const url = opts.apiUrl ?? env.PAYOUTS_API_URL;
    if (opts.apiUrl !== undefined) {
      const checked = httpUrl.safeParse(opts.apiUrl);
      if (!checked.success) cmd.error(`error: --api-url ${checked.error.issues[0]?.message ?? 'is invalid'}`);
    }
    const variable = KEY_VARIABLES[kind];
    this.keyVariable = variable;
    const key = opts.key ?? env[variable];
    const what = kind === 'operator' ? 'operator key' : 'tenant API key';
    if (!key) cmd.error(`error: no ${what}: set ${variable} or pass --key <key>`);
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

/** The user stopped a wait (Ctrl-C); what to do next is already printed. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

/** A finding rather than a refusal (e.g. the ledger does not verify): printed, exit 1. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}
