import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { ApiProblem, ApiUnreachable } from '../api-client.ts';
import type { Context } from '../context.ts';
import { fields } from '../format.ts';
import { IDEMPOTENCY_KEY, JSON_HELP } from '../options.ts';

interface Tenant {
  id: string;
  name: string;
  created_at: string;
}

export function registerTenants(program: Command, ctx: Context): void {
  const tenants = program.command('tenants').description('tenants');
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
