import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  ACCOUNT,
  accountEnding,
  type DruoTestClient,
  payoutBody,
  startDruo,
  TENANT_ID,
} from '../../test/druo/test-support.ts';
import { ManualScheduler } from '../common/manual-scheduler.ts';

let client: DruoTestClient;

beforeAll(async () => {
  client = await startDruo();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('create', () => {
  test("answers 200 with the page's {payout} transaction, PENDING, fee charged at once", async () => {
    const before = client.balance('USD');
    const res = await client.create(
      payoutBody({
        description: 'This is a payout 123',
        primary_reference: 'primary 123',
        secondary_reference: 'secondary 123',
        metadata: { key1: 'value1', key2: 'value2', key3: 'value3' },
      }),
    );
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['payout']);
    expect(res.body.payout).toEqual({
      uuid: expect.stringMatching(/^trx_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      code: expect.stringMatching(/^[A-Z0-9]{10}$/),
      status: 'PENDING',
      remarks: null,
      tenant: { uuid: TENANT_ID },
      creation_source: 'MERCHANT_API',
      destination_account: { uuid: ACCOUNT },
      type: 'PAYOUT',
      amount: 20000,
      currency: { code: 'USD' },
      description: 'This is a payout 123',
      primary_reference: 'primary 123',
      secondary_reference: 'secondary 123',
      metadata: { key1: 'value1', key2: 'value2', key3: 'value3' },
      decline_reason: null,
      date_created_gmt: expect.stringMatching(ISO),
      date_updated_gmt: expect.stringMatching(ISO),
      // The page's example: 20000 → variable_fee 400, net_amount 20400.
      net_amount: 20400,
      fixed_fee: 0,
      total_fee: 400,
      variable_fee: 400,
    });
    expect(client.balance('USD')).toBe(before - 20400);
    expect(client.balance('COP')).toBe(before);
  });

  test('absent optional fields come back null', async () => {
    const payout = await client.created(payoutBody());
    expect(payout).toMatchObject({
      description: null,
      primary_reference: null,
      secondary_reference: null,
      metadata: null,
    });
  });

  test.each([
    [1, 1],
    [49, 1],
    [50, 1],
    [51, 2],
    [20000, 400],
    [123456789, 2469136],
  ])('amount %i pays a 2%% variable fee rounded up: %i', async (amount, fee) => {
    const payout = await client.created(payoutBody({ amount, currency: 'COP' }));
    expect(payout).toMatchObject({ fixed_fee: 0, variable_fee: fee, total_fee: fee, net_amount: amount + fee });
  });
});

describe('no idempotency', () => {
  test('the same body sent twice creates two transactions: a blind retry WOULD pay twice', async () => {
    const body = payoutBody({ primary_reference: 'po_01JD3M5Q8ZK2V7W9X4Y6T0R1SA' });
    const first = await client.created(body);
    const second = await client.created(body);
    expect(second.uuid).not.toBe(first.uuid);
    expect(second.code).not.toBe(first.code);

    const payouts = await client.admin.payouts();
    expect(payouts.map((p) => [p.id, p.reference, p.idempotency_key])).toEqual([
      [first.uuid, 'po_01JD3M5Q8ZK2V7W9X4Y6T0R1SA', null],
      [second.uuid, 'po_01JD3M5Q8ZK2V7W9X4Y6T0R1SA', null],
    ]);
  });

  test('which is why the engine looks up by primary_reference first: it finds the transaction', async () => {
    const first = await client.created(payoutBody({ primary_reference: 'po_lookup_first' }));
    const res = await client.list({ primary_reference: 'po_lookup_first' });
    expect(res.status).toBe(200);
    expect(res.body.payouts.map((p) => p.uuid)).toEqual([first.uuid]);
  });
});

describe('lookups', () => {
  test('by uuid answers {payout}, in its current state', async () => {
    const created = await client.created(payoutBody());
    const res = await client.get(created.uuid);
    expect(res.status).toBe(200);
    expect(res.body.payout).toMatchObject({ uuid: created.uuid, code: created.code, amount: 20000 });
  });

  test('an unknown uuid is a 404 NOT_FOUND', async () => {
    const res = await client.get('trx_00000000-0000-0000-0000-000000000000');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Payout not found', field: null } });
  });

  test('an unknown route is a 404 in the same format', async () => {
    const res = await fetch(`${client.base}/v1/payouts`, { headers: client.headers() });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  test('lists by primary_reference, newest first; by secondary_reference too', async () => {
    const a1 = await client.created(payoutBody({ primary_reference: 'ref-a', secondary_reference: 'client-1' }));
    await client.created(payoutBody({ primary_reference: 'ref-b', secondary_reference: 'client-1' }));
    const a2 = await client.created(payoutBody({ primary_reference: 'ref-a' }));

    const byPrimary = await client.list({ primary_reference: 'ref-a' });
    expect(byPrimary.body.payouts.map((p) => p.uuid)).toEqual([a2.uuid, a1.uuid]);
    expect((await client.list({ secondary_reference: 'client-1' })).body.payouts).toHaveLength(2);
    expect((await client.list({ primary_reference: 'ref-z' })).body).toEqual({ payouts: [] });
  });
});

describe('progress and test accounts', () => {
  // Each step (PENDING → PROCESSING → SUCCESSFUL) is pinned by the manual-scheduler test below;
  // over real timers only settled states are waited for, so no test races a 20 ms step.
  test('an ordinary payout ends SUCCESSFUL, its fee kept and date_updated_gmt moved on', async () => {
    const before = client.balance('USD');
    const payout = await client.created(payoutBody());
    const done = await client.waitForStatus(payout.uuid, 'SUCCESSFUL');
    expect(done).toMatchObject({ remarks: null, decline_reason: null, total_fee: 400, net_amount: 20400 });
    expect(done.date_created_gmt).toBe(payout.date_created_gmt);
    expect(Date.parse(done.date_updated_gmt)).toBeGreaterThanOrEqual(Date.parse(payout.date_created_gmt));
    expect(client.balance('USD')).toBe(before - 20400);
  });

  test('0001 fails at the beneficiary bank and amount + fee are refunded', async () => {
    const before = client.balance('USD');
    const payout = await client.created(payoutBody({ destination_account_id: accountEnding('0001') }));
    const failed = await client.waitForStatus(payout.uuid, 'FAILED');
    expect(failed).toMatchObject({ remarks: 'REJECTED_BY_BENEFICIARY_BANK', decline_reason: null });
    expect(client.balance('USD')).toBe(before);
  });

  test('0002 is SUCCESSFUL, then REVERSED with amount + fee credited back', async () => {
    const before = client.balance('COP');
    const payout = await client.created(payoutBody({ destination_account_id: accountEnding('0002'), currency: 'COP' }));
    const reversed = await client.waitForStatus(payout.uuid, 'REVERSED');
    expect(reversed.remarks).toBe('RETURNED_BY_BENEFICIARY_BANK');
    expect(client.balance('COP')).toBe(before);
  });

  test('0003 stays PROCESSING until the admin API settles it', async () => {
    const before = client.balance('USD');
    const held = await client.created(payoutBody({ destination_account_id: accountEnding('0003') }));
    const heldToFail = await client.created(payoutBody({ destination_account_id: 'acc_9990003', amount: 5000 }));
    // Created after the held ones with the same delay: once it is SUCCESSFUL, theirs would have run.
    const witness = await client.created(payoutBody());
    await client.waitForStatus(witness.uuid, 'SUCCESSFUL');
    expect((await client.get(held.uuid)).body.payout.status).toBe('PROCESSING');
    expect((await client.get(heldToFail.uuid)).body.payout.status).toBe('PROCESSING');

    const forced = await client.admin.forceStatus(held.uuid, 'SUCCESSFUL');
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ uuid: held.uuid, status: 'SUCCESSFUL' });

    expect((await client.admin.forceStatus(heldToFail.uuid, 'FAILED')).body).toMatchObject({ status: 'FAILED' });
    // Held (20400) and witness (20400) paid; the forced failure refunded its 5100.
    expect(client.balance('USD')).toBe(before - 2 * 20400);

    // A reversal is legal only after SUCCESSFUL, and credits the money back.
    expect((await client.admin.forceStatus(heldToFail.uuid, 'REVERSED')).status).toBe(409);
    expect((await client.admin.forceStatus(held.uuid, 'REVERSED')).body).toMatchObject({ status: 'REVERSED' });
    expect(client.balance('USD')).toBe(before - 20400);
  });

  test('forcing an unknown payout, an unknown status or a step backwards is refused', async () => {
    expect((await client.admin.forceStatus('trx_nope', 'SUCCESSFUL')).status).toBe(404);
    const payout = await client.created(payoutBody({ destination_account_id: accountEnding('0003') }));
    expect((await client.admin.forceStatus(payout.uuid, 'processed')).status).toBe(400);
    expect((await client.admin.forceStatus(payout.uuid, 'DECLINED')).status).toBe(409);
    expect((await client.admin.forceStatus(payout.uuid, 'PENDING')).status).toBe(409);
  });

  test('configured shares fail or reverse ordinary payouts', async () => {
    await client.admin.patchConfig({ failureShare: 1 });
    const failing = await client.created(payoutBody());
    expect((await client.waitForStatus(failing.uuid, 'FAILED')).remarks).toBe('REJECTED_BY_BENEFICIARY_BANK');

    await client.admin.patchConfig({ failureShare: 0, reversalShare: 1 });
    const reversing = await client.created(payoutBody());
    await client.waitForStatus(reversing.uuid, 'REVERSED');
  });

  test('a manual scheduler moves payouts only when advanced', async () => {
    const scheduler = new ManualScheduler();
    const manual = await startDruo({ scheduler, druo: { config: { progressDelayMs: 1000 } } });
    try {
      const ok = await manual.created(payoutBody());
      const reversing = await manual.created(
        payoutBody({ destination_account_id: accountEnding('0002'), currency: 'COP' }),
      );
      const failing = await manual.created(payoutBody({ destination_account_id: accountEnding('0001'), amount: 5000 }));
      const held = await manual.created(payoutBody({ destination_account_id: accountEnding('0003') }));
      const start = manual.sim.allBalances();
      const status = async (uuid: string) => (await manual.get(uuid)).body.payout.status;

      scheduler.advance(999);
      expect(await status(ok.uuid)).toBe('PENDING');
      scheduler.advance(1);
      for (const p of [ok, reversing, failing, held]) expect(await status(p.uuid)).toBe('PROCESSING');
      scheduler.advance(1000);
      expect(await status(ok.uuid)).toBe('SUCCESSFUL');
      expect(await status(reversing.uuid)).toBe('SUCCESSFUL');
      expect(await status(failing.uuid)).toBe('FAILED');
      // The failure refunded amount + fee; the reversal has not happened yet.
      expect(manual.sim.allBalances()).toEqual({ USD: start.USD + 5100, COP: start.COP });
      scheduler.advance(1000);
      expect(await status(reversing.uuid)).toBe('REVERSED');
      expect(manual.sim.allBalances()).toEqual({ USD: start.USD + 5100, COP: start.COP + 20400 });
      expect(await status(held.uuid)).toBe('PROCESSING');
      expect(scheduler.pending).toBe(0);
    } finally {
      await manual.sandbox.close();
    }
  });

  test('dates come from the injected clock', async () => {
    const now = Date.parse('2023-05-24T10:40:06.474Z');
    const timed = await startDruo({ now: () => now });
    try {
      const payout = await timed.created(payoutBody());
      expect(payout.date_created_gmt).toBe('2023-05-24T10:40:06.474Z');
      expect((await timed.admin.payouts())[0]?.created_at).toBe(Math.floor(now / 1000));
    } finally {
      await timed.sandbox.close();
    }
  });
});

describe('faults (DRUO only: the others refuse or queue what they cannot fund)', () => {
  test('a declined create can hang too: the decline exists, and moved no money', async () => {
    await client.admin.setBalance(0);
    await client.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 50 });
    await expect(client.create(payoutBody({ primary_reference: 'po_hung_2' }))).rejects.toThrow();
    expect(await client.admin.payouts()).toMatchObject([{ reference: 'po_hung_2', status: 'DECLINED' }]);
    expect(client.balance('USD')).toBe(0);
  });
});
