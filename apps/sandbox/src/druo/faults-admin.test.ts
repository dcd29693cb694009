import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { accountEnding, type DruoTestClient, payoutBody, startDruo } from '../../test/druo/test-support.ts';
import { DEFAULT_PROVIDER_CONFIG } from '../common/config.ts';
import { seededRandom } from '../common/random.ts';

let client: DruoTestClient;

beforeAll(async () => {
  client = await startDruo();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

const UNKNOWN = 'trx_00000000-0000-0000-0000-000000000000';

describe('fault injection', () => {
  test('a 5xx share answers 503 before anything is created, whatever the credentials', async () => {
    await client.admin.patchConfig({ http5xxShare: 1 });
    const res = await client.create(payoutBody());
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect((await client.create(payoutBody(), { auth: null })).status).toBe(503);
    expect((await client.get(UNKNOWN)).status).toBe(503);
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('a 429 share answers with Retry-After and creates nothing', async () => {
    await client.admin.patchConfig({ http429Share: 1, retryAfterSeconds: 7 });
    const res = await client.create(payoutBody());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.body.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await client.admin.payouts()).toHaveLength(0);

    await client.admin.patchConfig({ http429Share: 0 });
    expect((await client.create(payoutBody())).status).toBe(200);
  });

  test('timeout after commit: no answer, yet the transaction exists and a lookup by reference finds it', async () => {
    await client.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 20_000 });
    const body = payoutBody({ primary_reference: 'po_hung_1' });
    await expect(client.create(body, { signal: AbortSignal.timeout(300) })).rejects.toThrow();

    const payouts = await client.admin.payouts();
    expect(payouts).toHaveLength(1);
    expect(payouts[0]).toMatchObject({ reference: 'po_hung_1', idempotency_key: null });
    expect(payouts[0]!.status).not.toBe('DECLINED');
    expect(client.balance('USD')).toBe(DEFAULT_PROVIDER_CONFIG.balance - 20400);

    await client.admin.patchConfig({ timeoutAfterCommitShare: 0 });
    const found = await client.list({ primary_reference: 'po_hung_1' });
    expect(found.body.payouts.map((p) => p.uuid)).toEqual([payouts[0]!.id]);

    // Without an idempotency key, resubmitting instead of looking up pays twice.
    expect((await client.create(body)).status).toBe(200);
    expect((await client.admin.payouts()).filter((p) => p.reference === 'po_hung_1')).toHaveLength(2);
  });

  test('a declined create can hang too: the decline exists, and moved no money', async () => {
    await client.admin.setBalance(0);
    await client.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 50 });
    await expect(client.create(payoutBody({ primary_reference: 'po_hung_2' }))).rejects.toThrow();
    expect(await client.admin.payouts()).toMatchObject([{ reference: 'po_hung_2', status: 'DECLINED' }]);
    expect(client.balance('USD')).toBe(0);
  });

  test('a held request is dropped after hangMs without an answer', async () => {
    await client.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 50 });
    await expect(client.create(payoutBody())).rejects.toThrow();
    expect(await client.admin.payouts()).toHaveLength(1);
  });

  test('latency delays the answer by at least latencyMs', async () => {
    await client.admin.patchConfig({ latencyMs: 150 });
    const started = performance.now();
    const res = await client.get(UNKNOWN);
    expect(res.status).toBe(404);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  test('a seeded random source makes fault injection repeatable', async () => {
    const statuses = async (seed: number) => {
      const sandbox = await startDruo({ random: seededRandom(seed), druo: { config: { http5xxShare: 0.5 } } });
      try {
        const seen: number[] = [];
        for (let i = 0; i < 12; i++) seen.push((await sandbox.get(UNKNOWN)).status);
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
  test('config reads back patches, and reset restores the starting configuration and forgets payouts', async () => {
    const start = (await client.admin.config()).body;
    expect(start).toEqual({ ...DEFAULT_PROVIDER_CONFIG, progressDelayMs: 20 });

    const patched = await client.admin.patchConfig({ latencyMs: 5, failureShare: 0.25 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ latencyMs: 5, failureShare: 0.25, progressDelayMs: 20 });
    await client.created(payoutBody());

    expect((await client.admin.reset()).status).toBe(200);
    expect((await client.admin.config()).body).toEqual(start);
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('reset cancels progress scheduled before it', async () => {
    await client.admin.patchConfig({ progressDelayMs: 50 });
    await client.created(payoutBody({ destination_account_id: accountEnding('0001') }));
    await client.admin.reset();
    const before = client.balance('USD');
    // Scheduled later with a longer delay: once it settles, the failure (and refund) from before
    // the reset would have run.
    await client.admin.patchConfig({ progressDelayMs: 80 });
    const witness = await client.created(payoutBody({ amount: 5000 }));
    await client.waitForStatus(witness.uuid, 'SUCCESSFUL');
    expect(client.balance('USD')).toBe(before - 5100);
  });

  test('the admin list counts every transaction in creation order, with its reference and no key', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client.created(payoutBody({ primary_reference: 'same-ref' }))).uuid);
    const listed = await client.admin.payouts();
    expect(listed.map((p) => [p.id, p.reference, p.idempotency_key])).toEqual(ids.map((id) => [id, 'same-ref', null]));
    expect(listed[0]).toMatchObject({
      amount: 20000,
      currency: 'USD',
      created_at: expect.any(Number),
      payout: { uuid: ids[0], type: 'PAYOUT' },
    });
  });

  test('healthz lists druo among the providers', async () => {
    const res = await fetch(`${client.sandbox.url}/healthz`);
    expect(((await res.json()) as { providers: string[] }).providers).toContain('druo');
  });
});
