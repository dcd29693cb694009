import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startThaiGateway, type ThaiGatewayTestClient, withdrawBody } from '../../test/thai-gateway/test-support.ts';
import { DEFAULT_PROVIDER_CONFIG } from '../common/config.ts';
import { seededRandom } from '../common/random.ts';

let client: ThaiGatewayTestClient;

beforeAll(async () => {
  client = await startThaiGateway();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

describe('fault injection', () => {
  test('a 5xx share answers 503 before anything is created, whatever the credentials', async () => {
    await client.admin.patchConfig({ http5xxShare: 1 });
    const res = await client.create(withdrawBody());
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } });
    expect((await client.create(withdrawBody(), { apiKey: null })).status).toBe(503);
    expect((await client.get('w_1')).status).toBe(503);
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('a 429 share answers with Retry-After and creates nothing', async () => {
    await client.admin.patchConfig({ http429Share: 1, retryAfterSeconds: 7 });
    const res = await client.create(withdrawBody());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } });
    expect(await client.admin.payouts()).toHaveLength(0);

    await client.admin.patchConfig({ http429Share: 0 });
    expect((await client.create(withdrawBody())).status).toBe(201);
  });

  test('timeout after commit: the client gets no answer, yet the withdraw exists and a retry finds it', async () => {
    await client.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 20_000 });
    const body = withdrawBody({ referenceId: 'hung-1' });
    await expect(client.create(body, { signal: AbortSignal.timeout(300) })).rejects.toThrow();

    const payouts = await client.admin.payouts();
    expect(payouts).toHaveLength(1);
    expect(payouts[0]).toMatchObject({ idempotency_key: body.idempotencyKey, reference: 'hung-1' });

    await client.admin.patchConfig({ timeoutAfterCommitShare: 0 });
    const retry = await client.create(body);
    expect(retry.status).toBe(201);
    expect(retry.body.data.id).toBe(payouts[0]!.id);
    expect(await client.admin.payouts()).toHaveLength(1);
    // A lookup by reference finds it too, which is how the engine resolves an unknown outcome.
    expect((await client.list({ referenceId: 'hung-1' })).body.data.map((w) => w.id)).toEqual([payouts[0]!.id]);
  });

  test('a held request is dropped after hangMs without an answer', async () => {
    await client.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 50 });
    await expect(client.create(withdrawBody())).rejects.toThrow();
    expect(await client.admin.payouts()).toHaveLength(1);
  });

  test('latency delays the answer by at least latencyMs', async () => {
    await client.admin.patchConfig({ latencyMs: 150 });
    const started = performance.now();
    const res = await client.get('w_1');
    expect(res.status).toBe(404);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  test('a seeded random source makes fault injection repeatable', async () => {
    const statuses = async (seed: number) => {
      const sandbox = await startThaiGateway({
        random: seededRandom(seed),
        thaiGateway: { config: { http5xxShare: 0.5 } },
      });
      try {
        const seen: number[] = [];
        for (let i = 0; i < 12; i++) seen.push((await sandbox.get('w_1')).status);
        return seen;
      } finally {
        await sandbox.sandbox.close();
      }
    };
    const first = await statuses(42);
    expect(await statuses(42)).toEqual(first);
    expect(first).toContain(503);
    expect(first).toContain(404);
  });
});

describe('admin API', () => {
  test('config reads back patches, and reset restores the starting configuration and forgets withdraws', async () => {
    const start = (await client.admin.config()).body;
    expect(start).toEqual({ ...DEFAULT_PROVIDER_CONFIG, progressDelayMs: 20 });

    const patched = await client.admin.patchConfig({ latencyMs: 5, failureShare: 0.25 });
    expect(patched.body).toMatchObject({ latencyMs: 5, failureShare: 0.25, progressDelayMs: 20 });
    const body = withdrawBody();
    await client.created(body);

    expect((await client.admin.reset()).status).toBe(200);
    expect((await client.admin.config()).body).toEqual(start);
    expect(await client.admin.payouts()).toHaveLength(0);
    // Keys and references are forgotten too.
    expect((await client.create(body)).status).toBe(201);
    expect(await client.admin.payouts()).toHaveLength(1);
  });

  test('reset cancels progress scheduled before it', async () => {
    await client.admin.patchConfig({ progressDelayMs: 100 });
    await client.created(withdrawBody({ customerBankAccountNumber: '9876540001' }));
    await client.admin.reset();
    const before = await client.admin.balance();
    // Scheduled later with a longer delay: once it settles, the failure (and refund) from before
    // the reset would have run.
    await client.admin.patchConfig({ progressDelayMs: 150 });
    const witness = await client.created(withdrawBody({ amount: '500.00' }));
    await client.waitForStatus(witness.id, 'completed');
    expect(await client.admin.balance()).toBe(before - 50000);
  });

  test('the admin list counts every withdraw in creation order with its reference and key', async () => {
    const bodies = [withdrawBody(), withdrawBody(), withdrawBody()];
    const ids: string[] = [];
    for (const body of bodies) ids.push((await client.created(body)).id);
    const listed = await client.admin.payouts();
    expect(listed.map((p) => [p.id, p.reference, p.idempotency_key])).toEqual(
      ids.map((id, i) => [id, bodies[i]!.referenceId, bodies[i]!.idempotencyKey]),
    );
    expect(listed[0]).toMatchObject({
      amount: 100000,
      currency: 'THB',
      created_at: expect.any(Number),
      payout: { id: ids[0], bankAccountNumber: '1234****7890' },
    });
  });

  test('the provider is listed on /healthz and mounted at /thai-gateway', async () => {
    const res = await fetch(`${client.sandbox.url}/healthz`);
    expect(((await res.json()) as { providers: string[] }).providers).toContain('thai-gateway');
    expect(client.sandbox.state.thaiGateway.id).toBe('thai-gateway');
  });
});
