import { isId } from '@payouts/core';
import { type Command, InvalidArgumentError } from 'commander';
import type { Context } from '../context.ts';
import { fields, table } from '../format.ts';
import { JSON_HELP, parsePositiveInt } from '../options.ts';

/** An approval request, as `GET /v1/approvals` and the decision routes answer it. */
interface Approval {
  subject_id: string;
  kind: 'payout' | 'batch';
  status: string;
  approvals_required: number;
  approvals: number;
  maker: { key_id: string; label: string | null };
  decisions: { decision: string; key_id: string; label: string | null; reason: string | null }[];
  expires_at: string;
  created_at: string;
}

/**
 * Approvals, with a tenant's approver key (PAYOUTS_API_KEY): what waits for a decision, and the
 * decision itself. One command for payouts and batches: the id says which (`po_…` or `bat_…`).
 */
export function registerApprovals(program: Command, ctx: Context): void {
  const group = program
    .command('approvals')
    .description('payouts and batches waiting for approval (an approver key: PAYOUTS_API_KEY)');

  group
    .command('list')
    .description('payouts and batches waiting for approval, newest first')
    .option('--status <status>', 'pending (default), approved, rejected or expired')
    .option('--limit <n>', 'at most this many (API default 100, at most 500)', parsePositiveInt)
    .option('--json', JSON_HELP)
    .action(async (opts: { status?: string; limit?: number }, cmd: Command) => {
      const { body } = await ctx
        .client(cmd, 'tenant')
        .get<{ data: Approval[] }>('/v1/approvals', { query: { status: opts.status, limit: opts.limit } });
      ctx.emit(cmd, body, () => {
        if (body.data.length === 0) return 'Nothing waits for approval.\n';
        return `${table(
          [
            { header: 'id', value: (a: Approval) => a.subject_id },
            { header: 'kind', value: (a) => a.kind },
            { header: 'status', value: (a) => a.status },
            { header: 'approvals', value: (a) => `${a.approvals}/${a.approvals_required}`, align: 'right' },
            { header: 'maker', value: (a) => a.maker.label ?? a.maker.key_id, max: 30 },
            { header: 'expires', value: (a) => a.expires_at },
          ],
          body.data,
        )}\n`;
      });
    });

  group
    .command('approve')
    .description('approve a payout (po_…) or a batch (bat_…) waiting for approval')
    .argument('<id>', 'the payout or batch', parseSubjectId)
    .option('--json', JSON_HELP)
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { body } = await ctx.client(cmd, 'tenant').post<Decision>(`${subjectPath(id)}/approve`);
      ctx.emit(cmd, body, () => describeDecision(body));
    });

  group
    .command('reject')
    .description('reject a payout (po_…) or a batch (bat_…) waiting for approval: it is cancelled')
    .argument('<id>', 'the payout or batch', parseSubjectId)
    .requiredOption('--reason <text>', 'why (kept in the history and sent to the maker)')
    .option('--json', JSON_HELP)
    .action(async (id: string, opts: { reason: string }, cmd: Command) => {
      const { body } = await ctx
        .client(cmd, 'tenant')
        .post<Decision>(`${subjectPath(id)}/reject`, { body: { reason: opts.reason } });
      ctx.emit(cmd, body, () => describeDecision(body));
    });
}

interface Decision {
  approval: Approval;
  payout?: { id: string; status: string };
  batch?: { id: string; status: string };
}

function parseSubjectId(value: string): string {
  if (isId(value, 'payout') || isId(value, 'batch')) return value;
  throw new InvalidArgumentError('expected a payout id (po_01JD3…) or a batch id (bat_01JD3…).');
}

function subjectPath(id: string): string {
  return id.startsWith('po_')
    ? `/v1/payouts/${encodeURIComponent(id)}`
    : `/v1/payout-batches/${encodeURIComponent(id)}`;
}

function describeDecision(d: Decision): string {
  const subject = d.payout ?? d.batch;
  return fields([
    [d.approval.kind, d.approval.subject_id],
    ['approval', d.approval.status],
    ['approvals', `${d.approval.approvals}/${d.approval.approvals_required}`],
    ['status', subject?.status ?? ''],
  ]);
}
