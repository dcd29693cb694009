import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { ApiProblem, ApiUnreachable } from '../api-client.ts';
import type { Context } from '../context.ts';
import { fields, table } from '../format.ts';
import { IDEMPOTENCY_KEY, JSON_HELP } from '../options.ts';

interface Tenant {
  id: string;
  name: string;
  created_at: string;
}

interface TenantPage {
  data: Tenant[];
  has_more: boolean;
  next_cursor: string | null;
}

export function registerTenants(program: Command, ctx: Context): void {
  const tenants = program.command('tenants').description('tenants');
  tenants
    .command('list')
    .description('every tenant, newest first')
    .option('--json', JSON_HELP)
    .action(async (_opts: unknown, cmd: Command) => {
      const client = ctx.client(cmd);
      const all: Tenant[] = [];
      let cursor: string | undefined;
      // Tenants are few (one per customer backend), so every page is read before printing.
      do {
        const { body } = await client.get<TenantPage>('/v1/admin/tenants', { query: { limit: 100, cursor } });
        all.push(...body.data);
        cursor = body.has_more && body.next_cursor ? body.next_cursor : undefined;
      } while (cursor);
      ctx.emit(cmd, { data: all }, () =>
        all.length === 0
          ? 'No tenants yet.\n'
          : table(
              [
                { header: 'tenant', value: (t: Tenant) => t.id },
                { header: 'name', value: (t) => t.name, max: 60 },
                { header: 'created', value: (t) => t.created_at },
              ],
              all,
            ),
      );
    });
  tenants
    .command('create')
    .description('create a tenant (safe to retry with the same --idempotency-key)')
    .argument('<name>', "the tenant's name")
    .option('--idempotency-key <key>', 'Idempotency-Key header (default: a new one, printed)')
    .option('--json', JSON_HELP)
    .action(async (name: string, opts: { idempotencyKey?: string }, cmd: Command) => {
      if (opts.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(opts.idempotencyKey)) {
        cmd.error('error: --idempotency-key must be 1 to 255 visible ASCII characters');
      }
      const key = opts.idempotencyKey ?? `cli-${randomUUID()}`;
      const client = ctx.client(cmd);
      let res: Awaited<ReturnType<typeof client.post<Tenant>>>;
      try {
        res = await client.post<Tenant>('/v1/admin/tenants', { body: { name }, headers: { 'idempotency-key': key } });
      } catch (error) {
        if (error instanceof ApiUnreachable || (error instanceof ApiProblem && error.serverSide)) {
          ctx.note(`To retry safely: --idempotency-key ${key}`);
        }
        throw error;
      }
      const replayed = res.headers.get('idempotent-replayed') === 'true';
      ctx.emit(cmd, res.body, () =>
        fields([
          ['tenant', res.body.id],
          ['name', res.body.name],
          ['created at', res.body.created_at],
          ['idempotency key', `${key}${replayed ? ' (replayed: this key created it before)' : ''}`],
        ]),
      );
    });
}
