import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  ACCOUNT_NUMBER,
  compositeFundAccount,
  payoutBody,
  type RazorpayXTestClient,
  startRazorpayX,
} from '../../test/razorpayx/test-support.ts';
import { ManualScheduler } from '../common/manual-scheduler.ts';

let client: RazorpayXTestClient;

beforeAll(async () => {
  client = await startRazorpayX();
});
afterAll(() => client.sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

describe('create', () => {
  test('answers 200 with the payout entity of the page, processing, fees charged', async () => {
    const before = await client.admin.balance();
    const startedAt = Math.floor(Date.now() / 1000);
    const res = await client.create(payoutBody());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^pout_[A-Za-z0-9]{14}$/),
      entity: 'payout',
      fund_account_id: 'fa_00000000000042',
      amount: 1000000,
      currency: 'INR',
      notes: { notes_key_1: 'Tea, Earl Grey, Hot', notes_key_2: 'Tea, Earl Grey… decaf.' },
      fees: 1180,
      tax: 180,
      status: 'processing',
      utr: null,
      mode: 'card',
      purpose: 'refund',
      reference_id: 'Acme Transaction ID 12345',
      narration: 'Acme Corp Fund Transfer',
      batch_id: null,
      failure_reason: null,
      status_details: null,
      created_at: expect.any(Number),
      fee_type: '',
      error: { description: null, source: null, reason: null },
    });
    expect(res.body.created_at).toBeGreaterThanOrEqual(startedAt);
    expect(res.body.created_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(await client.admin.balance()).toBe(before - 1000000 - 1180);
  });

  test.each([
    [100, 590, 90],
    [50000, 590, 90],
    [100000, 590, 90],
    [100001, 1180, 180],
    [1000000, 1180, 180],
    [2500000, 1180, 180],
    [2500001, 2950, 450],
  ])('amount %i pays fees %i including tax %i', async (amount, fees, tax) => {
    const payout = await client.created(payoutBody({ amount }));
    expect({ fees: payout.fees, tax: payout.tax }).toEqual({ fees, tax });
  });

  test('a composite payout creates a fund account and echoes it', async () => {
    const payout = await client.created(
      payoutBody({ fund_account_id: undefined, fund_account: compositeFundAccount('765432123456789') }),
    );
    expect(payout.fund_account_id).toMatch(/^fa_[A-Za-z0-9]{14}$/);
    expect(payout.fund_account).toMatchObject({
      id: payout.fund_account_id,
      entity: 'fund_account',
      account_type: 'bank_account',
      bank_account: { name: 'Gaurav Kumar', ifsc: 'HDFC0000053', account_number: '765432123456789' },
      contact: { name: 'Gaurav Kumar', entity: 'contact', id: expect.stringMatching(/^cont_/) },
    });
    expect((await client.waitForStatus(payout.id, 'processed')).utr).toMatch(/^SBX\d{12}$/);
  });
});

describe('idempotency', () => {
  test('the same key and body answer the first payout, in its current state, without a second payout', async () => {
    const key = randomUUID();
    const first = await client.created(payoutBody(), key);
    await client.waitForStatus(first.id, 'processed');

    // Key order differs; the body is the same JSON.
    const reordered = Object.fromEntries(Object.entries(payoutBody()).reverse());
    const again = await client.create(reordered, { key });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.id);
    expect(again.body.status).toBe('processed');

    const payouts = await client.admin.payouts();
    expect(payouts).toHaveLength(1);
    expect(payouts[0]).toMatchObject({ id: first.id, idempotency_key: key, reference: 'Acme Transaction ID 12345' });
  });

  test('the same key with a different body is a 400 idempotency conflict', async () => {
    const key = randomUUID();
    await client.created(payoutBody(), key);
    const res = await client.create(payoutBody({ amount: 1000001 }), { key });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: {
        code: 'BAD_REQUEST_ERROR',
        description: 'Different request body sent for the same Idempotency Header',
        source: 'business',
        step: 'payout_initiation',
        reason: 'idempotency_conflict',
        metadata: {},
        field: 'X-Payout-Idempotency',
      },
    });
    expect(await client.admin.payouts()).toHaveLength(1);
  });

  test('a new key creates a new payout even with the same reference_id', async () => {
    const a = await client.created(payoutBody());
    const b = await client.created(payoutBody());
    expect(a.id).not.toBe(b.id);
    const payouts = await client.admin.payouts();
    expect(payouts.filter((p) => p.reference === 'Acme Transaction ID 12345')).toHaveLength(2);
  });

  test('an idempotency key expires after 7 days', async () => {
    let now = Date.parse('2025-06-01T00:00:00Z');
    const timed = await startRazorpayX({ now: () => now });
    try {
      const key = randomUUID();
      const first = await timed.created(payoutBody(), key);
      now += 7 * 24 * 3600 * 1000 - 1;
      expect((await timed.create(payoutBody(), { key })).body.id).toBe(first.id);
      now += 2;
      const later = await timed.created(payoutBody(), key);
      expect(later.id).not.toBe(first.id);
      expect(later.created_at).toBe(Math.floor(now / 1000));
    } finally {
      await timed.sandbox.close();
    }
  });
});

describe('lookups', () => {
  test('an unknown id is a 404 with the error object', async () => {
    const res = await client.get('pout_00000000000000');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'BAD_REQUEST_ERROR', description: 'The id provided does not exist' });
  });

  test('lists by reference_id, newest first', async () => {
    const first = await client.created(payoutBody({ reference_id: 'ref-a' }));
    await client.created(payoutBody({ reference_id: 'ref-b' }));
    const second = await client.created(payoutBody({ reference_id: 'ref-a' }));
    const res = await client.list({ account_number: ACCOUNT_NUMBER, reference_id: 'ref-a' });
    expect(res.status).toBe(200);
    expect(res.body.entity).toBe('collection');
    expect(res.body.count).toBe(2);
    expect(res.body.items.map((p) => p.id)).toEqual([second.id, first.id]);

    const none = await client.list({ account_number: ACCOUNT_NUMBER, reference_id: 'ref-z' });
    expect(none.body).toEqual({ entity: 'collection', count: 0, items: [] });
  });

  test('pages with count and skip', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client.created(payoutBody({ reference_id: 'page' }))).id);
    const res = await client.list({ account_number: ACCOUNT_NUMBER, count: '1', skip: '1' });
    expect(res.body.items.map((p) => p.id)).toEqual([ids[1]]);
  });

  test.each([
    [{}, 'account_number'],
    [{ account_number: '1234567890' }, 'account_number'],
    [{ account_number: ACCOUNT_NUMBER, count: '101' }, 'count'],
  ])('a list with %j is a 400 on %s', async (query, field) => {
    const res = await client.list(query);
    expect(res.status).toBe(400);
    expect((res.body as unknown as { error: { field: string } }).error.field).toBe(field);
  });
});

describe('progress and test account numbers', () => {
  test('an ordinary payout is processed with a UTR', async () => {
    const payout = await client.created(payoutBody());
    const processed = await client.waitForStatus(payout.id, 'processed');
    expect(processed.utr).toMatch(/^SBX\d{12}$/);
    expect(processed.status_details).toBeNull();
    expect(processed.fees).toBe(1180);
  });

  test('0001 fails at the beneficiary bank and the balance is refunded', async () => {
    // Stepped by hand: on real timers the debit lasts one progressDelayMs, which a busy machine's
    // balance read can miss.
    const scheduler = new ManualScheduler();
    const manual = await startRazorpayX({ scheduler, razorpayx: { config: { progressDelayMs: 1000 } } });
    try {
      const before = await manual.admin.balance();
      const payout = await manual.created(payoutBody({ fund_account_id: 'fa_00000000000001' }));
      expect(await manual.admin.balance()).toBe(before - 1000000 - 1180);
      scheduler.advance(1000);
      const failed = (await manual.get(payout.id)).body;
      expect(failed.status).toBe('failed');
      expect(failed.status_details).toMatchObject({ source: 'beneficiary_bank', reason: 'beneficiary_bank_rejected' });
      expect(failed.failure_reason).toEqual(expect.any(String));
      expect(failed.error).toEqual({
        description: failed.status_details?.description,
        source: 'beneficiary_bank',
        reason: 'beneficiary_bank_rejected',
      });
      expect(await manual.admin.balance()).toBe(before);
    } finally {
      await manual.sandbox.close();
    }
  });

  test('0001 on a composite bank account number fails too', async () => {
    const payout = await client.created(
      payoutBody({ fund_account_id: undefined, fund_account: compositeFundAccount('9876540001') }),
    );
    expect((await client.waitForStatus(payout.id, 'failed')).status_details?.reason).toBe('beneficiary_bank_rejected');
  });

  test('0004 refuses IMPS with imps_not_allowed and is paid on NEFT', async () => {
    const account = compositeFundAccount('9876540004');
    const imps = await client.created(payoutBody({ fund_account_id: undefined, fund_account: account, mode: 'IMPS' }));
    const failed = await client.waitForStatus(imps.id, 'failed');
    expect(failed.status_details).toMatchObject({ source: 'beneficiary_bank', reason: 'imps_not_allowed' });
    const neft = await client.created(payoutBody({ fund_account_id: undefined, fund_account: account, mode: 'NEFT' }));
    expect((await client.waitForStatus(neft.id, 'processed')).status_details).toBeNull();
  });

  test('0002 is processed, then reversed with amount and fees credited back', async () => {
    // Stepped by hand: on real timers `processed` lasts one progressDelayMs, which polling on a busy
    // machine can miss.
    const scheduler = new ManualScheduler();
    const manual = await startRazorpayX({ scheduler, razorpayx: { config: { progressDelayMs: 1000 } } });
    try {
      const before = await manual.admin.balance();
      const payout = await manual.created(payoutBody({ fund_account_id: 'fa_00000000000002' }));
      scheduler.advance(1000);
      const processed = (await manual.get(payout.id)).body;
      expect(processed.status).toBe('processed');
      expect(processed.utr).toMatch(/^SBX\d{12}$/);
      scheduler.advance(1000);
      const reversed = (await manual.get(payout.id)).body;
      expect(reversed.status).toBe('reversed');
      expect(reversed.status_details).toMatchObject({ source: 'beneficiary_bank', reason: 'payout_reversed' });
      expect(reversed.utr).toBe(processed.utr);
      expect(await manual.admin.balance()).toBe(before);
    } finally {
      await manual.sandbox.close();
    }
  });

  test('0003 stays processing until the admin API settles it', async () => {
    const before = await client.admin.balance();
    const held = await client.created(payoutBody({ fund_account_id: 'fa_00000000000003' }));
    const heldToFail = await client.created(payoutBody({ fund_account_id: 'fa_99990003', amount: 50000 }));
    // Created after the held ones with the same delay: once it is processed, theirs would have run.
    const witness = await client.created(payoutBody());
    await client.waitForStatus(witness.id, 'processed');
    expect((await client.get(held.id)).body.status).toBe('processing');
    expect((await client.get(heldToFail.id)).body.status).toBe('processing');

    const forced = await client.admin.forceStatus(held.id, 'processed');
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ id: held.id, status: 'processed', utr: expect.stringMatching(/^SBX\d{12}$/) });

    expect((await client.admin.forceStatus(heldToFail.id, 'failed')).body).toMatchObject({ status: 'failed' });
    expect(await client.admin.balance()).toBe(before - 2 * (1000000 + 1180));

    // A reversal is legal only after processed, and credits the money back.
    expect((await client.admin.forceStatus(heldToFail.id, 'reversed')).status).toBe(409);
    expect((await client.admin.forceStatus(held.id, 'reversed')).body).toMatchObject({ status: 'reversed' });
    expect(await client.admin.balance()).toBe(before - 1000000 - 1180);
  });

  test('forcing an unknown payout or status is refused', async () => {
    expect((await client.admin.forceStatus('pout_nope', 'processed')).status).toBe(404);
    const payout = await client.created(payoutBody({ fund_account_id: 'fa_00000000000003' }));
    expect((await client.admin.forceStatus(payout.id, 'settled')).status).toBe(400);
    expect((await client.admin.forceStatus(payout.id, 'queued')).status).toBe(409);
  });

  test('configured shares fail or reverse ordinary payouts', async () => {
    await client.admin.patchConfig({ failureShare: 1 });
    const failing = await client.created(payoutBody());
    expect((await client.waitForStatus(failing.id, 'failed')).status_details?.reason).toBe('beneficiary_bank_rejected');

    await client.admin.patchConfig({ failureShare: 0, reversalShare: 1 });
    const reversing = await client.created(payoutBody());
    await client.waitForStatus(reversing.id, 'reversed');
  });

  test('a manual scheduler moves payouts only when advanced', async () => {
    const scheduler = new ManualScheduler();
    const manual = await startRazorpayX({ scheduler, razorpayx: { config: { progressDelayMs: 1000 } } });
    try {
      const ok = await manual.created(payoutBody());
      const reversing = await manual.created(payoutBody({ fund_account_id: 'fa_00000000000002' }));
      scheduler.advance(999);
      expect((await manual.get(ok.id)).body.status).toBe('processing');
      scheduler.advance(1);
      expect((await manual.get(ok.id)).body.status).toBe('processed');
      expect((await manual.get(reversing.id)).body.status).toBe('processed');
      scheduler.advance(1000);
      expect((await manual.get(reversing.id)).body.status).toBe('reversed');
      expect(scheduler.pending).toBe(0);
    } finally {
      await manual.sandbox.close();
    }
  });
});
