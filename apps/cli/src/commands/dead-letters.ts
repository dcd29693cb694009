import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { age, table } from '../format.ts';
import { addFilterOptions, type FilterOptions, JSON_HELP, parsePositiveInt, wireFilters } from '../options.ts';

/** GET /v1/admin/dead-letters: what is stuck or needs a person, with the reason. */
export interface DeadLetter {
  payout_id: string;
  tenant_id: string;
  provider: string;
  status: string;
  reason: string;
  failure: { code: string; message: string } | null;
  queued_reason: string | null;
  provider_payout_id: string | null;
  submission_attempts: number;
  job: { id: string; state: string; failed_reason: string | null; attempts: number } | null;
  age_seconds: number;
  created_at: string;
  updated_at: string;
}

export function registerDeadLetters(program: Command, ctx: Context): void {
  const group = program.command('dead-letters').description('payouts that are stuck or need a person, with the reason');

  addFilterOptions(group.command('list').description('list dead letters, longest unmoved first'))
    .option('--limit <n>', 'at most this many (API default 100, at most 500)', parsePositiveInt)
    .option('--json', JSON_HELP)
    .addHelpText('after', '\nExample:\n  $ pnpm cli dead-letters list --provider razorpayx --older-than 10m')
    .action(async (opts: FilterOptions & { limit?: number }, cmd: Command) => {
      const { body } = await ctx.client(cmd).get<{ data: DeadLetter[]; count: number }>('/v1/admin/dead-letters', {
        query: { ...wireFilters(opts), limit: opts.limit },
      });
      ctx.emit(cmd, body, () => {
        if (body.data.length === 0) return 'No dead letters match.\n';
        return `${table(
          [
            { header: 'payout', value: (d: DeadLetter) => d.payout_id },
            { header: 'provider', value: (d) => d.provider },
            { header: 'status', value: (d) => d.status },
            { header: 'reason', value: (d) => d.reason, max: 60 },
            { header: 'attempts', value: (d) => d.submission_attempts, align: 'right' },
            { header: 'age', value: (d) => age(d.age_seconds), align: 'right' },
          ],
          body.data,
        )}\n${body.count} dead letter${body.count === 1 ? '' : 's'}.\n`;
      });
    });
}
