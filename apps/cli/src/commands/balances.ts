import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { amount, table } from '../format.ts';
import { JSON_HELP, parseTenantId } from '../options.ts';

interface Balance {
  currency: string;
  available: number | string;
  held: number | string;
}

/**
 * Wallet balances per currency: a tenant's own (its key), or any tenant's for an operator
 * (`--tenant`, the operator key): the same numbers either way.
 */
export function registerBalances(program: Command, ctx: Context): void {
  program
    .command('balances')
    .description("a wallet's balances per currency: available and held (tenant key, or --tenant with the operator key)")
    .option('--tenant <tenantId>', "any tenant's wallet, read with the operator key", parseTenantId)
    .option('--json', JSON_HELP)
    .action(async (opts: { tenant?: string }, cmd: Command) => {
      const { body } =
        opts.tenant === undefined
          ? await ctx.client(cmd, 'tenant').get<{ data: Balance[] }>('/v1/balances')
          : await ctx
              .client(cmd, 'operator')
              .get<{ data: Balance[] }>(`/v1/admin/tenants/${encodeURIComponent(opts.tenant)}/balances`);
      ctx.emit(cmd, body, () => {
        if (body.data.length === 0) return 'No balances yet: the wallet was never funded.\n';
        return table(
          [
            { header: 'currency', value: (b: Balance) => b.currency },
            { header: 'available', value: (b) => amount(b.available, b.currency), align: 'right' },
            { header: 'held', value: (b) => amount(b.held, b.currency), align: 'right' },
          ],
          body.data,
        );
      });
    });
}
