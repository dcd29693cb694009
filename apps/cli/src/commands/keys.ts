import { isId } from '@payouts/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Context } from '../context.ts';
import { fields, table } from '../format.ts';
import { JSON_HELP, parseTenantId } from '../options.ts';

interface ApiKey {
  id: string;
  key: string;
  prefix: string;
  tenant_id: string;
  role: string;
  label: string | null;
  created_at: string;
}

interface KeySummary {
  id: string;
  prefix: string;
  role: string;
  label: string | null;
  tenant_id?: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

function parseKeyId(value: string): string {
  if (!isId(value, 'apiKey'))
    throw new InvalidArgumentError('expected an API key id such as key_01JD3… (see keys list).');
  return value;
}

export function registerKeys(program: Command, ctx: Context): void {
  const keys = program.command('keys').description("tenants' API keys");
  keys
    .command('issue')
    .description('issue an API key for a tenant (shown once)')
    .argument('<tenantId>', 'the tenant (ten_…)', parseTenantId)
    .addOption(new Option('--mode <mode>', 'sk_test_… or sk_live_…').choices(['test', 'live']).default('test'))
    .addOption(
      new Option('--role <role>', 'what the key may do')
        .choices(['admin', 'maker', 'approver', 'viewer'])
        .default('admin'),
    )
    .option('--label <label>', 'who holds the key, shown in the history and audit trail')
    .option('--json', JSON_HELP)
    .action(async (tenantId: string, opts: { mode: string; role: string; label?: string }, cmd: Command) => {
      const { body } = await ctx
        .client(cmd)
        .post<ApiKey>(`/v1/admin/tenants/${encodeURIComponent(tenantId)}/api-keys`, {
          body: { mode: opts.mode, role: opts.role, ...(opts.label === undefined ? {} : { label: opts.label }) },
        });
      ctx.note('warning: this key is shown once and only its hash is stored: keep it now.');
      ctx.emit(cmd, body, () =>
        fields([
          ['key', body.key],
          ['key id', body.id],
          ['tenant', body.tenant_id],
          ['role', body.role],
          ['label', body.label],
          ['created at', body.created_at],
        ]),
      );
    });

  keys
    .command('list')
    .description("a tenant's keys: prefix, last use, revocation (never the key itself)")
    .argument('<tenantId>', 'the tenant (ten_…)', parseTenantId)
    .option('--json', JSON_HELP)
    .action(async (tenantId: string, _opts: unknown, cmd: Command) => {
      const { body } = await ctx
        .client(cmd)
        .get<{ data: KeySummary[] }>(`/v1/admin/tenants/${encodeURIComponent(tenantId)}/api-keys`);
      ctx.emit(cmd, body, () =>
        table<KeySummary>(
          [
            { header: 'key id', value: (k) => k.id },
            { header: 'prefix', value: (k) => k.prefix },
            { header: 'role', value: (k) => k.role },
            { header: 'label', value: (k) => k.label },
            { header: 'created', value: (k) => k.created_at },
            { header: 'last used', value: (k) => k.last_used_at },
            { header: 'revoked', value: (k) => k.revoked_at },
          ],
          body.data,
        ),
      );
    });
  keys
    .command('revoke')
    .description('revoke an API key for good (recorded as an operator action)')
    .argument('<keyId>', 'the key (key_…), from keys list', parseKeyId)
    .option('--json', JSON_HELP)
    .action(async (keyId: string, _opts: unknown, cmd: Command) => {
      const { body } = await ctx.client(cmd).post<KeySummary>(`/v1/admin/api-keys/${encodeURIComponent(keyId)}/revoke`);
      ctx.emit(cmd, body, () =>
        fields([
          ['key id', body.id],
          ['prefix', body.prefix],
          ['tenant', body.tenant_id],
          ['revoked at', body.revoked_at],
        ]),
      );
    });
}
