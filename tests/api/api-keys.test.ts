import { apiKeys, operatorActions } from '@payouts/db';
import { must, waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../../apps/cli/src/cli.ts';
import { client, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/** API keys: listed without secrets, revocable at once, last use recorded without a write per request. */
let system: TestSystem;
let op: ReturnType<typeof client>;

beforeAll(async () => {
  system = await startTestSystem();
  op = client(system.api.url, system.operatorKey);
});
afterAll(async () => {
  await system?.stop();
});

describe('operator key management', () => {
  test('a key is listed with its prefix and dates, never the key or its hash', async () => {
    const tenant = await createFundedTenant(system, 'keys-list');
    const live = await op('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, { mode: 'live' });
    expect(live.status).toBe(201);
    expect(live.body.key).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    expect(tenant.key).toMatch(/^sk_test_[0-9A-Za-z]{32}$/);

    const list = await op('GET', `/v1/admin/tenants/${tenant.id}/api-keys`);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(2);
    for (const k of list.body.data) {
      expect(Object.keys(k).sort()).toEqual(['created_at', 'id', 'last_used_at', 'prefix', 'revoked_at', 'role']);
      expect(k).toMatchObject({ role: 'tenant', revoked_at: null });
    }
    const text = JSON.stringify(list.body);
    const stored = must(
      (await system.db.db.select().from(apiKeys).where(eq(apiKeys.id, live.body.id)))[0],
      'the stored key',
    );
    expect(text).not.toContain(stored.hash);
    expect(text).not.toContain(live.body.key);
    expect(text).not.toContain(tenant.key);
    expect(list.body.data.map((k: { prefix: string }) => k.prefix)).toContain(live.body.key.slice(0, 12));
  });

  test('a used key shows when it was last used; more requests within a minute write nothing more', async () => {
    const tenant = await createFundedTenant(system, 'keys-used');
    await tenant.api('GET', '/v1/balances');
    const keyRow = async () =>
      must((await system.db.db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenant.id)))[0], 'the tenant key');
    const first = await waitFor(async () => (await keyRow()).lastUsedAt ?? undefined, {
      message: 'last_used_at to be set',
    });
    for (let i = 0; i < 5; i++) expect((await tenant.api('GET', '/v1/balances')).status).toBe(200);
    expect((await keyRow()).lastUsedAt?.getTime()).toBe(first.getTime());
    const list = await op('GET', `/v1/admin/tenants/${tenant.id}/api-keys`);
    expect(list.body.data[0].last_used_at).toBe(first.toISOString());
  });

  test('a revoked key answers 401 at once, exactly like an unknown key; the revocation is recorded', async () => {
    const tenant = await createFundedTenant(system, 'keys-revoke');
    expect((await tenant.api('GET', '/v1/balances')).status).toBe(200); // cached as valid now
    const row = must(
      (await system.db.db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenant.id)))[0],
      'the tenant key',
    );

    const revoked = await op('POST', `/v1/admin/api-keys/${row.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: row.id, tenant_id: tenant.id, revoked_at: expect.any(String) });

    const after = await tenant.api('GET', '/v1/balances');
    const unknown = await client(system.api.url, 'sk_test_00000000000000000000000000000000')('GET', '/v1/balances');
    expect(after.status).toBe(401);
    expect(after.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const { instance: _a, request_id: _ra, ...afterBody } = after.body;
    const { instance: _b, request_id: _rb, ...unknownBody } = unknown.body;
    expect(afterBody).toEqual(unknownBody);

    // Revoking again changes nothing: the first revocation time stays.
    const again = await op('POST', `/v1/admin/api-keys/${row.id}/revoke`);
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at);

    const actions = await system.db.db.select().from(operatorActions).where(eq(operatorActions.target, row.id));
    expect(actions.map((a) => a.action)).toEqual(['api_key.revoke', 'api_key.revoke']);
    expect(JSON.stringify(actions)).not.toContain(row.hash);
  });

  test('unknown key ids are 404; an operator key cannot revoke itself', async () => {
    expect((await op('POST', '/v1/admin/api-keys/key_01JDA8Z6B9Y4X3W2V1T0S9R8Q7/revoke')).status).toBe(404);
    expect((await op('POST', '/v1/admin/api-keys/nope/revoke')).status).toBe(404);
    const self = must(
      (await system.db.db.select().from(apiKeys).where(eq(apiKeys.role, 'operator')))[0],
      'the operator key',
    );
    const res = await op('POST', `/v1/admin/api-keys/${self.id}/revoke`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('api_key_in_use');
    expect((await op('GET', '/v1/admin/dead-letters')).status).toBe(200);
  });

  test('the CLI lists and revokes keys', async () => {
    const tenant = await createFundedTenant(system, 'keys-cli');
    const out: string[] = [];
    const err: string[] = [];
    const cli = (args: string[]) =>
      run(args, {
        out: (s) => out.push(s),
        err: (s) => err.push(s),
        env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_OPERATOR_KEY: system.operatorKey },
        fetch,
      });
    expect(await cli(['keys', 'list', tenant.id, '--json'])).toBe(0);
    const listed = JSON.parse(out.join('')).data as { id: string; revoked_at: string | null }[];
    expect(listed).toHaveLength(1);
    const key = must(listed[0], 'the listed key');
    out.length = 0;
    expect(await cli(['keys', 'revoke', key.id])).toBe(0);
    expect(out.join('')).toMatch(/revoked at:\s+\d{4}-/);
    expect((await tenant.api('GET', '/v1/balances')).status).toBe(401);
    out.length = 0;
    expect(await cli(['keys', 'list', tenant.id])).toBe(0);
    expect(out.join('')).toContain(key.id);
    expect(await cli(['keys', 'revoke', 'not-a-key'])).not.toBe(0);
    expect(err.join('')).toContain('expected an API key id');
  });
});
