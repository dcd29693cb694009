import { fromMajorString, MAX_AMOUNT_MINOR } from '@payouts/core';
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { amount, fields } from '../format.ts';
import { JSON_HELP, parseCurrency, parseTenantId } from '../options.ts';

interface Funding {
  tenant_id: string;
  currency: string;
  amount: number;
  reference: string;
  funded: boolean;
  released: number;
  /** A string only for a stored balance beyond 2^53 − 1 (docs/api.md). */
  balance: { available: number | string; held: number | string };
}

export function registerFund(program: Command, ctx: Context): void {
  program
    .command('fund')
    .description("fund a tenant's wallet; idempotent on --reference; releases payouts waiting for funds")
    .argument('<tenantId>', 'the tenant (ten_…)', parseTenantId)
    .argument('<currency>', 'INR, THB, USD or COP', parseCurrency)
    .argument('<amount>', 'integer minor units (paise, satang, cents), or a decimal with --major')
    .requiredOption('--reference <ref>', 'your reference for this funding: the same reference funds once')
    .option('--major', 'the amount is in major units (e.g. 1250.50); never rounded')
    .option('--json', JSON_HELP)
    .addHelpText(
      'after',
      '\nExamples:\n  $ pnpm cli fund ten_01JD3… INR 125050 --reference wire-2024-001\n' +
        '  $ pnpm cli fund ten_01JD3… INR 1250.50 --major --reference wire-2024-001',
    )
    .action(
      async (
        tenantId: string,
        currency: ReturnType<typeof parseCurrency>,
        value: string,
        opts: { reference: string; major?: boolean },
        cmd: Command,
      ) => {
        let minor: bigint;
        if (opts.major) {
          try {
            minor = fromMajorString(value, currency);
          } catch (error) {
            cmd.error(`error: amount ${(error as Error).message}`);
          }
        } else {
          if (!/^\d+$/.test(value)) {
            cmd.error(
              `error: amount "${value}" must be an integer in minor units (or pass --major for a decimal in ${currency})`,
            );
          }
          minor = BigInt(value);
        }
        if (minor <= 0n) cmd.error('error: amount must be more than zero');
        if (minor > MAX_AMOUNT_MINOR) {
          cmd.error(`error: amount must be at most ${MAX_AMOUNT_MINOR} minor units (the most a wallet may hold)`);
        }
        if (!/^[A-Za-z0-9._:-]{1,100}$/.test(opts.reference)) {
          cmd.error('error: --reference must be 1 to 100 letters, digits or ._:-');
        }
        const { status, body } = await ctx
          .client(cmd)
          .post<Funding>(`/v1/admin/tenants/${encodeURIComponent(tenantId)}/fundings`, {
            body: { currency, amount: Number(minor), reference: opts.reference },
          });
        if (status === 202) ctx.note('The reconciler has not answered yet; the funding will still apply.');
        ctx.emit(cmd, body, () =>
          fields([
            ['tenant', body.tenant_id],
            ['amount', `${amount(body.amount, body.currency)} (${body.amount} minor units)`],
            ['reference', body.reference],
            ['funded', status === 202 ? 'pending' : body.funded ? 'yes' : 'no (this reference had funded already)'],
            ['released', `${body.released} payout${body.released === 1 ? '' : 's'} waiting for funds`],
            ['available', amount(body.balance.available, body.currency)],
            ['held', amount(body.balance.held, body.currency)],
          ]),
        );
      },
    );
}
