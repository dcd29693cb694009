import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { payoutBody, type RazorpayXTestClient, startRazorpayX } from '../../test/razorpayx/test-support.ts';

let client: RazorpayXTestClient;

beforeAll(async () => {
  client = await startRazorpayX();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

/** amount + fees + tax, what a payout takes from the balance (see fees.ts). */
const cost = (amount: number) => amount + (amount <= 100_000 ? 590 : amount <= 2_500_000 ? 1180 : 2950);

describe('low balance without queue_if_low_balance', () => {
  test('is a 400 insufficient_balance and creates nothing', async () => {
    await client.admin.setBalance(cost(50000) - 1);
    const key = randomUUID();
    const res = await client.create(payoutBody({ amount: 50000, queue_if_low_balance: false }), { key });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: {
        code: 'BAD_REQUEST_ERROR',
        description: 'Your account does not have enough balance to carry out the payout operation.',
        source: 'business',
        step: 'payout_initiation',
        reason: 'insufficient_balance',
        metadata: {},
        field: null,
      },
    });
    expect(await client.admin.payouts()).toHaveLength(0);
    expect(await client.admin.balance()).toBe(cost(50000) - 1);

    // Nothing was created, so the key is free: the same request succeeds once funded.
    await client.admin.setBalance(cost(50000));
    const retry = await client.create(payoutBody({ amount: 50000, queue_if_low_balance: false }), { key });
    expect(retry.status).toBe(200);
    expect(await client.admin.balance()).toBe(0);
  });

  test('an omitted flag counts as false', async () => {
    await client.admin.setBalance(0);
    const res = await client.create(payoutBody({ queue_if_low_balance: undefined }));
    expect(res.body.error.reason).toBe('insufficient_balance');
  });
});

describe('low balance with queue_if_low_balance', () => {
  test('queues without a debit, and a top-up releases first-in-first-out, skipping what does not fit', async () => {
    await client.admin.setBalance(0);
    const a = await client.created(payoutBody({ amount: 100000 }));
    const b = await client.created(payoutBody({ amount: 2000000 }));
    const c = await client.created(payoutBody({ amount: 50000 }));
    for (const p of [a, b, c]) {
      expect(p).toMatchObject({
        status: 'queued',
        fees: null,
        tax: null,
        status_details: { source: 'internal', reason: 'low_balance', description: 'Payout queued due to low balance' },
      });
    }
    expect(await client.admin.balance()).toBe(0);

    // Enough for A, or for C, not both: the older one goes first.
    const first = await client.admin.setBalance(cost(100000) + cost(50000) - 1);
    expect(first.body.released).toEqual([a.id]);
    expect((await client.get(c.id)).body.status).toBe('queued');

    // B does not fit in what is left plus the top-up; C behind it does.
    const second = await client.admin.setBalance(cost(50000) + 1000);
    expect(second.body).toEqual({ balance: 1000, released: [c.id] });
    expect((await client.get(b.id)).body.status).toBe('queued');
    // Released: funded, fees charged, out of the queue. It may already have taken its next 20 ms
    // step by the time we look, so either in-progress state proves the release.
    const released = await client.get(c.id);
    expect(['processing', 'processed']).toContain(released.body.status);
    expect(released.body).toMatchObject({ fees: 590, tax: 90, status_details: null });
    await client.waitForStatus(c.id, 'processed');

    const third = await client.admin.setBalance(cost(2000000));
    expect(third.body).toEqual({ balance: 0, released: [b.id] });
    await client.waitForStatus(b.id, 'processed');
  });

  test('a balance set through PATCH config releases the queue too', async () => {
    await client.admin.setBalance(0);
    const queued = await client.created(payoutBody({ amount: 50000 }));
    const res = await client.admin.patchConfig({ balance: cost(50000) });
    expect(res.body.balance).toBe(0);
    await client.waitForStatus(queued.id, 'processed');
  });

  test('a failed payout refunds into the queue', async () => {
    // Slow steps, so the failing payout still holds the balance when the second one arrives.
    await client.admin.patchConfig({ progressDelayMs: 400 });
    await client.admin.setBalance(cost(1000000));
    const failing = await client.created(payoutBody({ fund_account_id: 'fa_00000000000001' }));
    const waiting = await client.created(payoutBody());
    expect(waiting.status).toBe('queued');
    await client.waitForStatus(failing.id, 'failed');
    await client.waitForStatus(waiting.id, 'processed');
    expect(await client.admin.balance()).toBe(0);
  });

  test('an admin can force a queued payout into processing only when the balance covers it', async () => {
    await client.admin.setBalance(0);
    const queued = await client.created(payoutBody({ amount: 50000 }));
    const refused = await client.admin.forceStatus(queued.id, 'processing');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'insufficient_balance' } });
  });
});

describe('cancel', () => {
  test('a queued payout can be cancelled, and is never released afterwards', async () => {
    await client.admin.setBalance(0);
    const queued = await client.created(payoutBody({ amount: 50000 }));
    const res = await client.cancel(queued.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: queued.id, status: 'cancelled', fees: null });

    const topUp = await client.admin.setBalance(1_000_000);
    expect(topUp.body.released).toEqual([]);
    expect((await client.get(queued.id)).body.status).toBe('cancelled');
    expect(await client.admin.balance()).toBe(1_000_000);
  });

  test.each(['processing', 'cancelled'])('a %s payout cannot be cancelled', async (state) => {
    if (state === 'cancelled') await client.admin.setBalance(0);
    const payout = await client.created(payoutBody({ fund_account_id: 'fa_00000000000003' }));
    if (state === 'cancelled') expect((await client.cancel(payout.id)).status).toBe(200);
    const res = await client.cancel(payout.id);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'BAD_REQUEST_ERROR',
      description: 'Only queued payouts can be cancelled',
      reason: 'invalid_state',
    });
    expect((await client.get(payout.id)).body.status).toBe(state);
  });

  test('an unknown payout is a 404', async () => {
    const res = await client.cancel('pout_00000000000000');
    expect(res.status).toBe(404);
    expect(res.body.error.description).toBe('The id provided does not exist');
  });
});
