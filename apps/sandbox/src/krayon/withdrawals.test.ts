import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type KrayonTestClient, startKrayon, toAccount, withdrawalBody } from '../../test/krayon/test-support.ts';
import { DEFAULT_PROVIDER_CONFIG } from '../common/config.ts';
import { ManualScheduler } from '../common/manual-scheduler.ts';

let client: KrayonTestClient;

beforeAll(async () => {
  client = await startKrayon();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

describe('create', () => {
  test("answers 200 with the page's deposit object, PENDING, the fee charged with the amount", async () => {
    const before = await client.admin.balance();
    const startedAt = Date.now();
    const body = withdrawalBody();
    const res = await client.create(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: {
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        organization: 'org_sandbox',
        status: 'PENDING',
        qr_code: '',
        customer_email: 'elon@example.com',
        customer_country: 'IN',
        reference_id: body.reference_id,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
        payment_details: null,
        amount: 500,
        symbol: 'INR',
        type: 'WITHDRAWAL',
        payment_method: 'IMPS',
        description: 'first payout for the organization',
        return_url: '',
        webhook_url: '',
        currency: 'INR',
        redirect_url: '',
        payment_fee: 5,
        net_amount: 500,
      },
    });
    const createdAt = Date.parse(res.body.data.created_at);
    expect(createdAt).toBeGreaterThanOrEqual(startedAt - 1);
    expect(createdAt).toBeLessThanOrEqual(Date.now());
    expect(await client.admin.balance()).toBe(before - 50000 - 500);
  });

  test.each([
    ['500', 500, 50000],
    ['500.5', 500.5, 50050],
    ['500.55', 500.55, 50055],
    ['1', 1, 100],
    ['0012.30', 12.3, 1230],
  ])('amount %j is %s rupees on the response and %i paise off the balance (plus ₹5)', async (wire, major, paise) => {
    const before = await client.admin.balance();
    const deposit = await client.created(withdrawalBody({ amount: wire }));
    expect(deposit).toMatchObject({ amount: major, payment_fee: 5, net_amount: major });
    expect(await client.admin.balance()).toBe(before - paise - 500);
  });

  test('a missing description is echoed as null', async () => {
    expect((await client.created(withdrawalBody({ description: undefined }))).description).toBeNull();
  });
});

describe('reference_id is unique: no idempotency', () => {
  test('the very same body twice is a 409 DUPLICATE_REFERENCE_ID, and one withdrawal exists', async () => {
    const body = withdrawalBody();
    const before = await client.admin.balance();
    const first = await client.created(body);
    const again = await client.create(body);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      error: {
        code: 'DUPLICATE_REFERENCE_ID',
        message: `A deposit with reference_id "${body.reference_id}" already exists for this organization.`,
        field: 'reference_id',
      },
    });
    const payouts = await client.admin.payouts();
    expect(payouts).toHaveLength(1);
    expect(payouts[0]).toMatchObject({ id: first.id, reference: body.reference_id, idempotency_key: null });
    // Charged once.
    expect(await client.admin.balance()).toBe(before - 50000 - 500);
  });

  test('a different body with a used reference_id is a 409 too, even after the first settled', async () => {
    const first = await client.created(withdrawalBody({ reference_id: 'po_same' }));
    await client.waitForStatus(first.id, 'COMPLETED');
    const res = await client.create(withdrawalBody({ reference_id: 'po_same', amount: '7' }));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('DUPLICATE_REFERENCE_ID');
  });

  test('a refused create (validation) does not take the reference', async () => {
    expect((await client.create(withdrawalBody({ reference_id: 'po_free', currency: 'USD' }))).status).toBe(400);
    expect((await client.create(withdrawalBody({ reference_id: 'po_free' }))).status).toBe(200);
  });

  test('customer.reference_id need not be unique', async () => {
    await client.created(withdrawalBody({}, { reference_id: 'krayon_1337' }));
    expect((await client.create(withdrawalBody({}, { reference_id: 'krayon_1337' }))).status).toBe(200);
  });
});

describe('lookups', () => {
  test('by id answers {data: deposit}', async () => {
    const created = await client.created(withdrawalBody());
    const res = await client.get(created.id);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: created.id, reference_id: created.reference_id });
  });

  test('an unknown id is a 404 NOT_FOUND', async () => {
    const res = await client.get('0'.repeat(32));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Deposit not found.', field: null } });
  });

  test('by reference_id answers a list with the one withdrawal, or an empty list', async () => {
    const ours = await client.created(withdrawalBody({ reference_id: 'po_ref_a' }));
    await client.created(withdrawalBody({ reference_id: 'po_ref_b' }));
    const res = await client.list({ reference_id: 'po_ref_a' });
    expect(res.status).toBe(200);
    expect(res.body.data.map((d) => d.id)).toEqual([ours.id]);
    expect((await client.list({ reference_id: 'po_ref_z' })).body).toEqual({ data: [] });
  });

  test('without a filter, lists everything newest first', async () => {
    const a = await client.created(withdrawalBody());
    const b = await client.created(withdrawalBody());
    expect((await client.list()).body.data.map((d) => d.id)).toEqual([b.id, a.id]);
  });

  test('an unknown route is a 404 in the error format', async () => {
    const res = await fetch(`${client.sandbox.url}/krayon/main/api/v1/payouts`, {
      headers: { Authorization: 'Bearer krayon_test_token' },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});

describe('progress and test account numbers', () => {
  // Each step in between is pinned by the manual-scheduler test below, without timing.
  test('an ordinary withdrawal is COMPLETED and keeps the money spent', async () => {
    const before = await client.admin.balance();
    const created = await client.created(toAccount('1111111111'));
    const completed = await client.waitForStatus(created.id, 'COMPLETED');
    expect(completed).toMatchObject({ payment_fee: 5, amount: 500 });
    expect(await client.admin.balance()).toBe(before - 50500);
  });

  test('0001 fails at the bank and the amount and fee are refunded', async () => {
    const before = await client.admin.balance();
    const created = await client.created(toAccount('9876540001'));
    await client.waitForStatus(created.id, 'FAILED');
    expect(await client.admin.balance()).toBe(before);
  });

  test('0002 ends REVERSED with amount and fee credited back', async () => {
    // Only the end state on real timers: COMPLETED lasts one progressDelayMs (20 ms), which a busy
    // machine's polling can miss. The manual-scheduler test below pins COMPLETED, then REVERSED.
    const before = await client.admin.balance();
    const created = await client.created(toAccount('9876540002'));
    await client.waitForStatus(created.id, 'REVERSED');
    expect(await client.admin.balance()).toBe(before);
  });

  test('0003 stays PROCESSING until the admin API settles it', async () => {
    const before = await client.admin.balance();
    const held = await client.created(toAccount('9876540003'));
    const heldToFail = await client.created(toAccount('12340003', { amount: '100' }));
    // Created after the held ones with the same delay: once it completes, theirs would have run.
    const witness = await client.created(toAccount('1111111111'));
    await client.waitForStatus(witness.id, 'COMPLETED');
    expect((await client.get(held.id)).body.data.status).toBe('PROCESSING');
    expect((await client.get(heldToFail.id)).body.data.status).toBe('PROCESSING');

    const forced = await client.admin.forceStatus(held.id, 'COMPLETED');
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ id: held.id, status: 'COMPLETED' });
    expect((await client.admin.forceStatus(heldToFail.id, 'FAILED')).body).toMatchObject({ status: 'FAILED' });
    // The held one's and the witness's money is spent; the failed one's came back.
    expect(await client.admin.balance()).toBe(before - 2 * 50500);

    // A reversal is legal only after COMPLETED, and credits the money back.
    expect((await client.admin.forceStatus(heldToFail.id, 'REVERSED')).status).toBe(409);
    expect((await client.admin.forceStatus(held.id, 'REVERSED')).body).toMatchObject({ status: 'REVERSED' });
    // Only the witness's money is spent now.
    expect(await client.admin.balance()).toBe(before - 50500);
  });

  test('forcing an unknown withdrawal, status or transition is refused', async () => {
    expect((await client.admin.forceStatus('0'.repeat(32), 'COMPLETED')).status).toBe(404);
    const held = await client.created(toAccount('9876540003'));
    expect((await client.admin.forceStatus(held.id, 'processed')).status).toBe(400);
    expect((await client.admin.forceStatus(held.id, 'PENDING')).status).toBe(409);
  });

  test('configured shares fail or reverse ordinary withdrawals', async () => {
    await client.admin.patchConfig({ failureShare: 1 });
    const failing = await client.created(toAccount('1111111111'));
    await client.waitForStatus(failing.id, 'FAILED');

    await client.admin.patchConfig({ failureShare: 0, reversalShare: 1 });
    const reversing = await client.created(toAccount('1111111111'));
    await client.waitForStatus(reversing.id, 'REVERSED');
  });

  test('a manual scheduler moves withdrawals one step per progressDelayMs, only when advanced', async () => {
    const scheduler = new ManualScheduler();
    const manual = await startKrayon({ scheduler, krayon: { config: { progressDelayMs: 1000 } } });
    try {
      const ok = await manual.created(toAccount('1111111111'));
      const failing = await manual.created(toAccount('1110001'));
      const reversing = await manual.created(toAccount('2220002'));
      const held = await manual.created(toAccount('3330003'));
      const statuses = async () =>
        Promise.all([ok, failing, reversing, held].map(async (d) => (await manual.get(d.id)).body.data.status));

      // Four withdrawals of ₹500 + ₹5, debited at create; FAILED and REVERSED credit one back each.
      const start = DEFAULT_PROVIDER_CONFIG.balance;
      expect(await manual.admin.balance()).toBe(start - 4 * 50500);

      scheduler.advance(999);
      expect(await statuses()).toEqual(['PENDING', 'PENDING', 'PENDING', 'PENDING']);
      scheduler.advance(1);
      expect(await statuses()).toEqual(['PROCESSING', 'PROCESSING', 'PROCESSING', 'PROCESSING']);
      expect(await manual.admin.balance()).toBe(start - 4 * 50500);
      scheduler.advance(1000);
      expect(await statuses()).toEqual(['COMPLETED', 'FAILED', 'COMPLETED', 'PROCESSING']);
      expect(await manual.admin.balance()).toBe(start - 3 * 50500);
      scheduler.advance(1000);
      expect(await statuses()).toEqual(['COMPLETED', 'FAILED', 'REVERSED', 'PROCESSING']);
      expect(await manual.admin.balance()).toBe(start - 2 * 50500);
      expect(scheduler.pending).toBe(0);
    } finally {
      await manual.sandbox.close();
    }
  });
});
