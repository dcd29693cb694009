import { type Command, Option } from 'commander';
import type { Context } from '../context.ts';
import { fields } from '../format.ts';
import { JSON_HELP, parseTenantId } from '../options.ts';

interface ApiKey {
  id: string;
  key: string;
  prefix: string;
  tenant_id: string;
  created_at: string;
}

export function registerKeys(program: Command, ctx: Context): void {
  const keys = program.command('keys').description("tenants' API keys");
  keys
    .command('issue')
    .description('issue an API key for a tenant (shown once)')
    .argument('<tenantId>', 'the tenant (ten_…)', parseTenantId)
    .addOption(new Option('--mode <mode>', 'sk_test_… or sk_live_…').choices(['test', 'live']).default('test'))
    .option('--json', JSON_HELP)
    .action(async (tenantId: string, opts: { mode: string }, cmd: Command) => {
      const { body } = await ctx
        .client(cmd)
        .post<ApiKey>(`/v1/admin/tenants/${encodeURIComponent(tenantId)}/api-keys`, { body: { mode: opts.mode } });
      ctx.note('warning: this key is shown once and only its hash is stored: keep it now.');
      ctx.emit(cmd, body, () =>
        fields([
          ['key', body.key],
          ['key id', body.id],
          ['tenant', body.tenant_id],
          ['created at', body.created_at],
        ]),
      );
    });
}
