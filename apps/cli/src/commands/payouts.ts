import { resolve } from 'node:path';
import { CURRENCIES, PAYOUT_STATUSES, PROVIDER_IDS } from '@payouts/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { checkWritable, copyToOutput, save } from '../batch/files.ts';
import type { Context } from '../context.ts';
import { amount, fields, table } from '../format.ts';
import { JSON_HELP, parseBatchId, parsePayoutId, parsePositiveInt } from '../options.ts';

interface Payout {
  id: string;
  status: string;
  amount: number | string;
  currency: string;
  provider: string;
  method?: string;
  reference_id?: string | null;
  batch_id?: string | null;
  provider_payout_id?: string | null;
  utr?: string | null;
  failure: { code: string; message: string } | null;
  created_at?: string;
  updated_at: string;
}

interface PayoutEvent {
  from_status: string | null;
  to_status: string;
  applied: boolean;
  source: string;
  detail: Record<string, unknown> | null;
  created_at: string;
}

interface PayoutPage {
  data: Payout[];
  has_more: boolean;
  next_cursor: string | null;
}

interface PayoutFilterOptions {
  status?: string;
  provider?: string;
  currency?: string;
  method?: string;
  batch?: string;
  reference?: string;
  createdFrom?: string;
  createdTo?: string;
  updatedFrom?: string;
  updatedTo?: string;
  amountMin?: string;
  amountMax?: string;
}

interface ListOptions extends PayoutFilterOptions {
  limit?: number;
  cursor?: string;
  all?: boolean;
}

/** The API's own page limit: `--all` walks the pages at this size. */
const PAGE_LIMIT = 100;

/**
 * A tenant's payouts, read with its own key (PAYOUTS_API_KEY): what a backend or a payroll team
 * checks without writing curl. Operators cancel any tenant's payout with `cancel` below.
 */
export function registerPayouts(program: Command, ctx: Context): void {
  const payouts = program.command('payouts').description("a tenant's payouts (tenant API key: PAYOUTS_API_KEY)");

  payouts
    .command('get')
    .description('one payout and its history, oldest change first')
    .argument('<payoutId>', 'the payout (po_…)', parsePayoutId)
    .option('--json', JSON_HELP)
    .action(async (payoutId: string, _opts: unknown, cmd: Command) => {
      const client = ctx.client(cmd, 'tenant');
      const path = `/v1/payouts/${encodeURIComponent(payoutId)}`;
      const { body: payout } = await client.get<Payout>(path);
      const { body: history } = await client.get<{ data: PayoutEvent[] }>(`${path}/events`);
      ctx.emit(cmd, { ...payout, events: history.data }, () => describePayout(payout, history.data));
    });

  addPayoutFilters(payouts.command('list').description('payouts, newest first, with the API filters'))
    .option('--limit <n>', 'a page of this many (1 to 100, default 20)', parsePageLimit)
    .option('--cursor <cursor>', 'the next page: the cursor a previous page printed')
    .option('--all', 'every page, not just the first (--json prints one JSON line per payout)')
    .option('--json', JSON_HELP)
    .addHelpText(
      'after',
      '\nExample:\n  $ pnpm exec payouts payouts list --status needs_attention --provider razorpayx',
    )
    .action(async (opts: ListOptions, cmd: Command) => {
      if (opts.all && (opts.cursor !== undefined || opts.limit !== undefined)) {
        cmd.error('error: --all reads every page; it takes neither --cursor nor --limit');
      }
      const client = ctx.client(cmd, 'tenant');
      const query = { ...wirePayoutFilters(opts), limit: opts.all ? PAGE_LIMIT : opts.limit, cursor: opts.cursor };
      const asJson = Boolean(cmd.optsWithGlobals<{ json?: boolean }>().json);
      if (!opts.all) {
        const { body } = await client.get<PayoutPage>('/v1/payouts', { query });
        ctx.emit(cmd, body, () => describePage(body));
        return;
      }
      // Page by page, printed as it comes: a run of 100,000 never sits in memory.
      let cursor: string | undefined;
      let count = 0;
      do {
        const { body } = await client.get<PayoutPage>('/v1/payouts', { query: { ...query, cursor } });
        if (asJson) for (const p of body.data) ctx.io.out(`${JSON.stringify(p)}\n`);
        else if (body.data.length > 0) ctx.io.out(payoutTable(body.data, count === 0));
        count += body.data.length;
        cursor = body.has_more && body.next_cursor ? body.next_cursor : undefined;
      } while (cursor);
      if (!asJson) ctx.io.out(`${count} payout${count === 1 ? '' : 's'}.\n`);
    });

  addPayoutFilters(
    payouts
      .command('export')
      .description('the same selection as list, as CSV, streamed to a file or standard output (any size)'),
  )
    .option('--output <file>', 'where to write it; - for standard output (default: payouts.csv in this directory)')
    .addHelpText('after', '\nExample:\n  $ pnpm exec payouts payouts export --status failed,rejected --output -')
    .action(async (opts: PayoutFilterOptions & { output?: string }, cmd: Command) => {
      const client = ctx.client(cmd, 'tenant');
      const query = wirePayoutFilters(opts);
      if (opts.output === '-') {
        await copyToOutput(client, await client.download('/v1/payouts/export.csv', { query }), (s) => ctx.io.out(s));
        return;
      }
      const target = resolve(opts.output ?? 'payouts.csv');
      await checkWritable(cmd, target);
      const rows = await save(client, await client.download('/v1/payouts/export.csv', { query }), target);
      ctx.io.out(
        fields([
          ['file', target],
          ['rows', `${rows} (plus the header line)`],
        ]),
      );
    });
}

/** The API's payout filters as options, shared by `payouts list` and `payouts export`. */
function addPayoutFilters(cmd: Command): Command {
  return cmd
    .option('--status <states>', 'only payouts in these states, comma-separated (e.g. failed,rejected)', parseStates)
    .addOption(new Option('--provider <provider>', 'only this provider').choices(PROVIDER_IDS))
    .addOption(new Option('--currency <currency>', 'only this currency').choices(CURRENCIES))
    .option('--method <method>', 'only this method (e.g. IMPS)')
    .option('--batch <batchId>', 'only the payouts of this batch (bat_…)', parseBatchId)
    .option('--reference <referenceId>', 'only payouts with this reference_id')
    .option('--created-from <time>', 'created at or after this RFC 3339 instant')
    .option('--created-to <time>', 'created before this RFC 3339 instant')
    .option('--updated-from <time>', 'last changed at or after this RFC 3339 instant')
    .option('--updated-to <time>', 'last changed before this RFC 3339 instant')
    .option('--amount-min <minor>', 'amount at least this, in minor units')
    .option('--amount-max <minor>', 'amount at most this, in minor units');
}

/** The filters as the API spells them; the API judges times and amounts (a 400 names the one). */
function wirePayoutFilters(o: PayoutFilterOptions): Record<string, string | undefined> {
  return {
    status: o.status,
    provider: o.provider,
    currency: o.currency,
    method: o.method,
    batch_id: o.batch,
    reference_id: o.reference,
    created_from: o.createdFrom,
    created_to: o.createdTo,
    updated_from: o.updatedFrom,
    updated_to: o.updatedTo,
    amount_min: o.amountMin,
    amount_max: o.amountMax,
  };
}

function parseStates(value: string): string {
  const states = value.split(',').map((s) => s.trim());
  const unknown = states.filter((s) => !(PAYOUT_STATUSES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `not a payout state: ${unknown.join(', ')} (states: ${PAYOUT_STATUSES.join(', ')}).`,
    );
  }
  return states.join(',');
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

function parsePageLimit(value: string): number {
  const n = parsePositiveInt(value);
  if (n > PAGE_LIMIT) throw new InvalidArgumentError(`expected at most ${PAGE_LIMIT} (the API's page limit).`);
  return n;
}

function describePayout(p: Payout, events: PayoutEvent[]): string {
  const head = fields([
    ['payout', p.id],
    ['status', p.status],
    ['amount', amount(p.amount, p.currency)],
    ['provider', p.provider],
    ['method', p.method],
    ['reference', p.reference_id],
    ['batch', p.batch_id],
    ['provider id', p.provider_payout_id],
    ['utr', p.utr],
    ['failure', p.failure ? `${p.failure.code}: ${p.failure.message}` : null],
    ['created at', p.created_at],
    ['updated at', p.updated_at],
  ]);
  const timeline = table(
    [
      { header: 'at', value: (e: PayoutEvent) => e.created_at },
      { header: 'change', value: (e) => `${e.from_status ?? '(new)'} → ${e.to_status}` },
      { header: 'source', value: (e) => e.source },
      // A transition the state machine refused is history too (a late or duplicate report).
      { header: 'applied', value: (e) => (e.applied ? 'yes' : 'refused') },
    ],
    events,
  );
  return `${head}\nhistory:\n${timeline}`;
}

function payoutTable(rows: Payout[], withHeader: boolean): string {
  const out = table(
    [
      { header: 'payout', value: (p: Payout) => p.id },
      { header: 'status', value: (p) => p.status },
      { header: 'amount', value: (p) => amount(p.amount, p.currency), align: 'right' },
      { header: 'provider', value: (p) => p.provider },
      { header: 'reference', value: (p) => p.reference_id, max: 40 },
      { header: 'updated', value: (p) => p.updated_at },
    ],
    rows,
  );
  return withHeader ? out : out.slice(out.indexOf('\n') + 1);
}

function describePage(page: PayoutPage): string {
  if (page.data.length === 0) return 'No payouts match.\n';
  const more = page.has_more && page.next_cursor ? `More: --cursor ${page.next_cursor}\n` : '';
  return `${payoutTable(page.data, true)}${more}`;
}
