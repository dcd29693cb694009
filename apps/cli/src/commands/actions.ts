import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { table } from '../format.ts';
import { JSON_HELP, parsePositiveInt } from '../options.ts';

interface Action {
  id: string;
  actor: string;
  action: string;
  target: string | null;
  params: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  created_at: string;
}

export function registerActions(program: Command, ctx: Context): void {
  const actions = program.command('actions').description('the operator action log: who did what, when');
  actions
    .command('list')
    .description('list operator actions, newest first')
    .option('--target <id>', 'only actions on this payout, tenant or provider')
    .option('--limit <n>', 'at most this many (API default 100, at most 500)', parsePositiveInt)
    .option('--json', JSON_HELP)
    .action(async (opts: { target?: string; limit?: number }, cmd: Command) => {
      const { body } = await ctx.client(cmd).get<{ data: Action[] }>('/v1/admin/operator-actions', {
        query: { target: opts.target, limit: opts.limit },
      });
      ctx.emit(cmd, body, () =>
        body.data.length === 0
          ? 'No operator actions.\n'
          : table(
              [
                { header: 'time', value: (a: Action) => a.created_at },
                { header: 'actor', value: (a) => a.actor },
                { header: 'action', value: (a) => a.action },
                { header: 'target', value: (a) => a.target },
                { header: 'result', value: (a) => (a.result ? JSON.stringify(a.result) : null), max: 60 },
              ],
              body.data,
            ),
      );
    });
}
