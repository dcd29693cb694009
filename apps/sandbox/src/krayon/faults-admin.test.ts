import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type KrayonTestClient, startKrayon, toAccount, withdrawalBody } from '../../test/krayon/test-support.ts';
import { DEFAULT_PROVIDER_CONFIG } from '../common/config.ts';
import { seededRandom } from '../common/random.ts';

let client: KrayonTestClient;

beforeAll(async () => {
  client = await startKrayon();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

describe('fault injection', () => {
  test('a 5xx share answers 503 before anything is created, whatever the credentials', async () => {
    await client.admin.patchConfig({ http5xxShare: 1 });
    const res = await client.create(withdrawalBody());
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', field: null });
    expect((await client.create(withdrawalBody(), { auth: null })).status).toBe(503);
    expect((await client.get('0'.repeat(32))).status).toBe(503);
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('a 429 share answers with Retry-After and creates nothing', async () => {
    await client.admin.patchConfig({ http429Share: 1, retryAfterSeconds: 7 });
    const res = await client.create(withdrawalBody());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.body.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await client.admin.payouts()).toHaveLength(0);

    await client.admin.patchConfig({ http429Share: 0 });
    expect((await client.create(withdrawalBody())).status).toBe(200);
  });

  test('timeout after commit: no answer, yet the withdrawal exists; a lookup by reference finds it', async () => {
    await client.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 20_000 });
    const before = await client.admin.balance();
    const body = withdrawalBody({ reference_id: 'po_hung_1' });
    await expect(client.create(body, { signal: AbortSignal.timeout(300) })).rejects.toThrow();

    const payouts = await client.admin.payouts();
    expect(payouts).toHaveLength(1);
    expect(payouts[0]).toMatchObject({ reference: 'po_hung_1', idempotency_key: null });
    expect(await client.admin.balance()).toBe(before - 50500);

    await client.admin.patchConfig({ timeoutAfterCommitShare: 0 });
    const found = await client.list({ reference_id: 'po_hung_1' });
    expect(found.body.data.map((d) => d.id)).toEqual([payouts[0]!.id]);
    // A blind resubmission is refused, never a second withdrawal.
    const retry = await client.create(body);
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('DUPLICATE_REFERENCE_ID');
    expect(await client.admin.payouts()).toHaveLength(1);
  });

  test('a held request is dropped after hangMs without an answer', async () => {
    await client.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 50 });
    await expect(client.create(withdrawalBody())).rejects.toThrow();
    expect(await client.admin.payouts()).toHaveLength(1);
  });

  test('latency delays the answer by at least latencyMs', async () => {
    await client.admin.patchConfig({ latencyMs: 150 });
    const started = performance.now();
    const res = await client.get('0'.repeat(32));
    expect(res.status).toBe(404);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  test('a seeded random source makes fault injection repeatable', async () => {
    const statuses = async (seed: number) => {
      const sandbox = await startKrayon({ random: seededRandom(seed), krayon: { config: { http5xxShare: 0.5 } } });
      try {
        const seen: number[] = [];
        for (let i = 0; i < 12; i++) seen.push((await sandbox.get('0'.repeat(32))).status);
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
  test('config reads back patches, and reset restores the starting configuration and forgets withdrawals', async () => {
    const start = (await client.admin.config()).body;
    expect(start).toEqual({ ...DEFAULT_PROVIDER_CONFIG, progressDelayMs: 20 });

    const patched = await client.admin.patchConfig({ latencyMs: 5, failureShare: 0.25 });
    expect(patched.body).toMatchObject({ latencyMs: 5, failureShare: 0.25, progressDelayMs: 20 });
    const used = withdrawalBody();
    await client.created(used);

    expect((await client.admin.reset()).status).toBe(200);
    expect((await client.admin.config()).body).toEqual(start);
    expect(await client.admin.payouts()).toHaveLength(0);
    // References are forgotten too.
    expect((await client.create(used)).status).toBe(200);
  });

  test('reset cancels progress scheduled before it', async () => {
    await client.admin.patchConfig({ progressDelayMs: 100 });
    await client.created(toAccount('9876540001'));
    await client.admin.reset();
    const before = await client.admin.balance();
    // Scheduled later with a longer delay: once it settles, the failure (and refund) from before
    // the reset would have run.
    await client.admin.patchConfig({ progressDelayMs: 150 });
    const witness = await client.created(toAccount('1111111111', { amount: '100' }));
    await client.waitForStatus(witness.id, 'COMPLETED');
    expect(await client.admin.balance()).toBe(before - 10000 - 500);
  });

  test('the admin list counts every withdrawal in creation order with its reference and no key', async () => {
    const refs = ['po_a', 'po_b', 'po_c'];
    const ids: string[] = [];
    for (const reference_id of refs) ids.push((await client.created(withdrawalBody({ reference_id }))).id);
    const listed = await client.admin.payouts();
    expect(listed.map((p) => [p.id, p.reference, p.idempotency_key])).toEqual(ids.map((id, i) => [id, refs[i], null]));
    expect(listed[0]).toMatchObject({
      status: expect.stringMatching(/^(PENDING|PROCESSING|COMPLETED)$/),
      amount: 50000,
      currency: 'INR',
      created_at: expect.any(Number),
      payout: { id: ids[0], type: 'WITHDRAWAL', reference_id: 'po_a' },
    });
  });

  test('the healthz route lists krayon', async () => {
    const res = await fetch(`${client.sandbox.url}/healthz`);
    expect(((await res.json()) as { providers: string[] }).providers).toContain('krayon');
  });
});
