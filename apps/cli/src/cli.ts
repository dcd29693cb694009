import { Command, CommanderError } from 'commander';
import { ApiProblem, ApiUnreachable } from './api-client.ts';
import { registerActions } from './commands/actions.ts';
import { registerApprovals } from './commands/approvals.ts';
import { registerAudit } from './commands/audit.ts';
import { registerBalances } from './commands/balances.ts';
import { registerBatch } from './commands/batch.ts';
import { registerDeadLetters } from './commands/dead-letters.ts';
import { registerFund } from './commands/fund.ts';
import { registerKeys } from './commands/keys.ts';
import { registerLedger } from './commands/ledger.ts';
import { registerCancel, registerPayouts } from './commands/payouts.ts';
import { registerProvider } from './commands/provider.ts';
import { registerRecon } from './commands/recon.ts';
import { registerReplay } from './commands/replay.ts';
import { registerTenants } from './commands/tenants.ts';
import { registerWebhooks } from './commands/webhooks.ts';
import { CheckFailed, type CliEnv, Context, DEFAULT_API_URL, Interrupted, type Io, readCliEnv } from './context.ts';

export type { Io } from './context.ts';

/** Exit codes: what a script calling the CLI can rely on. */
export const EXIT = {
  ok: 0,
  /** The API refused (4xx), or a check found a problem (ledger verify). */
  refused: 1,
  /** Usage: unknown command or option, a bad argument, missing configuration. Nothing was sent. */
  usage: 2,
  /** The API could not be reached, or failed (5xx). */
  unavailable: 3,
  /** Ctrl-C stopped a wait (`batch submit`): the work goes on server-side. */
  interrupted: 130,
} as const;

/**
 * The operator's tool, over the admin API. Runs in-process: everything it reads comes from `io`
 * (environment, fetch) and everything it prints goes to `io`, so tests drive it directly.
 */
export async function run(argv: string[], io: Io): Promise<number> {
  let env: CliEnv | Error;
  try {
    env = readCliEnv(io.env);
  } catch (error) {
    env = error as Error;
  }
  const ctx = new Context(io, env);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return report(error, ctx);
  }
}

export function buildProgram(ctx: Context): Command {
  const program = new Command('payouts')
    .description(
      "The operator tool of the payout engine, over its admin API (and a tenant's batch runs).\n" +
        `Configuration: PAYOUTS_API_URL (default ${DEFAULT_API_URL}) and PAYOUTS_OPERATOR_KEY, or the flags below;\n` +
        'the tenant commands (batch, payouts, balances) use a tenant API key instead: PAYOUTS_API_KEY.\n' +
        'Exit codes: 0 ok, 1 refused by the API, 2 usage error, 3 API unreachable or failing, 130 stopped waiting (Ctrl-C).',
    )
    // Set before any subcommand is added: subcommands inherit them.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: (s, write) => write(s),
    })
    .showHelpAfterError('(add --help for usage)')
    .option('--api-url <url>', `the API's base URL (env PAYOUTS_API_URL, default ${DEFAULT_API_URL})`)
    .option(
      '--key <key>',
      'the API key: the operator key (env PAYOUTS_OPERATOR_KEY), or for tenant commands (batch, payouts, balances) a tenant key ' +
        '(env PAYOUTS_API_KEY); the variables keep it out of shell history',
    );

  registerDeadLetters(program, ctx);
  registerReplay(program, ctx);
  registerPayouts(program, ctx);
  registerCancel(program, ctx);
  registerBalances(program, ctx);
  registerFund(program, ctx);
  registerProvider(program, ctx);
  registerTenants(program, ctx);
  registerKeys(program, ctx);
  registerLedger(program, ctx);
  registerAudit(program, ctx);
  registerRecon(program, ctx);
  registerActions(program, ctx);
  registerBatch(program, ctx);
  registerApprovals(program, ctx);
  registerWebhooks(program, ctx);
  return program;
}

function report(error: unknown, ctx: Context): number {
  const { io } = ctx;
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help). --help and --version exit 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ApiUnreachable) {
    io.err(`error: ${error.message}\n`);
    return EXIT.unavailable;
  }
  if (error instanceof ApiProblem) {
    const lines = [
      `error: ${error.serverSide ? 'the API failed: ' : ''}${error.detail} (${error.status} ${error.code})`,
      ...error.errors.map((e) => `  ${e.field}: ${e.message}`),
    ];
    if (error.status === 401) lines.push(`  (check ${ctx.keyVariable} or --key)`);
    if (error.requestId) lines.push(`  request id: ${error.requestId}`);
    io.err(`${lines.join('\n')}\n`);
    return error.serverSide ? EXIT.unavailable : EXIT.refused;
  }
  if (error instanceof Interrupted) return EXIT.interrupted;
  if (error instanceof CheckFailed) {
    io.err(`error: ${error.message}\n`);
    return EXIT.refused;
  }
  io.err(`error: unexpected: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.refused;
}
