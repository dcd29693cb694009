import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type KrayonTestClient, startKrayon, toAccount, withdrawalBody } from '../../test/krayon/test-support.ts';

let client: KrayonTestClient;

beforeAll(async () => {
  client = await startKrayon();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

/** What a withdrawal takes from the balance: the amount plus the flat ₹5 fee (fees.ts). */
const cost = (paise: number) => paise + 500;

describe('balance (paise)', () => {
  test('a withdrawal the balance cannot cover is a 400 INSUFFICIENT_BALANCE and creates nothing', async () => {
    await client.admin.setBalance(cost(50000) - 1);
    const body = withdrawalBody();
    const res = await client.create(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: {
        code: 'INSUFFICIENT_BALANCE',
        message: 'The organization balance cannot cover the amount and the payment fee.',
        field: null,
      },
    });
    expect(await client.admin.payouts()).toHaveLength(0);
    expect(await client.admin.balance()).toBe(cost(50000) - 1);

    // Nothing was created, so the reference is still free: the same request succeeds once funded.
    const topUp = await client.admin.setBalance(cost(50000));
    expect(topUp.body).toEqual({ balance: cost(50000), released: [] });
    expect((await client.create(body)).status).toBe(200);
    expect(await client.admin.balance()).toBe(0);
  });

  test('the fee counts: the amount alone is not enough', async () => {
    await client.admin.setBalance(50000);
    expect((await client.create(withdrawalBody())).body.error.code).toBe('INSUFFICIENT_BALANCE');
  });

  test('validation comes before the balance, and a duplicate reference before both', async () => {
    const first = withdrawalBody();
    await client.created(first);
    await client.admin.setBalance(0);
    expect((await client.create(withdrawalBody({ currency: 'USD' }))).body.error.code).toBe('VALIDATION_ERROR');
    expect((await client.create(first)).body.error.code).toBe('DUPLICATE_REFERENCE_ID');
  });

  test('nothing is queued: a top-up releases nothing', async () => {
    await client.admin.setBalance(0);
    await client.create(withdrawalBody());
    const res = await client.admin.setBalance(1_000_000);
    expect(res.body.released).toEqual([]);
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('a failed withdrawal refunds amount and fee, which funds the next one', async () => {
    await client.admin.setBalance(cost(50000));
    // Held, so nothing moves until the admin API fails it: no race with the automatic steps.
    const failing = await client.created(toAccount('9876540003'));
    expect(await client.admin.balance()).toBe(0);
    expect((await client.create(toAccount('1111111111'))).status).toBe(400);
    expect((await client.admin.forceStatus(failing.id, 'FAILED')).body).toMatchObject({ status: 'FAILED' });
    expect(await client.admin.balance()).toBe(cost(50000));
    const next = await client.created(toAccount('1111111111'));
    await client.waitForStatus(next.id, 'COMPLETED');
    expect(await client.admin.balance()).toBe(0);
  });

  test('a balance set through PATCH config is the balance withdrawals draw on', async () => {
    await client.admin.patchConfig({ balance: cost(100) });
    await client.created(withdrawalBody({ amount: '1' }));
    expect(await client.admin.balance()).toBe(0);
  });
});
