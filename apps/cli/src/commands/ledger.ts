import type { Command } from 'commander';
import { CheckFailed, type Context } from '../context.ts';
import { table } from '../format.ts';
import { JSON_HELP } from '../options.ts';

interface Verification {
  ok: boolean;
  problems: string[];
  totals: { currency: string; sum: string }[];
}

export function registerLedger(program: Command, ctx: Context): void {
  const ledger = program.command('ledger').description('the double-entry ledger');
  ledger
    .command('verify')
    .description(
      "check the ledger's invariants: every transaction sums to zero, balances equal their entries, " +
        'no wallet below zero, held equals open holds, no payout both posted and voided (exit 1 if not)',
    )
    .option('--json', JSON_HELP)
    .action(async (_opts: unknown, cmd: Command) => {
      // A ledger that does not verify answers 500 with the report: a finding, not an outage.
      const { body } = await ctx.client(cmd).get<Verification>('/v1/admin/ledger/verify', { accept: [500] });
      if (typeof body?.ok !== 'boolean') throw new CheckFailed('the API answered without a verification report');
      ctx.emit(cmd, body, () => {
        const totals =
          body.totals.length === 0
            ? ''
            : `\n${table(
                [
                  { header: 'currency', value: (t: Verification['totals'][number]) => t.currency },
                  { header: 'sum', value: (t) => t.sum, align: 'right' },
                ],
                body.totals,
              )}`;
        return `${body.ok ? 'Ledger ok: every invariant holds.' : 'Ledger NOT ok.'}\n${totals}`;
      });
      if (!body.ok) {
        throw new CheckFailed(
          `the ledger does not verify (${body.problems.length} problem${body.problems.length === 1 ? '' : 's'}):\n` +
            body.problems.map((p) => `  ${p}`).join('\n'),
        );
      }
    });
}
