import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { fields, table, yesNo } from '../format.ts';
import {
  addFilterOptions,
  type FilterOptions,
  JSON_HELP,
  parsePayoutId,
  parsePositiveInt,
  wireFilters,
} from '../options.ts';

interface ReplayOne {
  payout_id: string;
  status: string;
  replayed: boolean;
  /** A failed payout's replay handed to the reconciler and not yet applied. */
  pending: boolean;
}

/** `--dry-run` with one payout: whether a replay now would act on it, and why not. */
interface ReplayOneDryRun {
  payout_id: string;
  status: string;
  dry_run: true;
  would_replay: boolean;
  reason: string | null;
  detail: string | null;
}

interface ReplayMany {
  dry_run: boolean;
  matched: number;
  replayed: number;
  payouts: { payout_id: string; status: string; provider: string }[];
}

/** OPERATOR_APPROVALS=on: a bulk replay is stored until a second operator approves it. */
interface ReplayPending {
  id: string;
  status: 'pending_approval';
}

type ReplayOptions = FilterOptions & { all?: boolean; dryRun?: boolean; limit?: number; approve?: string };

/**
 * Re-drives unfinished payouts from their recorded state. Never pays twice: every provider call
 * carries the payout's own idempotency key.
 */
export function registerReplay(program: Command, ctx: Context): void {
  addFilterOptions(
    program
      .command('replay')
      .description('re-drive one payout, or every dead letter matching the filters (--all)')
      .argument('[payoutId]', 'the payout to re-drive (po_…)', parsePayoutId)
      .option('--all', 'replay every payout matching the filters instead of one'),
  )
    .option('--dry-run', 'say what would be replayed (one payout, or the list with --all), change nothing')
    .option('--limit <n>', 'with --all: at most this many in this call (API default 1000)', parsePositiveInt)
    .option(
      '--approve <requestId>',
      "approve another operator's bulk replay (rpl_…; OPERATOR_APPROVALS=on): it runs now",
    )
    .option('--json', JSON_HELP)
    .addHelpText(
      'after',
      '\nExamples:\n  $ pnpm cli replay po_01JD3…\n  $ pnpm cli replay po_01JD3… --dry-run\n  $ pnpm cli replay --all --state needs_attention --dry-run\n  $ pnpm cli replay --approve rpl_01JD3…',
    )
    .action(async (payoutId: string | undefined, opts: ReplayOptions, cmd: Command) => {
      const filtersGiven = Object.keys(wireFilters(opts)).length > 0;
      if (opts.approve !== undefined) {
        if (payoutId || opts.all) cmd.error('error: --approve takes a replay request id alone');
        const { body } = await ctx
          .client(cmd)
          .post<ReplayMany>(`/v1/admin/replays/${encodeURIComponent(opts.approve)}/approve`);
        ctx.emit(cmd, body, () =>
          fields([
            ['matched', body.matched],
            ['replayed', body.replayed],
          ]),
        );
        return;
      }
      if (opts.all && payoutId) cmd.error('error: give a payout id or --all, not both');
      if (!opts.all) {
        if (!payoutId) cmd.error('error: missing payout id (or --all to replay by filters)');
        if (filtersGiven || opts.limit !== undefined) {
          cmd.error('error: --provider, --state, --reason, --older-than and --limit go with --all');
        }
        if (opts.dryRun) {
          const { body } = await ctx
            .client(cmd)
            .post<ReplayOneDryRun>(`/v1/admin/payouts/${encodeURIComponent(payoutId)}/replay?dry_run=true`);
          ctx.emit(cmd, body, () =>
            body.would_replay
              ? `${body.payout_id} (${body.status}) would be replayed. Dry run: nothing was changed.\n`
              : `${body.payout_id} (${body.status}) would not be replayed: ${body.reason}. ${body.detail ?? ''}\nDry run: nothing was changed.\n`,
          );
          return;
        }
        const { body } = await ctx
          .client(cmd)
          .post<ReplayOne>(`/v1/admin/payouts/${encodeURIComponent(payoutId)}/replay`);
        ctx.emit(cmd, body, () =>
          body.replayed
            ? `Replayed ${body.payout_id} (${body.status}).\n`
            : body.pending
              ? `${body.payout_id} (${body.status}): its replay is handed over, not applied yet; look again.\n`
              : `${body.payout_id} (${body.status}) was not re-driven: its job is already live.\n`,
        );
        return;
      }
      // The API replays everything replayable only when told so in as many words (`all: true`).
      const scope = filtersGiven ? { filters: wireFilters(opts) } : { all: true };
      const request = { ...scope, dry_run: opts.dryRun ?? false, limit: opts.limit };
      const { status, body: answer } = await ctx
        .client(cmd)
        .post<ReplayMany | ReplayPending>('/v1/admin/replays', { body: request });
      if (status === 202) {
        const pending = answer as ReplayPending;
        ctx.emit(
          cmd,
          pending,
          () =>
            `Waiting for a second operator: nothing was replayed. Another operator key approves it with\n  pnpm cli replay --approve ${pending.id}\n`,
        );
        return;
      }
      const body = answer as ReplayMany;
      ctx.emit(cmd, body, () => {
        const summary = fields([
          ['dry run', yesNo(body.dry_run)],
          ['matched', body.matched],
          ['replayed', body.replayed],
        ]);
        const list =
          body.payouts.length === 0
            ? 'No payouts match.\n'
            : table(
                [
                  { header: 'payout', value: (p: ReplayMany['payouts'][number]) => p.payout_id },
                  { header: 'status', value: (p) => p.status },
                  { header: 'provider', value: (p) => p.provider },
                ],
                body.payouts,
              );
        const more =
          body.payouts.length < body.matched ? `(${body.matched - body.payouts.length} more not listed)\n` : '';
        const dry = body.dry_run && body.matched > 0 ? 'Dry run: nothing was changed.\n' : '';
        return `${summary}\n${list}${more}${dry}`;
      });
    });
}
