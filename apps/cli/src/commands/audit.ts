import type { Command } from 'commander';
import { CheckFailed, type Context } from '../context.ts';
import { table } from '../format.ts';
import { JSON_HELP } from '../options.ts';

interface BrokenLink {
  chain: string;
  row: string | null;
  reason: string;
  expected: string | null;
  found: string | null;
}

interface Chains {
  rows: number;
  chains: number;
  legacy_rows: number;
  broken_chains: number;
  broken: BrokenLink[];
}

interface Verification {
  ok: boolean;
  payout_events: Chains;
  operator_actions: Chains;
}

export function registerAudit(program: Command, ctx: Context): void {
  const audit = program.command('audit').description('the hash-chained payout history and operator log');
  audit
    .command('verify')
    .description(
      'recompute the hash chains of the payout history (one per payout) and the operator log, and name ' +
        'the first broken link of each broken chain: row, expected vs found hash (exit 1 if any)',
    )
    .option('--json', JSON_HELP)
    .action(async (_opts: unknown, cmd: Command) => {
      // A broken chain answers 500 with the report: a finding, not an outage.
      const { body } = await ctx.client(cmd).get<Verification>('/v1/admin/audit/verify', { accept: [500] });
      if (typeof body?.ok !== 'boolean') throw new CheckFailed('the API answered without a verification report');
      const line = (name: string, c: Chains) =>
        `${name}: ${c.rows} rows in ${c.chains} chain${c.chains === 1 ? '' : 's'}, ${c.broken_chains} broken` +
        (c.legacy_rows > 0 ? `, ${c.legacy_rows} legacy rows (written before the chains, not checked)` : '');
      ctx.emit(
        cmd,
        body,
        () =>
          `${body.ok ? 'Audit chains ok: every link holds.' : 'Audit chains NOT ok.'}\n` +
          `${line('payout history', body.payout_events)}\n${line('operator log', body.operator_actions)}\n`,
      );
      if (!body.ok) {
        const broken = [...body.payout_events.broken, ...body.operator_actions.broken];
        const more = body.payout_events.broken_chains + body.operator_actions.broken_chains - broken.length;
        throw new CheckFailed(
          `the audit chains do not verify; first broken link per chain:\n${table(
            [
              { header: 'chain', value: (b: BrokenLink) => b.chain },
              { header: 'row', value: (b) => b.row },
              { header: 'reason', value: (b) => b.reason },
              { header: 'expected', value: (b) => b.expected },
              { header: 'found', value: (b) => b.found },
            ],
            broken,
          )}${more > 0 ? `… and ${more} more broken chains (--json lists the first 100 of each table)\n` : ''}`,
        );
      }
    });
}
