import { describe, expect, it } from 'vitest';
import {
  OUR_PAYOUT_ID,
  PAGE_SUCCESS_RESPONSE,
  PAGE_WITHDRAW_ID,
  pagePayout,
  pageRequestBody,
  pageResponse,
  pageWithdraw,
} from '../../test/thai-gateway/fixtures.ts';
import {
  fromWireAmount,
  referenceFor,
  referenceOf,
  toCreateWithdrawRequest,
  toPayoutState,
  toWireAmount,
} from './transformers.ts';
import { createWithdrawRequestSchema, withdrawResponseSchema, withdrawSchema } from './wire.ts';

describe("THAI_GATEWAY_AMOUNT_UNIT=satang: the page's literal reading", () => {
  it('"1000.00" is 1000 satang = 10.00 THB, and 1000 THB is written "100000.00"', () => {
    expect(fromWireAmount('1000.00', 'satang')).toBe(1000n);
    expect(toWireAmount(100000n, 'satang')).toBe('100000.00');
    expect(fromWireAmount('1000', 'satang')).toBe(1000n);
  });

  it('refuses what is not a whole number of satang', () => {
    expect(() => fromWireAmount('10.5', 'satang')).toThrow(RangeError);
    expect(() => fromWireAmount('ten', 'satang')).toThrow(RangeError);
  });

  it('an answer states its amount in the configured reading, and both readings for reconciliation', () => {
    const state = toPayoutState(withdrawSchema.parse(pageWithdraw()), 'satang');
    expect(state.stated).toMatchObject({ amount: 1000n, amountReadings: { baht: 100000n, satang: 1000n } });
  });
});

describe('amount (the page contradicts itself; we read "1000.00" as 1000 THB)', () => {
  it('the page\'s example "1000.00" is 1000 baht = 100000 satang, not 10.00 THB', () => {
    expect(fromWireAmount('1000.00')).toBe(100000n);
    expect(toWireAmount(100000n)).toBe('1000.00');
    expect(fromWireAmount('1000.00')).not.toBe(1000n);
  });

  it.each([
    [1n, '0.01'],
    [99n, '0.99'],
    [100n, '1.00'],
    [123456n, '1234.56'],
    [10n ** 20n, '1000000000000000000.00'],
  ])('%i satang ⇄ %s, always two decimals', (satang, wire) => {
    expect(toWireAmount(satang)).toBe(wire);
    expect(fromWireAmount(wire)).toBe(satang);
  });

  it('reads amounts written with fewer decimals too', () => {
    expect(fromWireAmount('1000')).toBe(100000n);
    expect(fromWireAmount('10.5')).toBe(1050n);
  });

  it('refuses what is not money: a third decimal, text, a zero or negative amount to send', () => {
    expect(() => fromWireAmount('10.005')).toThrow(RangeError);
    expect(() => fromWireAmount('ten')).toThrow(RangeError);
    expect(() => toWireAmount(0n)).toThrow(RangeError);
    expect(() => toWireAmount(-100n)).toThrow(RangeError);
  });
});

describe('canonical → wire', () => {
  it("produces the page's example request, byte for byte once serialised", () => {
    expect(JSON.stringify(toCreateWithdrawRequest(pagePayout()))).toBe(pageRequestBody());
  });

  it("accepts the page's own request body with the request schema", () => {
    expect(createWithdrawRequestSchema.safeParse(JSON.parse(pageRequestBody())).success).toBe(true);
  });

  it('sends our payout id as referenceId and the idempotency key unchanged', () => {
    const body = toCreateWithdrawRequest(pagePayout({ id: OUR_PAYOUT_ID, idempotencyKey: 'idem_po_1' }));
    expect(body.referenceId).toBe(OUR_PAYOUT_ID);
    expect(body.idempotencyKey).toBe('idem_po_1');
    expect(referenceFor(pagePayout({ id: OUR_PAYOUT_ID }))).toBe(OUR_PAYOUT_ID);
  });

  it("carries the client's reference_id in metadata.reference_id, after the client's metadata", () => {
    const body = toCreateWithdrawRequest(pagePayout({ referenceId: 'Invoice 42/A' }));
    expect(body.metadata).toEqual({ order_id: '12345', reference_id: 'Invoice 42/A' });
    expect(Object.keys(body.metadata ?? {})).toEqual(['order_id', 'reference_id']);
  });

  it('maps method, beneficiary and currency field by field', () => {
    const body = toCreateWithdrawRequest(
      pagePayout({
        method: 'wallet',
        beneficiary: { name: 'สมชาย ใจดี', account_number: '0812345678', bank_code: '014' },
      }),
    );
    expect(body).toMatchObject({
      currency: 'THB',
      destinationType: 'wallet',
      customerBankAccountName: 'สมชาย ใจดี',
      customerBankAccountNumber: '0812345678',
      customerBankCode: '014',
    });
  });

  it('falls back from description to narration, and leaves out what is absent', () => {
    expect(toCreateWithdrawRequest(pagePayout({ description: null, narration: 'Salary May' })).description).toBe(
      'Salary May',
    );
    const bare = toCreateWithdrawRequest(pagePayout({ description: null, narration: null, metadata: null }));
    expect(bare).not.toHaveProperty('description');
    expect(bare).not.toHaveProperty('metadata');
  });

  it('refuses to send a payout id outside the gateway alphabet (a bug, never sent)', () => {
    expect(() => toCreateWithdrawRequest(pagePayout({ id: 'po 1' }))).toThrow(RangeError);
    expect(() => referenceFor(pagePayout({ id: 'x'.repeat(256) }))).toThrow(RangeError);
  });

  it('refuses to build a request the gateway would refuse', () => {
    expect(() => toCreateWithdrawRequest(pagePayout({ beneficiary: { name: 'x' } }))).toThrow();
  });
});

describe('wire → canonical', () => {
  it("parses the page's 201 response verbatim: pending is still in progress, no fees documented", () => {
    const { data } = withdrawResponseSchema.parse(JSON.parse(PAGE_SUCCESS_RESPONSE));
    expect(toPayoutState(data)).toEqual({
      providerPayoutId: PAGE_WITHDRAW_ID,
      outcome: 'processing',
      rawStatus: 'pending',
      fees: null,
      tax: null,
      utr: null,
      failure: null,
      queuedReason: null,
      stated: {
        amount: 100000n,
        currency: 'THB',
        payoutId: 'payout-12345',
        feeCurrency: null,
        amountReadings: { baht: 100000n, satang: 1000n },
      },
    });
    expect(data.bankAccountNumber).toBe('1234****7890');
    expect(fromWireAmount(data.amount)).toBe(100000n);
  });

  it('a completed withdraw is processed', () => {
    const state = toPayoutState(
      withdrawSchema.parse(pageWithdraw({ status: 'completed', paidAt: '2024-01-01T00:05:00.000Z' })),
    );
    expect(state).toMatchObject({ outcome: 'processed', failure: null });
  });

  it('a failed withdraw carries failureReason, or says something without one', () => {
    const withReason = toPayoutState(
      withdrawSchema.parse(pageWithdraw({ status: 'failed', failureReason: 'Beneficiary account closed' })),
    );
    expect(withReason.failure).toEqual({ code: 'failed', message: 'Beneficiary account closed' });
    const canceled = toPayoutState(
      withdrawSchema.parse(pageWithdraw({ status: 'canceled', canceledAt: '2024-01-01T00:01:00.000Z' })),
    );
    expect(canceled).toMatchObject({ outcome: 'cancelled', failure: { code: 'canceled' } });
    expect(canceled.failure?.message).toMatch(/canceled/);
  });

  it('gives no failure for an in-progress withdraw, even with a stale reason', () => {
    const state = toPayoutState(withdrawSchema.parse(pageWithdraw({ status: 'processing', failureReason: 'old' })));
    expect(state.failure).toBeNull();
  });

  it('accepts unknown extra fields', () => {
    expect(withdrawSchema.safeParse(pageWithdraw({ brandNew: { x: 1 }, fee: '0.00' })).success).toBe(true);
  });

  it('echoes referenceId as the reference', () => {
    expect(referenceOf(withdrawSchema.parse(pageWithdraw()))).toBe('payout-12345');
    expect(referenceOf(withdrawSchema.parse(pageWithdraw({ referenceId: null })))).toBeNull();
  });

  it('refuses a success envelope without a withdraw', () => {
    expect(withdrawResponseSchema.safeParse({ success: true, data: null }).success).toBe(false);
    expect(withdrawResponseSchema.safeParse(pageResponse({ id: undefined })).success).toBe(false);
  });
});
