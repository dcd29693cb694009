import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { payoutBody, type RazorpayXTestClient, startRazorpayX } from '../../test/razorpayx/test-support.ts';
import { DEFAULT_PROVIDER_CONFIG } from '../common/config.ts';
import { seededRandom } from '../common/random.ts';

let client: RazorpayXTestClient;

beforeAll(async () => {
  client = await startRazorpayX();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

describe('fault injection', () => {
  test('a 5xx share answers 503 before anything is created, whatever the credentials', async () => {
    await client.admin.patchConfig({ http5xxShare: 1 });
    const res = await client.create(payoutBody());
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'SERVER_ERROR' });
    expect((await client.create(payoutBody(), { auth: null })).status).toBe(503);
    expect((await client.get('pout_00000000000000')).status).toBe(503);
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('a 429 share answers with Retry-After and creates nothing', async () => {
    await client.admin.patchConfig({ http429Share: 1, retryAfterSeconds: 7 });
    const res = await client.create(payoutBody());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.body.error).toMatchObject({ code: 'BAD_REQUEST_ERROR' });
    expect(await client.admin.payouts()).toHaveLength(0);

    await client.admin.patchConfig({ http429Share: 0 });
    expect((await client.create(payoutBody())).status).toBe(200);
  });

  test('timeout after commit: the client gets no answer, yet the payout exists and a retry finds it', async () => {
    await client.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 20_000 });
    const key = randomUUID();
    const body = payoutBody({ reference_id: 'hung-1' });
    await expect(client.create(body, { key, signal: AbortSignal.timeout(300) })).rejects.toThrow();

    const payouts = await client.admin.payouts();
    expect(payouts).toHaveLength(1);
    expect(payouts[0]).toMatchObject({ idempotency_key: key, reference: 'hung-1' });

    await client.admin.patchConfig({ timeoutAfterCommitShare: 0 });
    const retry = await client.create(body, { key });
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(payouts[0]!.id);
    expect(await client.admin.payouts()).toHaveLength(1);
  });

  test('a held request is dropped after hangMs without an answer', async () => {
    await client.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 50 });
    await expect(client.create(payoutBody())).rejects.toThrow();
    expect(await client.admin.payouts()).toHaveLength(1);
  });

  test('latency delays the answer by at least latencyMs', async () => {
    await client.admin.patchConfig({ latencyMs: 150 });
    const started = performance.now();
    const res = await client.get('pout_00000000000000');
    expect(res.status).toBe(404);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  test('a seeded random source makes fault injection repeatable', async () => {
    const statuses = async (seed: number) => {
      const sandbox = await startRazorpayX({
        random: seededRandom(seed),
        razorpayx: { config: { http5xxShare: 0.5 } },
      });
      try {
        const seen: number[] = [];
        for (let i = 0; i < 12; i++) seen.push((await sandbox.get('pout_00000000000000')).status);
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
    await client.admin.patchConfig({ progressDelayMs: 100 });
    await client.created(payoutBody({ fund_account_id: 'fa_00000000000001' }));
    await client.admin.reset();
    const before = await client.admin.balance();
    // Scheduled later with a longer delay: once it settles, the failure (and refund) from before
    // the reset would have run.
    await client.admin.patchConfig({ progressDelayMs: 150 });
    const witness = await client.created(payoutBody({ amount: 50000 }));
    await client.waitForStatus(witness.id, 'processed');
    expect(await client.admin.balance()).toBe(before - 50000 - 590);
  });

  test.each([
    [{ http5xxShare: 1.5 }],
    [{ latencyMs: -1 }],
    [{ balance: 10.5 }],
    [{ retryAfterSeconds: 'soon' }],
    [{ unknownKnob: 1 }],
    [[]],
  ])('PATCH config with %j is a 400 and changes nothing', async (patch) => {
    const before = (await client.admin.config()).body;
    const res = await client.admin.patchConfig(patch);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'invalid_request' } });
    expect((await client.admin.config()).body).toEqual(before);
  });

  test.each([[-1], ['100'], [1.5], [undefined]])('a balance of %j is a 400', async (amount) => {
    const res = await client.admin.setBalance(amount);
    expect(res.status).toBe(400);
  });

  test('an unknown provider is a 404', async () => {
    const res = await fetch(`${client.sandbox.url}/_admin/paypal/config`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'unknown_provider' } });
  });

  test('the admin list counts every payout in creation order with its key', async () => {
    const keys = [randomUUID(), randomUUID(), randomUUID()];
    const ids: string[] = [];
    for (const key of keys) ids.push((await client.created(payoutBody({ reference_id: 'same-ref' }), key)).id);
    const listed = await client.admin.payouts();
    expect(listed.map((p) => [p.id, p.idempotency_key])).toEqual(ids.map((id, i) => [id, keys[i]]));
    expect(listed[0]).toMatchObject({ amount: 1000000, currency: 'INR', payout: { id: ids[0], entity: 'payout' } });
  });
});
