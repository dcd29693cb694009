import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startThaiGateway, type ThaiGatewayTestClient, withdrawBody } from '../../test/thai-gateway/test-support.ts';
import { ManualScheduler } from '../common/manual-scheduler.ts';

let client: ThaiGatewayTestClient;

beforeAll(async () => {
  client = await startThaiGateway();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('create', () => {
  test("answers 201 with the page's withdraw object: pending, account number masked, amount debited", async () => {
    const before = await client.admin.balance();
    const body = withdrawBody();
    const res = await client.create(body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      success: true,
      data: {
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        amount: '1000.00',
        currency: 'THB',
        status: 'pending',
        referenceId: body.referenceId,
        destinationType: 'bank_account',
        bankAccountNumber: '1234****7890',
        bankAccountName: 'John Doe',
        bankCode: '004',
        destinationId: null,
        description: 'Payout for order #12345',
        metadata: { order_id: '12345' },
        paidAt: null,
        canceledAt: null,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
        failureReason: null,
      },
    });
    // "1000.00" is 1000 baht: 100000 satang leave the balance.
    expect(await client.admin.balance()).toBe(before - 100000);
  });

  test('normalises the amount to two decimals', async () => {
    expect((await client.created(withdrawBody({ amount: '12.5' }))).amount).toBe('12.50');
    expect((await client.created(withdrawBody({ amount: '7' }))).amount).toBe('7.00');
  });
});

describe('idempotency and unique references', () => {
  test('the same idempotencyKey answers 201 with the first withdraw in its current state, creating nothing', async () => {
    const body = withdrawBody();
    const first = await client.created(body);
    await client.waitForStatus(first.id, 'completed');
    const before = await client.admin.balance();

    const again = await client.create(body);
    expect(again.status).toBe(201);
    expect(again.body.data).toMatchObject({ id: first.id, status: 'completed' });
    // The page: same key, same withdraw object; even a changed body does not make a second one.
    const changed = await client.create({ ...body, amount: '5.00', referenceId: 'other-ref' });
    expect(changed.body.data).toMatchObject({ id: first.id, amount: '1000.00' });

    const payouts = await client.admin.payouts();
    expect(payouts).toHaveLength(1);
    expect(payouts[0]).toMatchObject({
      id: first.id,
      idempotency_key: body.idempotencyKey,
      reference: body.referenceId,
    });
    expect(await client.admin.balance()).toBe(before);
  });

  test('a new idempotencyKey with an existing referenceId is a 409 DUPLICATE_REFERENCE_ID', async () => {
    const first = await client.created(withdrawBody({ referenceId: 'po_01DUPLICATE' }));
    const res = await client.create(withdrawBody({ referenceId: 'po_01DUPLICATE' }));
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      success: false,
      error: {
        code: 'DUPLICATE_REFERENCE_ID',
        message: 'Reference ID already exists for this merchant',
        metadata: { field: 'referenceId' },
      },
    });
    expect((await client.admin.payouts()).map((p) => p.id)).toEqual([first.id]);
  });

  test('a referenceId stays taken after its withdraw failed', async () => {
    const failed = await client.created(
      withdrawBody({ referenceId: 'ref-f', customerBankAccountNumber: '9876540001' }),
    );
    await client.waitForStatus(failed.id, 'failed');
    expect((await client.create(withdrawBody({ referenceId: 'ref-f' }))).status).toBe(409);
  });

  test('without an idempotencyKey every create is new (the admin list shows no key)', async () => {
    await client.created(withdrawBody({ idempotencyKey: undefined }));
    await client.created(withdrawBody({ idempotencyKey: undefined }));
    const payouts = await client.admin.payouts();
    expect(payouts).toHaveLength(2);
    expect(payouts.map((p) => p.idempotency_key)).toEqual([null, null]);
  });
});

describe('lookups (assumed endpoints)', () => {
  test('GET /api/v1/withdraws/{id} answers the withdraw in the success envelope', async () => {
    const created = await client.created();
    const res = await client.get(created.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, data: expect.objectContaining({ id: created.id }) });
  });

  test('an unknown id is a 404 NOT_FOUND in the page format', async () => {
    const res = await client.get('660e8400-e29b-41d4-a716-446655440001');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      success: false,
      error: { code: 'NOT_FOUND', message: 'Withdraw not found', metadata: {} },
    });
  });

  test('GET /api/v1/withdraws?referenceId= lists the one withdraw with that reference', async () => {
    const ours = await client.created(withdrawBody({ referenceId: 'po_01LOOKUP' }));
    await client.created(withdrawBody({ referenceId: 'po_01OTHER' }));
    const res = await client.list({ referenceId: 'po_01LOOKUP' });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data.map((w) => w.id)).toEqual([ours.id]);
    expect((await client.list({ referenceId: 'po_01NONE' })).body).toEqual({ success: true, data: [] });
    expect((await client.list({})).body.data).toHaveLength(2);
  });

  test('an unknown route is a 404 in the page format', async () => {
    const res = await fetch(`${client.base}/api/v1/payouts`, { headers: client.headers('') });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });
});

describe('progress and test account numbers (customerBankAccountNumber)', () => {
  test('an ordinary withdraw goes pending → processing → completed, with paidAt', async () => {
    const scheduler = new ManualScheduler();
    const manual = await startThaiGateway({ scheduler, thaiGateway: { config: { progressDelayMs: 1000 } } });
    try {
      const withdraw = await manual.created();
      expect(withdraw.status).toBe('pending');
      scheduler.advance(1000);
      expect((await manual.get(withdraw.id)).body.data).toMatchObject({ status: 'processing', paidAt: null });
      scheduler.advance(1000);
      const completed = (await manual.get(withdraw.id)).body.data;
      expect(completed).toMatchObject({ status: 'completed', failureReason: null });
      expect(completed.paidAt).toMatch(ISO);
      expect(completed.paidAt).toBe(completed.updatedAt);
      expect(scheduler.pending).toBe(0);
    } finally {
      await manual.sandbox.close();
    }
  });

  test('0001 fails at the bank and the amount is credited back', async () => {
    const before = await client.admin.balance();
    const withdraw = await client.created(withdrawBody({ customerBankAccountNumber: '9876540001' }));
    const failed = await client.waitForStatus(withdraw.id, 'failed');
    expect(failed).toMatchObject({ paidAt: null, failureReason: 'Beneficiary bank rejected the transfer' });
    expect(await client.admin.balance()).toBe(before);
  });

  test('0002 is completed, then reversed with the amount credited back', async () => {
    // Stepped by hand: on real timers `completed` lasts one progressDelayMs, which polling on a busy
    // machine can miss.
    const scheduler = new ManualScheduler();
    const manual = await startThaiGateway({ scheduler, thaiGateway: { config: { progressDelayMs: 1000 } } });
    try {
      const before = await manual.admin.balance();
      const withdraw = await manual.created(withdrawBody({ customerBankAccountNumber: '9876540002' }));
      scheduler.advance(2000);
      const completed = (await manual.get(withdraw.id)).body.data;
      expect(completed.status).toBe('completed');
      expect(completed.paidAt).toMatch(ISO);
      scheduler.advance(1000);
      const reversed = (await manual.get(withdraw.id)).body.data;
      expect(reversed).toMatchObject({
        status: 'reversed',
        paidAt: completed.paidAt,
        failureReason: 'Transfer returned by the beneficiary bank',
      });
      expect(await manual.admin.balance()).toBe(before);
    } finally {
      await manual.sandbox.close();
    }
  });

  test('0003 stays processing until the admin API settles it', async () => {
    const before = await client.admin.balance();
    const held = await client.created(withdrawBody({ customerBankAccountNumber: '9876540003' }));
    const heldToFail = await client.created(withdrawBody({ customerBankAccountNumber: '11110003' }));
    // Created after the held ones with the same delays: once it completes, theirs would have run.
    const witness = await client.created();
    await client.waitForStatus(witness.id, 'completed');
    expect((await client.get(held.id)).body.data.status).toBe('processing');
    expect((await client.get(heldToFail.id)).body.data.status).toBe('processing');

    const forced = await client.admin.forceStatus(held.id, 'completed');
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ id: held.id, status: 'completed', paidAt: expect.stringMatching(ISO) });
    expect((await client.admin.forceStatus(heldToFail.id, 'failed')).body).toMatchObject({ status: 'failed' });
    expect(await client.admin.balance()).toBe(before - 100000 - 100000);

    // A reversal is legal only after completed, and credits the money back.
    expect((await client.admin.forceStatus(heldToFail.id, 'reversed')).status).toBe(409);
    expect((await client.admin.forceStatus(held.id, 'reversed')).body).toMatchObject({ status: 'reversed' });
    expect(await client.admin.balance()).toBe(before - 100000);
  });

  test('a pending withdraw can be forced to canceled, which sets canceledAt and credits it back', async () => {
    const scheduler = new ManualScheduler();
    const manual = await startThaiGateway({ scheduler });
    try {
      const before = await manual.admin.balance();
      const withdraw = await manual.created();
      const forced = await manual.admin.forceStatus(withdraw.id, 'canceled');
      expect(forced.body).toMatchObject({ status: 'canceled', canceledAt: expect.stringMatching(ISO) });
      expect(await manual.admin.balance()).toBe(before);
      scheduler.advance(10_000);
      expect((await manual.get(withdraw.id)).body.data.status).toBe('canceled');
    } finally {
      await manual.sandbox.close();
    }
  });

  test('forcing processing hands a pending withdraw back to its automatic outcome', async () => {
    const scheduler = new ManualScheduler();
    const manual = await startThaiGateway({ scheduler, thaiGateway: { config: { progressDelayMs: 1000 } } });
    try {
      const withdraw = await manual.created(withdrawBody({ customerBankAccountNumber: '9876540001' }));
      expect((await manual.admin.forceStatus(withdraw.id, 'processing')).body).toMatchObject({ status: 'processing' });
      scheduler.advance(1000);
      expect((await manual.get(withdraw.id)).body.data.status).toBe('failed');
      expect(scheduler.pending).toBe(0);
    } finally {
      await manual.sandbox.close();
    }
  });

  test('forcing an unknown withdraw, an unknown status or a step backwards is refused', async () => {
    expect((await client.admin.forceStatus('w_nope', 'completed')).status).toBe(404);
    const withdraw = await client.created(withdrawBody({ customerBankAccountNumber: '9876540003' }));
    await client.waitForStatus(withdraw.id, 'processing');
    expect((await client.admin.forceStatus(withdraw.id, 'paid')).status).toBe(400);
    expect((await client.admin.forceStatus(withdraw.id, 'pending')).status).toBe(409);
    expect((await client.admin.forceStatus(withdraw.id, 'canceled')).status).toBe(409);
  });

  test('configured shares fail or reverse ordinary withdraws', async () => {
    await client.admin.patchConfig({ failureShare: 1 });
    const failing = await client.created();
    await client.waitForStatus(failing.id, 'failed');

    await client.admin.patchConfig({ failureShare: 0, reversalShare: 1 });
    const reversing = await client.created();
    await client.waitForStatus(reversing.id, 'reversed');
  });

  test('a manual scheduler moves a 0002 withdraw one step per delay', async () => {
    const scheduler = new ManualScheduler();
    const manual = await startThaiGateway({ scheduler, thaiGateway: { config: { progressDelayMs: 1000 } } });
    try {
      const withdraw = await manual.created(withdrawBody({ customerBankAccountNumber: '9876540002' }));
      const seen: string[] = [];
      for (let i = 0; i < 4; i++) {
        seen.push((await manual.get(withdraw.id)).body.data.status);
        scheduler.advance(1000);
      }
      expect(seen).toEqual(['pending', 'processing', 'completed', 'reversed']);
      expect(scheduler.pending).toBe(0);
    } finally {
      await manual.sandbox.close();
    }
  });
});
