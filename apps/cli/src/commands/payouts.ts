import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { amount, fields } from '../format.ts';
import { JSON_HELP, parsePayoutId } from '../options.ts';

interface Payout {
  id: string;
  status: string;
  amount: number;
  currency: string;
  provider: string;
  failure: { code: string; message: string } | null;
  updated_at: string;
}

/** POST /v1/admin/payouts/{id}/cancel: any tenant's payout, while it has not reached its provider. */
export function registerCancel(program: Command, ctx: Context): void {
  program
    .command('cancel')
    .description('cancel a payout that has not reached its provider (accepted, reserved or queued)')
    .argument('<payoutId>', 'the payout to cancel (po_…)', parsePayoutId)
    .option('--json', JSON_HELP)
    .action(async (payoutId: string, _opts: unknown, cmd: Command) => {
      const { status, body } = await ctx
        .client(cmd)
        .post<Payout>(`/v1/admin/payouts/${encodeURIComponent(payoutId)}/cancel`);
      if (status === 202) {
        ctx.note('The reconciler has not answered yet; the cancel still applies. Check again shortly.');
      }
      ctx.emit(cmd, body, () =>
        fields([
          ['payout', body.id],
          ['status', body.status],
          ['amount', amount(body.amount, body.currency)],
          ['provider', body.provider],
        ]),
      );
    });
}
