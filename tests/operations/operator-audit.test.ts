import { apiKeys, idempotencyKeys, operatorActions, tenants, webhookDeliveries } from '@payouts/db';
import { must, waitFor } from '@payouts/testing';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * An operator action on the database and its entry in the audit log commit together, or neither.
 * Here the audit insert is made to fail (a trigger in this test's own database): every such route
 * must then leave nothing of its change behind, so a retry does it afresh and records it.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let op: ReturnType<typeof client>;
let spareKey: { id: string; key: string };
let deliveryId: string;
let entriesBefore: string[];

async function refuseAuditEntries(on: boolean) {
  if (on) {
    await system.db.db.execute(sql`
      create or replace function refuse_audit() returns trigger language plpgsql as $$
      begin raise exception 'the audit log refuses this entry (test)'; end $$`);
    await system.db.db.execute(
      sql`create trigger refuse_audit before insert on operator_actions for each row execute function refuse_audit()`,
    );
  } else {
    await system.db.db.execute(sql`drop trigger if exists refuse_audit on operator_actions`);
  }
}

const recorded = async (action: string) =>
  system.db.db.select().from(operatorActions).where(eq(operatorActions.action, action));

beforeAll(async () => {
  system = await startTestSystem();
  op = client(system.api.url, system.operatorKey);
  tenant = await createFundedTenant(system, 'audited');
  const spare = await op('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, {});
  expect(spare.status).toBe(201);
  spareKey = { id: spare.body.id, key: spare.body.key };

  // A webhook delivery to replay: an endpoint nobody listens on, and a payout that emits events.
  const endpoint = await tenant.api(
    'POST',
    '/v1/webhook-endpoints',
    { url: 'http://127.0.0.1:9/hooks' },
    { 'idempotency-key': 'audited-endpoint' },
  );
  expect(endpoint.status).toBe(201);
  expect((await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'audited-payout' })).status).toBe(
    202,
  );
  deliveryId = await waitFor(
    async () =>
      (
        await system.db.db
          .select({ id: webhookDeliveries.id })
          .from(webhookDeliveries)
          .where(eq(webhookDeliveries.endpointId, endpoint.body.id))
      )[0]?.id,
    { timeoutMs: 30_000, message: 'a webhook delivery to exist' },
  );
  // From here on only the API writes: a row that changes, changed because of the request.
  await system.stopProcessing();
  entriesBefore = (await system.db.db.select({ id: operatorActions.id }).from(operatorActions)).map((a) => a.id);
  await refuseAuditEntries(true);
});
afterAll(async () => {
  await system?.stop();
});

describe('when the audit entry cannot be written, the change is not made either', () => {
  test('POST /v1/admin/tenants: no tenant and no idempotency record; the retry creates it and records it', async () => {
    const create = () => op('POST', '/v1/admin/tenants', { name: 'Audited Corp' }, { 'idempotency-key': 'audit-t1' });
    expect((await create()).status).toBe(500);
    expect(await system.db.db.select().from(tenants).where(eq(tenants.name, 'Audited Corp'))).toEqual([]);
    expect(await system.db.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'audit-t1'))).toEqual([]);

    await refuseAuditEntries(false);
    try {
      const retry = await create();
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('false');
      expect(await recorded('tenant.create')).toContainEqual(
        expect.objectContaining({ target: retry.body.id, params: { name: 'Audited Corp' } }),
      );
    } finally {
      await refuseAuditEntries(true);
    }
  });

  test('POST /v1/admin/tenants/{id}/api-keys: no key issued', async () => {
    const before = await system.db.db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenant.id));
    expect((await op('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, {})).status).toBe(500);
    expect(await system.db.db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenant.id))).toEqual(before);
  });

  test('POST /v1/admin/api-keys/{id}/revoke: the key is not revoked and still works', async () => {
    expect((await op('POST', `/v1/admin/api-keys/${spareKey.id}/revoke`)).status).toBe(500);
    const row = must(
      (await system.db.db.select().from(apiKeys).where(eq(apiKeys.id, spareKey.id)))[0],
      'the spare key',
    );
    expect(row.revokedAt).toBeNull();
    expect((await client(system.api.url, spareKey.key)('GET', '/v1/balances')).status).toBe(200);
  });

  test('POST /v1/admin/tenants/{id}/request-signing: signing stays off', async () => {
    expect((await op('POST', `/v1/admin/tenants/${tenant.id}/request-signing`, { enabled: true })).status).toBe(500);
    const row = must((await system.db.db.select().from(tenants).where(eq(tenants.id, tenant.id)))[0], 'the tenant');
    expect(row.requestSigningSecret).toBeNull();
    expect((await tenant.api('GET', '/v1/balances')).status).toBe(200);
  });

  test('POST /v1/admin/webhook-deliveries/{id}/replay: the delivery is not reset', async () => {
    const read = async () =>
      (
        await system.db.db
          .select()
          .from(webhookDeliveries)
          .where(and(eq(webhookDeliveries.id, deliveryId)))
      )[0];
    const before = await read();
    expect((await op('POST', `/v1/admin/webhook-deliveries/${deliveryId}/replay`)).status).toBe(500);
    expect(await read()).toEqual(before);
  });

  test('and no entry was left without its change: the only one added is the retried tenant', async () => {
    const after = await system.db.db.select().from(operatorActions);
    expect(after.filter((a) => !entriesBefore.includes(a.id)).map((a) => a.action)).toEqual(['tenant.create']);
  });
});

describe('fundings and operator cancels, applied by the reconciler', () => {
  test('are recorded once, by the reconciler, in the transaction that applies them', async () => {
    await refuseAuditEntries(false);
    system.startProcessing();
    const funding = await op('POST', `/v1/admin/tenants/${tenant.id}/fundings`, {
      currency: 'INR',
      amount: 12_345,
      reference: 'audited-funding',
    });
    expect(funding.status).toBe(201);
    const fundings = (await recorded('wallet.fund')).filter((a) => a.params?.reference === 'audited-funding');
    expect(fundings).toEqual([
      expect.objectContaining({
        actor: expect.stringMatching(/^key_/),
        target: tenant.id,
        params: { currency: 'INR', amount: 12_345, reference: 'audited-funding' },
        result: { outcome: 'applied', funded: true, released: 0 },
      }),
    ]);

    const poor = await createFundedTenant(system, 'audited-poor', 0);
    const waiting = await poor.api('POST', '/v1/payouts', inrPayout({ queue_if_low_balance: true }), {
      'idempotency-key': 'audited-wait',
    });
    await waitFor(
      async () => (await poor.api('GET', `/v1/payouts/${waiting.body.id}`)).body.status === 'queued' || undefined,
      { message: 'the payout to wait for funds' },
    );
    expect((await op('POST', `/v1/admin/payouts/${waiting.body.id}/cancel`)).status).toBe(200);
    const cancels = (await recorded('payout.cancel')).filter((a) => a.target === waiting.body.id);
    expect(cancels).toEqual([expect.objectContaining({ result: { outcome: 'applied', status: 'cancelled' } })]);
  });
});
