import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startThaiGateway, type ThaiGatewayTestClient, withdrawBody } from '../../test/thai-gateway/test-support.ts';

let client: ThaiGatewayTestClient;

beforeAll(async () => {
  client = await startThaiGateway();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

describe('balance in satang, no provider-side queue', () => {
  test('a create the balance cannot cover is a 422 INSUFFICIENT_BALANCE and creates nothing', async () => {
    await client.admin.setBalance(100000 - 1);
    const body = withdrawBody({ amount: '1000.00' });
    const res = await client.create(body);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      success: false,
      error: { code: 'INSUFFICIENT_BALANCE', message: 'Merchant account has insufficient balance', metadata: {} },
    });
    expect(await client.admin.payouts()).toHaveLength(0);
    expect(await client.admin.balance()).toBe(100000 - 1);

    // Nothing was created, so neither the key nor the reference is taken: the same request
    // succeeds once funded.
    await client.admin.setBalance(100000);
    const retry = await client.create(body);
    expect(retry.status).toBe(201);
    expect(await client.admin.balance()).toBe(0);
  });

  test('the balance moves by the amount alone: no fees are documented, none are charged', async () => {
    await client.admin.setBalance(12345);
    const withdraw = await client.created(withdrawBody({ amount: '123.45' }));
    expect(await client.admin.balance()).toBe(0);
    await client.waitForStatus(withdraw.id, 'completed');
    expect(await client.admin.balance()).toBe(0);
  });

  test('setting the balance releases nothing (there is no queue)', async () => {
    await client.admin.setBalance(0);
    expect((await client.create(withdrawBody())).status).toBe(422);
    const res = await client.admin.setBalance(500000);
    expect(res.body).toEqual({ balance: 500000, released: [] });
    expect(await client.admin.payouts()).toHaveLength(0);
  });

  test('a failed withdraw credits its amount back, so the next create fits', async () => {
    await client.admin.setBalance(100000);
    // 0003 holds it in progress, so nothing refunds it before the admin says so.
    const failing = await client.created(withdrawBody({ customerBankAccountNumber: '9876540003' }));
    expect((await client.create(withdrawBody())).status).toBe(422);
    await client.waitForStatus(failing.id, 'processing');
    expect((await client.admin.forceStatus(failing.id, 'failed')).status).toBe(200);
    expect(await client.admin.balance()).toBe(100000);
    expect((await client.create(withdrawBody())).status).toBe(201);
  });

  test('a balance set through PATCH config is the one creates are checked against', async () => {
    await client.admin.patchConfig({ balance: 99 });
    expect((await client.create(withdrawBody({ amount: '1.00' }))).status).toBe(422);
    await client.admin.patchConfig({ balance: 100 });
    expect((await client.create(withdrawBody({ amount: '1.00' }))).status).toBe(201);
  });

  test('the admin list reports amounts in satang', async () => {
    await client.created(withdrawBody({ amount: '1000.00' }));
    expect((await client.admin.payouts())[0]).toMatchObject({ amount: 100000, currency: 'THB' });
  });
});
