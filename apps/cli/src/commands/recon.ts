import { resolve } from 'node:path';
import { PROVIDER_IDS } from '@payouts/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { checkWritable, copyToOutput, save } from '../batch/files.ts';
import type { Context } from '../context.ts';
import { fields, table } from '../format.ts';
import { JSON_HELP } from '../options.ts';

interface Run {
  id: string;
  provider: string;
  from: string;
  to: string;
  status: string;
  counts: Record<string, number>;
  progress: {
    phase: string;
    payouts_total: number | null;
    payouts_checked: number;
    provider_records_seen: number;
    provider_calls: number;
  };
  balance?: Balance[] | null;
  error: string | null;
}

interface Balance {
  currency: string;
  ours: string;
  theirs: string | null;
  difference: string | null;
  in_flight: { payouts: number; amount: string };
}

interface Item {
  id: string;
  payout_id: string | null;
  provider_payout_id: string | null;
  reason: string;
  ours: Record<string, unknown> | null;
  theirs: Record<string, unknown> | null;
  resolution: { note: string | null } | null;
}

/** An ISO date or date-time; a bare date is midnight UTC. */
function parseInstant(value: string): string {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  if (Number.isNaN(Date.parse(iso))) throw new InvalidArgumentError('expected an ISO date (2026-12-01) or date-time');
  return new Date(iso).toISOString();
}

function parseRunId(value: string): string {
  if (!/^rcn_[0-9A-Za-z]+$/.test(value)) throw new InvalidArgumentError('expected a reconciliation id (rcn_…)');
  return value;
}

function describeRun(run: Run): string {
  const drifts = Object.entries(run.counts).filter(([reason, n]) => n > 0 && reason !== 'matched');
  return `${fields([
    ['id', run.id],
    ['provider', run.provider],
    ['window', `${run.from} → ${run.to}`],
    ['status', run.status],
    ['phase', run.progress.phase],
    ['checked', `${run.progress.payouts_checked} of ${run.progress.payouts_total ?? '?'} payouts`],
    ['provider calls', run.progress.provider_calls],
    ['matched', run.counts.matched ?? 0],
    ['error', run.error],
    ...(run.balance ?? []).map((b): [string, string] => [`balance ${b.currency}`, describeBalance(b)]),
  ])}${drifts.length > 0 ? `drifts: ${drifts.map(([r, n]) => `${r} ${n}`).join(', ')}\n` : 'no drifts\n'}`;
}

/** `ours 1000 · theirs 990 · difference -10 · in flight 2 (500)`, minor units. */
function describeBalance(b: Balance): string {
  const flying = b.in_flight.payouts > 0 ? ` · in flight ${b.in_flight.payouts} (${b.in_flight.amount})` : '';
  return `ours ${b.ours} · theirs ${b.theirs ?? '—'} · difference ${b.difference ?? '—'}${flying}`;
}

const side = (s: Record<string, unknown> | null, f: string) => (s ? String(s[f] ?? '') : '—');

export function registerRecon(program: Command, ctx: Context): void {
  const recon = program
    .command('recon')
    .description('reconciliation: every payout of a provider and window against the provider (docs/operations.md)');

  recon
    .command('run')
    .description('start a run (or find the run of that provider and window) and, with --wait, wait for its end')
    .addOption(new Option('--provider <provider>', 'the provider').choices([...PROVIDER_IDS]).makeOptionMandatory())
    .requiredOption('--from <date>', 'window start, ISO date or date-time (UTC)', parseInstant)
    .requiredOption('--to <date>', 'window end, exclusive', parseInstant)
    .option('--wait', 'wait for the run to complete, printing its progress')
    .option('--json', JSON_HELP)
    .action(async (opts: { provider: string; from: string; to: string; wait?: boolean }, cmd: Command) => {
      const client = ctx.client(cmd);
      const { body } = await client.post<Run>('/v1/admin/reconciliations', {
        body: { provider: opts.provider, from: opts.from, to: opts.to },
      });
      let run = body;
      while (opts.wait && run.status === 'running') {
        await new Promise((r) => setTimeout(r, 1000));
        run = (await client.get<Run>(`/v1/admin/reconciliations/${run.id}`)).body;
      }
      ctx.emit(cmd, run, () => describeRun(run));
    });

  recon
    .command('show <id>')
    .description("a run's counts and progress, and its unresolved drifts")
    .option('--reason <reason>', 'only this reason (default: every drift)')
    .option('--json', JSON_HELP)
    .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const client = ctx.client(cmd);
      const runId = parseRunId(id);
      const run = (await client.get<Run>(`/v1/admin/reconciliations/${runId}`)).body;
      const items = (
        await client.get<{ data: Item[]; has_more: boolean }>(`/v1/admin/reconciliations/${runId}/items`, {
          query: { reason: opts.reason, unresolved: 'true', limit: 100 },
        })
      ).body;
      ctx.emit(
        cmd,
        { ...run, items: items.data },
        () =>
          describeRun(run) +
          (items.data.length === 0
            ? ''
            : table(
                [
                  { header: 'item', value: (i: Item) => i.id },
                  { header: 'payout', value: (i) => i.payout_id ?? '(unknown to us)' },
                  { header: 'reason', value: (i) => i.reason },
                  { header: 'ours', value: (i) => `${side(i.ours, 'status')} ${side(i.ours, 'amount')}` },
                  { header: 'theirs', value: (i) => `${side(i.theirs, 'status')} ${side(i.theirs, 'amount')}` },
                ],
                items.data,
              ) + (items.has_more ? '… more: recon export lists them all\n' : '')),
      );
    });

  recon
    .command('export <id>')
    .description("a run's findings as CSV, both sides in columns, streamed to a file or standard output")
    .option('--reason <reason>', 'drift (default), all, or one reason')
    .option('--output <file>', 'where to write it; - for standard output (default: <id>.csv in this directory)')
    .action(async (id: string, opts: { reason?: string; output?: string }, cmd: Command) => {
      const client = ctx.client(cmd);
      const runId = parseRunId(id);
      const path = `/v1/admin/reconciliations/${runId}/items.csv`;
      const query = { reason: opts.reason };
      if (opts.output === '-') {
        await copyToOutput(client, await client.download(path, { query }), (s) => ctx.io.out(s));
        return;
      }
      const target = resolve(opts.output ?? `${runId}.csv`);
      await checkWritable(cmd, target);
      const rows = await save(client, await client.download(path, { query }), target);
      ctx.io.out(
        fields([
          ['file', target],
          ['rows', `${rows} (plus the header line)`],
        ]),
      );
    });

  recon
    .command('resolve <id> <item>')
    .description('resolve a finding with a note (recorded in the operator log)')
    .requiredOption('--note <text>', 'what was found and done')
    .option('--json', JSON_HELP)
    .action(async (id: string, item: string, opts: { note: string }, cmd: Command) => {
      const { body } = await ctx
        .client(cmd)
        .post<Item>(`/v1/admin/reconciliations/${parseRunId(id)}/items/${item}/resolve`, { body: { note: opts.note } });
      ctx.emit(cmd, body, () => `Resolved ${body.id} (${body.reason}).\n`);
    });
}
