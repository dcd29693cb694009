import { CURRENCIES, PROVIDER_IDS } from '@payouts/core';
import { Argument, type Command, InvalidArgumentError, Option } from 'commander';
import type { Context } from '../context.ts';
import { fields, table, yesNo } from '../format.ts';
import { JSON_HELP } from '../options.ts';

interface Funded {
  provider: string;
  was_low: boolean;
  released: number;
  funding?: { currency: string; amount: number; reference: string; funded: boolean };
}

function parseMinorUnits(value: string): number {
  if (!/^\d{1,15}$/.test(value))
    throw new InvalidArgumentError('expected a whole amount in minor units (paise, satang, cents)');
  return Number(value);
}

interface Health {
  provider: string;
  circuit: { state: string; reopens_at: string | null };
  gate_reasons: string[];
  parked: Record<string, number>;
  downtimes: { active: { modes: string[] }[]; upcoming: { modes: string[]; starts_at: string }[] };
  queue: Record<string, number>;
  rate_per_second: number;
  rate_budget: {
    tokens: number;
    capacity: number;
    paused_until: string | null;
    waiting: Record<string, number>;
  } | null;
  expected_float: { currency: string; amount: number }[];
}

/** The rate budget now: paused by a 429, or its tokens and the calls waiting for one, by priority. */
function budget(h: Health): string {
  const b = h.rate_budget;
  if (!b) return '';
  const waiting = counts(b.waiting);
  const now = b.paused_until ? `paused until ${b.paused_until}` : `${Math.floor(b.tokens)}/${b.capacity} tokens`;
  return waiting ? `${now}; waiting ${waiting}` : now;
}

const counts = (entries: Record<string, number>) =>
  Object.entries(entries)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what}`)
    .join(', ');

export function registerProvider(program: Command, ctx: Context): void {
  const provider = program.command('provider').description("the providers' own state");
  provider
    .command('health')
    .description(
      'every provider: its circuit, what holds its submissions, payouts parked for it, downtimes, queue, rate budget and the float the ledger expects there',
    )
    .option('--json', JSON_HELP)
    .action(async (_opts: unknown, cmd: Command) => {
      const { body } = await ctx.client(cmd).get<{ data: Health[] }>('/v1/admin/providers');
      ctx.emit(cmd, body, () =>
        table<Health>(
          [
            { header: 'provider', value: (h) => h.provider },
            {
              header: 'circuit',
              value: (h) =>
                h.circuit.reopens_at ? `${h.circuit.state} until ${h.circuit.reopens_at}` : h.circuit.state,
            },
            { header: 'held by', value: (h) => h.gate_reasons.join(', ') },
            { header: 'parked', value: (h) => counts(h.parked) },
            { header: 'down now', value: (h) => h.downtimes.active.map((d) => d.modes.join('+')).join(', ') },
            {
              header: 'down later',
              value: (h) => h.downtimes.upcoming.map((d) => `${d.modes.join('+')} from ${d.starts_at}`).join(', '),
            },
            { header: 'queue', value: (h) => counts(h.queue) },
            { header: 'rate/s', value: (h) => h.rate_per_second, align: 'right' },
            { header: 'budget', value: budget },
            {
              header: 'float (ledger)',
              value: (h) => h.expected_float.map((f) => `${f.currency} ${f.amount}`).join(', '),
            },
          ],
          body.data,
        ),
      );
    });
  provider
    .command('funded')
    .description(
      "say a provider's float was funded: with --amount, --currency and --reference the transfer is posted to the ledger's provider float (once per reference); then clears its low-balance flag and releases its parked payouts",
    )
    .addArgument(new Argument('<provider>', 'the provider').choices(PROVIDER_IDS))
    .option('--amount <minor>', 'what was sent to the provider, in minor units', parseMinorUnits)
    .addOption(new Option('--currency <currency>', 'its currency').choices([...CURRENCIES]))
    .option('--reference <reference>', 'your reference for the transfer (the same reference funds once)')
    .option('--json', JSON_HELP)
    .action(async (id: string, opts: { amount?: number; currency?: string; reference?: string }, cmd: Command) => {
      const given = [opts.amount, opts.currency, opts.reference].filter((v) => v !== undefined).length;
      if (given !== 0 && given !== 3) {
        cmd.error('error: --amount, --currency and --reference go together');
      }
      const body =
        given === 3 ? { amount: opts.amount, currency: opts.currency, reference: opts.reference } : undefined;
      const { body: answer } = await ctx
        .client(cmd)
        .post<Funded>(`/v1/admin/providers/${encodeURIComponent(id)}/funded`, body ? { body } : {});
      ctx.emit(cmd, answer, () =>
        fields([
          ['provider', answer.provider],
          ...(answer.funding
            ? [
                [
                  'funding',
                  `${answer.funding.currency} ${answer.funding.amount} (${answer.funding.reference}): ${answer.funding.funded ? 'posted' : 'posted before, nothing new'}`,
                ] as [string, string],
              ]
            : []),
          ['was low', yesNo(answer.was_low)],
          ['released', `${answer.released} parked payout${answer.released === 1 ? '' : 's'}`],
        ]),
      );
    });
}
