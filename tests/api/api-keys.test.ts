import { hashApiKey } from '@payouts/api';
import { apiKeys, operatorActions } from '@payouts/db';
import { must, waitFor } from '@payouts/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAuthenticator } from '../../apps/api/src/auth.ts';
import { run } from '../../apps/cli/src/cli.ts';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

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
      expect(Object.keys(k).sort()).toEqual([
        'created_at',
        'id',
        'label',
        'last_used_at',
        'prefix',
        'revoked_at',
        'role',
      ]);
      // Issued without a role: admin, what every tenant key was before roles.
      expect(k).toMatchObject({ role: 'admin', label: null, revoked_at: null });
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

  test('another API instance honours a revocation within its cache time (10 s from when it read the key), never later', async () => {
    const tenant = await createFundedTenant(system, 'keys-elsewhere');
    const hash = hashApiKey(tenant.key);
    // Another instance of the API: its own cache, its own clock (moved by hand, not waited for).
    let now = 1_000_000;
    const elsewhere = createAuthenticator(system.db.db, { now: () => now });
    expect((await elsewhere.principalFor(hash))?.tenantId).toBe(tenant.id);

    const row = must(
      (await system.db.db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenant.id)))[0],
      'the tenant key',
    );
    expect((await op('POST', `/v1/admin/api-keys/${row.id}/revoke`)).status).toBe(200);
    expect((await tenant.api('GET', '/v1/balances')).status).toBe(401); // at once where it was revoked

    now += 9_999;
    expect(await elsewhere.principalFor(hash)).not.toBeNull(); // the documented window, still open
    now += 1;
    expect(await elsewhere.principalFor(hash)).toBeNull(); // closed: looked up again, revoked
  });

  test('a lookup that read a key before this instance revoked it is answered once, not cached', async () => {
    const tenant = await createFundedTenant(system, 'keys-race');
    const hash = hashApiKey(tenant.key);
    const auth = createAuthenticator(system.db.db);
    const inFlight = auth.principalFor(hash);
    auth.forget({ tenantId: tenant.id }); // a revocation (or a settings change) while it runs
    expect((await inFlight)?.tenantId).toBe(tenant.id);
    await system.db.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.tenantId, tenant.id));
    expect(await auth.principalFor(hash)).toBeNull();
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

  test('a key is issued with a role and a label; the issue and the payouts it makes name the label', async () => {
    const tenant = await createFundedTenant(system, 'keys-roles');
    const maker = await op('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, {
      role: 'maker',
      label: 'Asha (payroll)',
    });
    expect(maker.status).toBe(201);
    expect(maker.body).toMatchObject({ tenant_id: tenant.id, role: 'maker', label: 'Asha (payroll)' });

    const listed = await op('GET', `/v1/admin/tenants/${tenant.id}/api-keys`);
    expect(listed.body.data.find((k: { id: string }) => k.id === maker.body.id)).toMatchObject({
      role: 'maker',
      label: 'Asha (payroll)',
    });
    const issues = await system.db.db
      .select()
      .from(operatorActions)
      .where(and(eq(operatorActions.action, 'api_key.issue'), eq(operatorActions.target, tenant.id)))
      .orderBy(operatorActions.createdAt);
    expect(issues.map((a) => a.result)).toEqual([
      expect.objectContaining({ key_id: expect.any(String), role: 'admin', label: null }),
      expect.objectContaining({ key_id: maker.body.id, role: 'maker', label: 'Asha (payroll)' }),
    ]);

    const asMaker = client(system.api.url, maker.body.key);
    const created = await asMaker('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'keys-roles-1' });
    expect(created.status).toBe(202);
    const events = await asMaker('GET', `/v1/payouts/${created.body.id}/events`);
    expect(events.body.data[0]).toMatchObject({
      to_status: 'accepted',
      detail: { keyId: maker.body.id, keyLabel: 'Asha (payroll)' },
    });
    const batch = await asMaker(
      'POST',
      '/v1/payout-batches',
      { items: [inrPayout({ reference_id: 'keys-roles-b1' })] },
      { 'idempotency-key': 'keys-roles-batch' },
    );
    expect(batch.status).toBe(202);
    const [batchPayout] = (await asMaker('GET', `/v1/payout-batches/${batch.body.id}/payouts`)).body.data;
    const batchEvents = await asMaker('GET', `/v1/payouts/${must(batchPayout, 'the batch payout').id}/events`);
    expect(batchEvents.body.data[0]).toMatchObject({
      to_status: 'accepted',
      detail: { keyId: maker.body.id, keyLabel: 'Asha (payroll)', batchId: batch.body.id },
    });

    // A cancel names the key's label too. Unfunded, the payout waits for its wallet, so it can be cancelled.
    const unfunded = await createFundedTenant(system, 'keys-roles-cancel', 0);
    const canceller = await op('POST', `/v1/admin/tenants/${unfunded.id}/api-keys`, { role: 'maker', label: 'Meera' });
    const asCanceller = client(system.api.url, canceller.body.key);
    const waiting = await asCanceller('POST', '/v1/payouts', inrPayout({ queue_if_low_balance: true }), {
      'idempotency-key': 'keys-roles-2',
    });
    await waitFor(async () => (await asCanceller('GET', `/v1/payouts/${waiting.body.id}`)).body.status === 'queued', {
      message: 'the payout to wait for its wallet',
    });
    expect((await asCanceller('POST', `/v1/payouts/${waiting.body.id}/cancel`)).body.status).toBe('cancelled');
    const history = (await asCanceller('GET', `/v1/payouts/${waiting.body.id}/events`)).body.data;
    expect(history.at(-1)).toMatchObject({
      to_status: 'cancelled',
      applied: true,
      detail: { actor: canceller.body.id, actorLabel: 'Meera' },
    });

    // The maker may not configure the tenant: a 403 naming its role.
    const refused = await asMaker('GET', '/v1/webhook-endpoints');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'role_forbidden', detail: expect.stringContaining('maker') });
  });

  test('a role or label that is not valid is a 422 naming the field, and no key is issued', async () => {
    const tenant = await createFundedTenant(system, 'keys-bad-role');
    for (const [body, field] of [
      [{ role: 'owner' }, 'role'],
      [{ role: 'tenant' }, 'role'],
      [{ role: 'maker', label: '' }, 'label'],
      [{ label: 'x'.repeat(101) }, 'label'],
      [{ label: 7 }, 'label'],
    ] as const) {
      const res = await op('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await op('GET', `/v1/admin/tenants/${tenant.id}/api-keys`)).body.data).toHaveLength(1);
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
    expect(await cli(['keys', 'issue', tenant.id, '--role', 'approver', '--label', 'Ravi (finance)'])).toBe(0);
    expect(out.join('')).toMatch(/role:\s+approver/);
    expect(out.join('')).toMatch(/label:\s+Ravi \(finance\)/);
    out.length = 0;
    expect(await cli(['keys', 'list', tenant.id, '--json'])).toBe(0);
    const all = JSON.parse(out.join('')).data as { id: string; role: string; label: string | null }[];
    expect(all.map((k) => [k.role, k.label])).toEqual([
      ['admin', null],
      ['approver', 'Ravi (finance)'],
    ]);
    const key = must(
      all.find((k) => k.role === 'admin'),
      'the admin key',
    );
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
