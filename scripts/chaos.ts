/**
 * `pnpm chaos`: the long chaos run (docs/architecture.md#guarantees) — by default 20,000 payouts through the apps as
 * separate processes while workers and reconcilers are SIGKILLed, Redis is restarted and flushed
 * and the simulated providers inject faults — then prints the figures and exits non-zero if any
 * invariant failed (a payout lost, not final, paid twice, the ledger or a wallet off by a unit).
 *
 *   pnpm chaos                     20,000 payouts
 *   pnpm chaos --payouts 2000      fewer
 *   pnpm chaos --keep-logs         keep the temp dir with every process's log (removed otherwise)
 *
 * Needs Postgres (DATABASE_URL, else 127.0.0.1:5432) and `redis-server` on PATH: it starts a
 * Redis of its own and never touches the one on 6379.
 */
import { runChaos } from '../tests/chaos/harness.ts';
import { formatReport } from '../tests/chaos/report.ts';

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write('usage: pnpm chaos [--payouts N] [--concurrency N] [--keep-logs]\n');
  process.exit(2);
}

let payouts = 20_000;
let concurrency = 16;
let keepLogs = false;
const args = process.argv.slice(2);
for (let arg = args.shift(); arg !== undefined; arg = args.shift()) {
  const [name, inline] = arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
  const value = () => {
    const v = inline ?? args.shift();
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) usage(`${name} needs a positive integer`);
    return n;
  };
  if (name === '--payouts') payouts = value();
  else if (name === '--concurrency') concurrency = value();
  else if (name === '--keep-logs') keepLogs = true;
  else if (name === '--help' || name === '-h') usage();
  else usage(`unknown argument ${arg}`);
}

const controller = new AbortController();
let interrupted = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted++;
    if (interrupted > 1) process.exit(130); // the harness's exit hook still kills every child
    process.stderr.write(`\n${signal}: stopping the run and cleaning up (again to quit at once)\n`);
    controller.abort();
  });
}

process.stdout.write(`Chaos run: ${payouts} payouts over razorpayx, krayon, thai-gateway and druo\n\n`);
try {
  const report = await runChaos({
    payouts,
    concurrency,
    chaosAfterLoadMs: 20_000,
    minKills: 6,
    keepLogs,
    signal: controller.signal,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`\n${formatReport(report)}\n`);
  if (report.warnings.length > 0) process.stdout.write(`\nNotes:\n  ${report.warnings.join('\n  ')}\n`);
  if (report.violations.length > 0) {
    process.stdout.write(`\nFAILED — ${report.violations.length} violations:\n  ${report.violations.join('\n  ')}\n`);
    process.exit(1);
  }
  process.stdout.write('\nOK: every payout final, none lost, none paid twice, ledger and wallets exact.\n');
  process.exit(0);
} catch (error) {
  process.stderr.write(
    `\nchaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
}
