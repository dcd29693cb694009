import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { accountEnding, type DruoTestClient, payoutBody, startDruo } from '../../test/druo/test-support.ts';
import { DEFAULT_PROVIDER_CONFIG } from '../common/config.ts';

let client: DruoTestClient;

beforeAll(async () => {
  client = await startDruo();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

/** What a payout takes from the balance: amount + 2% rounded up (fees.ts). */
const cost = (amount: number) => amount + Math.ceil((amount * 2) / 100);

describe('balances per currency', () => {
  test('start at the configured balance in every currency, and move independently', async () => {
    expect(client.sim.allBalances()).toEqual({
      USD: DEFAULT_PROVIDER_CONFIG.balance,
      COP: DEFAULT_PROVIDER_CONFIG.balance,
    });
    await client.created(payoutBody({ amount: 20000, currency: 'COP' }));
    expect(client.sim.allBalances()).toEqual({
      USD: DEFAULT_PROVIDER_CONFIG.balance,
      COP: DEFAULT_PROVIDER_CONFIG.balance - 20400,
    });
  });

  test('the admin balance sets every currency; the simulator can set one; reset restores the start', async () => {
    const res = await client.admin.setBalance(5000);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ balance: 5000, released: [], balances: { USD: 5000, COP: 5000 } });
    expect((await client.admin.config()).body.balance).toBe(5000);

    expect(client.sim.setCurrencyBalance('COP', 0)).toEqual({ USD: 5000, COP: 0 });
    expect(() => client.sim.setCurrencyBalance('USD', -1)).toThrow(RangeError);

    await client.admin.reset();
    expect(client.sim.allBalances()).toEqual({
      USD: DEFAULT_PROVIDER_CONFIG.balance,
      COP: DEFAULT_PROVIDER_CONFIG.balance,
    });
  });

  test('a balance set through PATCH config sets every currency too', async () => {
    await client.admin.patchConfig({ balance: 777 });
    expect(client.sim.allBalances()).toEqual({ USD: 777, COP: 777 });
  });
});

describe('insufficient funds: the transaction is created DECLINED', () => {
  test('HTTP 200, DECLINED with decline_reason and remarks INSUFFICIENT_FUNDS, nothing debited or charged', async () => {
    await client.admin.setBalance(cost(20000) - 1);
    const res = await client.create(payoutBody({ primary_reference: 'po_short_of_funds' }));
    expect(res.status).toBe(200);
    expect(res.body.payout).toMatchObject({
      status: 'DECLINED',
      decline_reason: 'INSUFFICIENT_FUNDS',
      remarks: 'INSUFFICIENT_FUNDS',
      amount: 20000,
      net_amount: null,
      fixed_fee: null,
      variable_fee: null,
      total_fee: null,
      primary_reference: 'po_short_of_funds',
    });
    expect(client.balance('USD')).toBe(cost(20000) - 1);

    // A transaction exists (and is counted), with the reference the engine looks up by.
    expect(await client.admin.payouts()).toMatchObject([{ status: 'DECLINED', reference: 'po_short_of_funds' }]);
    expect((await client.list({ primary_reference: 'po_short_of_funds' })).body.payouts).toHaveLength(1);
  });

  test('a decline is final: it never progresses, even after a top-up', async () => {
    await client.admin.setBalance(0);
    const declined = await client.created(payoutBody());
    await client.admin.setBalance(1_000_000);
    const witness = await client.created(payoutBody());
    await client.waitForStatus(witness.uuid, 'SUCCESSFUL');
    expect((await client.get(declined.uuid)).body.payout.status).toBe('DECLINED');
    expect((await client.admin.forceStatus(declined.uuid, 'PROCESSING')).status).toBe(409);
  });

  test('after a top-up the same request (same primary_reference) is a new transaction that pays', async () => {
    await client.admin.setBalance(0);
    const body = payoutBody({ primary_reference: 'po_retry_after_topup' });
    const declined = await client.created(body);
    await client.admin.setBalance(cost(20000));
    const paid = await client.created(body);
    expect(paid.uuid).not.toBe(declined.uuid);
    await client.waitForStatus(paid.uuid, 'SUCCESSFUL');
    expect(client.balance('USD')).toBe(0);

    // Newest first: the live transaction, then the declined one the adapter skips.
    const listed = (await client.list({ primary_reference: 'po_retry_after_topup' })).body.payouts;
    expect(listed.map((p) => [p.uuid, p.status])).toEqual([
      [paid.uuid, 'SUCCESSFUL'],
      [declined.uuid, 'DECLINED'],
    ]);
  });

  test('an amount that fits only without the fee is declined; one that fits with it is not', async () => {
    await client.admin.setBalance(cost(20000));
    expect((await client.created(payoutBody({ amount: 20001 }))).status).toBe('DECLINED');
    expect((await client.created(payoutBody({ amount: 20000 }))).status).toBe('PENDING');
    expect(client.balance('USD')).toBe(0);
  });

  test('one currency short does not decline the other', async () => {
    client.sim.setCurrencyBalance('USD', 0);
    expect((await client.created(payoutBody({ currency: 'USD' }))).status).toBe('DECLINED');
    expect((await client.created(payoutBody({ currency: 'COP' }))).status).toBe('PENDING');
  });

  test('a failed payout refunds its currency, which can then fund the next', async () => {
    await client.admin.setBalance(cost(20000));
    // Held in PROCESSING (0003) so the decline below cannot race an automatic refund.
    const failing = await client.created(payoutBody({ destination_account_id: accountEnding('0003') }));
    expect((await client.created(payoutBody())).status).toBe('DECLINED');
    expect((await client.admin.forceStatus(failing.uuid, 'FAILED')).body).toMatchObject({ status: 'FAILED' });
    expect(client.balance('USD')).toBe(cost(20000));
    expect((await client.created(payoutBody())).status).toBe('PENDING');
  });
});
