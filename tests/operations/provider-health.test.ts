import { ProviderGate } from '@payouts/queue';
import { must, waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * GET /v1/admin/providers: what an operator reads before acting on a provider — its circuit, why
 * its submissions are held, the payouts parked for it, its downtimes now and to come, its queue
 * and its configured rate. Every answer is held to the OpenAPI document by the test client.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let op: ReturnType<typeof client>;

beforeAll(async () => {
  system = await startTestSystem({ env: { KRAYON_RATE_PER_SECOND: '7' } });
  tenant = await createFundedTenant(system, 'health', { THB: 10_000_000 });
  op = client(system.api.url, system.operatorKey);
});
afterAll(async () => {
  await system?.stop();
});

type Health = {
  provider: string;
  circuit: { state: string; reopens_at: string | null };
  gate_reasons: string[];
  parked: Record<string, number>;
  downtimes: { active: { id: string; modes: string[] }[]; upcoming: { id: string; modes: string[] }[] };
  queue: Record<string, number>;
  rate_per_second: number;
  rate_budget: {
    tokens: number;
    capacity: number;
    paused_until: string | null;
    waiting: Record<string, number>;
    granted: number;
    pauses: number;
  } | null;
  expected_float: { currency: string; funded: number; paid_out: number; amount: number }[];
};

async function health(provider: string): Promise<Health> {
  const res = await op('GET', '/v1/admin/providers');
  expect(res.status).toBe(200);
  return must(
    (res.body.data as Health[]).find((h) => h.provider === provider),
    `${provider} in the answer`,
  );
}

describe('GET /v1/admin/providers', () => {
  test('lists every provider, healthy at rest, with the rate its workers are configured for', async () => {
    const res = await op('GET', '/v1/admin/providers');
    expect(res.status).toBe(200);
    expect(res.body.data.map((h: Health) => h.provider)).toEqual(['razorpayx', 'krayon', 'thai-gateway', 'druo']);
    const krayon = await health('krayon');
    expect(krayon).toMatchObject({
      circuit: { state: 'closed', reopens_at: null },
      gate_reasons: [],
      parked: {},
      downtimes: { active: [], upcoming: [] },
      rate_per_second: 7,
    });
    expect(Object.keys(krayon.queue).sort()).toEqual(['active', 'delayed', 'failed', 'prioritized', 'waiting']);
    // The test system gives every other provider 1000 a second (the sandbox takes far more than a real provider).
    expect((await health('razorpayx')).rate_per_second).toBe(1000);
  });

  test('is for operators only: a tenant key is refused, and so is a query it does not take', async () => {
    const refused = await tenant.api('GET', '/v1/admin/providers');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body.code).toBe('forbidden');
    const unknown = await op('GET', '/v1/admin/providers?provider=krayon');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors.map((e: { field: string }) => e.field)).toContain('provider');
    expect((await client(system.api.url)('GET', '/v1/admin/providers')).status).toBe(401);
  });

  test('a provider short of float shows its gate reason and the payouts parked for it', async () => {
    await fetch(`${system.sandbox.url}/_admin/thai-gateway/balance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 0 }),
    });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await tenant.api(
        'POST',
        '/v1/payouts',
        {
          amount: 10_000 + i,
          currency: 'THB',
          method: 'bank_account',
          beneficiary: { name: 'John Doe', account_number: `12345678${i}5`, bank_code: '004' },
        },
        { 'idempotency-key': `health-float-${i}` },
      );
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    for (const id of ids) {
      await waitFor(async () => (await tenant.api('GET', `/v1/payouts/${id}`)).body.status === 'queued' || undefined, {
        message: `${id} parked`,
      });
    }
    const thai = await health('thai-gateway');
    expect(thai.gate_reasons).toEqual(['provider_low_balance']);
    expect(thai.parked).toEqual({ provider_low_balance: 2 });
    // The others are not touched by it.
    expect((await health('krayon')).gate_reasons).toEqual([]);

    // Funded again, and said so: the reason goes, the payouts leave the queue.
    await fetch(`${system.sandbox.url}/_admin/thai-gateway/balance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 1_000_000_000 }),
    });
    const funded = await op('POST', '/v1/admin/providers/thai-gateway/funded', {
      amount: 5_000_000,
      currency: 'THB',
      reference: 'health-float-topup',
    });
    expect(funded.status).toBe(201);
    await waitFor(async () => Object.keys((await health('thai-gateway')).parked).length === 0 || undefined, {
      message: 'the parked payouts released',
    });
    expect((await health('thai-gateway')).gate_reasons).toEqual([]);

    // The ledger's view of the float: the funding recorded, less what the provider paid out for us
    // once the two payouts settle (amounts, and fees where the provider states them).
    await waitFor(
      async () => {
        const all = await Promise.all(ids.map(async (id) => (await tenant.api('GET', `/v1/payouts/${id}`)).body));
        return all.every((p) => p.status === 'processed') ? all : undefined;
      },
      { message: 'both payouts processed' },
    );
    const [thb] = (await health('thai-gateway')).expected_float;
    expect(thb).toMatchObject({ currency: 'THB', funded: 5_000_000 });
    expect(thb?.paid_out).toBeGreaterThanOrEqual(10_000 + 10_001);
    expect(thb?.amount).toBe(5_000_000 - (thb?.paid_out ?? 0));
    // And its rate budget: the workers' calls were drawn from it.
    const budget = must((await health('thai-gateway')).rate_budget, 'the thai-gateway budget after its calls');
    expect(budget.granted).toBeGreaterThanOrEqual(2);
    expect(budget.capacity).toBeGreaterThanOrEqual(1);
    expect(budget.paused_until).toBeNull();
    expect(Object.keys(budget.waiting).sort()).toEqual([
      'batch_submit',
      'confirm',
      'poll',
      'reconcile',
      'submit',
      'watch',
    ]);
  });

  test('active and upcoming downtimes, each in its place; an ended one in neither', async () => {
    const now = Date.now();
    const active = await op(
      'POST',
      '/v1/admin/providers/krayon/downtime',
      {
        modes: ['IMPS'],
        starts_at: new Date(now - 60_000).toISOString(),
        ends_at: null,
      },
      { 'idempotency-key': 'health-active' },
    );
    expect(active.status).toBe(201);
    const upcoming = await op(
      'POST',
      '/v1/admin/providers/krayon/downtime',
      {
        modes: ['IMPS'],
        starts_at: new Date(now + 3600_000).toISOString(),
        ends_at: new Date(now + 7200_000).toISOString(),
      },
      { 'idempotency-key': 'health-upcoming' },
    );
    expect(upcoming.status).toBe(201);
    const krayon = await health('krayon');
    expect(krayon.downtimes.active.map((d) => [d.id, d.modes])).toEqual([[active.body.id, ['IMPS']]]);
    expect(krayon.downtimes.upcoming.map((d) => [d.id, d.modes])).toEqual([[upcoming.body.id, ['IMPS']]]);
    expect((await health('razorpayx')).downtimes).toEqual({ active: [], upcoming: [] });

    for (const d of [active, upcoming]) {
      expect((await op('POST', `/v1/admin/providers/krayon/downtimes/${d.body.id}/end`)).status).toBe(200);
    }
    expect((await health('krayon')).downtimes).toEqual({ active: [], upcoming: [] });
  });

  test("the circuit and the credentials gate as the workers share them, and the queue's jobs by state", async () => {
    // The workers' own gate, in the same Redis: a run of "provider is down" failures opens it.
    const gate = new ProviderGate(system.queues.connection, system.prefix, 'druo');
    let opened: number | null = null;
    for (let i = 0; i < 100 && opened === null; i++) opened = await gate.recordFailure();
    expect(opened).not.toBeNull();
    await gate.markCredentialsRejected();
    // A poll an hour from now: delayed in the provider's queue.
    await system.queues.provider('druo').add('poll', { payoutId: 'po_health_check' }, { delay: 3600_000 });

    const druo = await health('druo');
    expect(druo.circuit.state).toBe('open');
    expect(Date.parse(must(druo.circuit.reopens_at, 'reopens_at'))).toBeGreaterThan(Date.now() - 1000);
    expect(druo.gate_reasons).toEqual(['credentials_rejected']);
    expect(druo.queue.delayed).toBe(1);
    expect((await health('razorpayx')).circuit.state).toBe('closed');

    await gate.recordSuccess();
    await gate.clearCredentialsRejected();
    await system.queues.provider('druo').obliterate({ force: true });
    const after = await health('druo');
    expect(after.gate_reasons).toEqual([]);
    expect(after.queue.delayed).toBe(0);
  });
});
