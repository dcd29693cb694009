import { PROVIDER_IDS } from '@payouts/core';
import { Argument, type Command } from 'commander';
import type { Context } from '../context.ts';
import { fields, yesNo } from '../format.ts';
import { JSON_HELP } from '../options.ts';

interface Funded {
  provider: string;
  was_low: boolean;
  released: number;
}

export function registerProvider(program: Command, ctx: Context): void {
  const provider = program.command('provider').description("the providers' own state");
  provider
    .command('funded')
    .description("say a provider's float was funded: clears its low-balance flag and releases its parked payouts")
    .addArgument(new Argument('<provider>', 'the provider').choices(PROVIDER_IDS))
    .option('--json', JSON_HELP)
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { body } = await ctx.client(cmd).post<Funded>(`/v1/admin/providers/${encodeURIComponent(id)}/funded`);
      ctx.emit(cmd, body, () =>
        fields([
          ['provider', body.provider],
          ['was low', yesNo(body.was_low)],
          ['released', `${body.released} parked payout${body.released === 1 ? '' : 's'}`],
        ]),
      );
    });
}
