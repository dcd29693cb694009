import { isId } from '@payouts/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Context } from '../context.ts';
import { fields, table } from '../format.ts';
import { JSON_HELP, parsePositiveInt, parseTenantId } from '../options.ts';

/** GET /v1/admin/webhook-deliveries: one event to one tenant endpoint, and how it went. */
export interface WebhookDelivery {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  subject_id: string;
  subject_version: number;
  status: 'pending' | 'succeeded' | 'failed' | 'cancelled';
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
}

function parseDeliveryId(value: string): string {
  if (!isId(value, 'webhookDelivery')) throw new InvalidArgumentError('expected a delivery id such as whd_01JD3….');
  return value;
}

/** Outbound webhooks to tenants (docs/webhooks.md): what failed, and sending it again. */
export function registerWebhooks(program: Command, ctx: Context): void {
  const group = program.command('webhooks').description("outbound webhooks to tenants' endpoints: deliveries, replay");

  group
    .command('deliveries')
    .description('list webhook deliveries, newest first')
    .addOption(
      new Option('--status <status>', 'only deliveries in this state').choices([
        'pending',
        'succeeded',
        'failed',
        'cancelled',
      ]),
    )
    .option('--tenant <tenantId>', 'only this tenant (ten_…)', parseTenantId)
    .option('--limit <n>', 'at most this many (API default 20, at most 100)', parsePositiveInt)
    .option('--json', JSON_HELP)
    .addHelpText('after', '\nExample:\n  $ pnpm cli webhooks deliveries --status failed')
    .action(async (opts: { status?: string; tenant?: string; limit?: number }, cmd: Command) => {
      const { body } = await ctx
        .client(cmd)
        .get<{ data: WebhookDelivery[]; has_more: boolean }>('/v1/admin/webhook-deliveries', {
          query: { status: opts.status, tenant_id: opts.tenant, limit: opts.limit },
        });
      ctx.emit(cmd, body, () => {
        if (body.data.length === 0) return 'No deliveries match.\n';
        const list = table(
          [
            { header: 'delivery', value: (d: WebhookDelivery) => d.id },
            { header: 'tenant', value: (d) => d.tenant_id },
            { header: 'event', value: (d) => d.event_type },
            { header: 'subject', value: (d) => `${d.subject_id} v${d.subject_version}` },
            { header: 'status', value: (d) => d.status },
            { header: 'attempts', value: (d) => d.attempts, align: 'right' },
            { header: 'last', value: (d) => d.last_error ?? d.last_status_code, max: 50 },
          ],
          body.data,
        );
        return `${list}${body.has_more ? '(more: raise --limit or filter)\n' : ''}`;
      });
    });

  group
    .command('replay')
    .description('send a delivery again now (attempts reset); recorded as an operator action')
    .argument('<deliveryId>', 'the delivery (whd_…)', parseDeliveryId)
    .option('--json', JSON_HELP)
    .addHelpText('after', '\nExample:\n  $ pnpm cli webhooks replay whd_01JD3…')
    .action(async (deliveryId: string, _opts: unknown, cmd: Command) => {
      const { body } = await ctx
        .client(cmd)
        .post<WebhookDelivery>(`/v1/admin/webhook-deliveries/${encodeURIComponent(deliveryId)}/replay`);
      ctx.emit(
        cmd,
        body,
        () =>
          `Queued again:\n${fields([
            ['delivery', body.id],
            ['event', `${body.event_type} (${body.event_id})`],
            ['subject', `${body.subject_id} v${body.subject_version}`],
            ['endpoint', body.endpoint_id],
          ])}`,
      );
    });
}
