import { CURRENCIES, PROVIDER_IDS } from '@payouts/core';
import { Argument, type Command, InvalidArgumentError, Option } from 'commander';
import type { Context } from '../context.ts';
import { fields, yesNo } from '../format.ts';
import { JSON_HELP } from '../options.ts';

interface Funded {
  provider: string;
  was_low: boolean;
  released: number;
  funding?: { currency: string; amount: number; reference: string; funded: boolean };
}

function parseMinorUnits(value: string): number {
  if (!/^\d{1,15}$/.test(value))
    throw new InvalidArgumentError('expected a whole amount in minor units (paise, satang, cents)');
  return Number(value);
}

export function registerProvider(program: Command, ctx: Context): void {
  const provider = program.command('provider').description("the providers' own state");
  provider
    .command('funded')
    .description(
      "say a provider's float was funded: with --amount, --currency and --reference the transfer is posted to the ledger's provider float (once per reference); then clears its low-balance flag and releases its parked payouts",
    )
    .addArgument(new Argument('<provider>', 'the provider').choices(PROVIDER_IDS))
    .option('--amount <minor>', 'what was sent to the provider, in minor units', parseMinorUnits)
    .addOption(new Option('--currency <currency>', 'its currency').choices([...CURRENCIES]))
    .option('--reference <reference>', 'your reference for the transfer (the same reference funds once)')
    .option('--json', JSON_HELP)
    .action(async (id: string, opts: { amount?: number; currency?: string; reference?: string }, cmd: Command) => {
      const given = [opts.amount, opts.currency, opts.reference].filter((v) => v !== undefined).length;
      if (given !== 0 && given !== 3) {
        cmd.error('error: --amount, --currency and --reference go together');
      }
      const body =
        given === 3 ? { amount: opts.amount, currency: opts.currency, reference: opts.reference } : undefined;
      const { body: answer } = await ctx
        .client(cmd)
        .post<Funded>(`/v1/admin/providers/${encodeURIComponent(id)}/funded`, body ? { body } : {});
      ctx.emit(cmd, answer, () =>
        fields([
          ['provider', answer.provider],
          ...(answer.funding
            ? [
                [
                  'funding',
                  `${answer.funding.currency} ${answer.funding.amount} (${answer.funding.reference}): ${answer.funding.funded ? 'posted' : 'posted before, nothing new'}`,
                ] as [string, string],
              ]
            : []),
          ['was low', yesNo(answer.was_low)],
          ['released', `${answer.released} parked payout${answer.released === 1 ? '' : 's'}`],
        ]),
      );
    });
}
