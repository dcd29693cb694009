import { describe, expect, it } from 'vitest';
import {
  declinedForFunds,
  OUR_PAYOUT_ID,
  PAGE_FIELD_EXAMPLES,
  PAGE_REQUEST_BODY,
  PAGE_RESPONSE,
  PAGE_TENANT_ID,
  pagePayout,
  pageTransaction,
} from '../../test/druo/fixtures.ts';
import { isDeclinedForFunds, referenceFor, toCreatePayoutRequest, toPayoutState } from './transformers.ts';
import { createPayoutRequestSchema, payoutEnvelopeSchema, payoutSchema } from './wire.ts';

const parse = (overrides: Record<string, unknown> = {}) => payoutSchema.parse(pageTransaction(overrides));

describe('canonical → wire', () => {
  it("produces the page's request for the equivalent payout, plus our payout id as primary_reference", () => {
    expect(toCreatePayoutRequest(pagePayout(), PAGE_TENANT_ID)).toEqual({
      ...JSON.parse(PAGE_REQUEST_BODY),
      primary_reference: OUR_PAYOUT_ID,
    });
  });

  it("accepts the page's own request body (with a reference) with the request schema", () => {
    const page = JSON.parse(PAGE_REQUEST_BODY);
    expect(createPayoutRequestSchema.safeParse({ ...page, primary_reference: 'ABC123' }).success).toBe(true);
  });

  it('sends the configured DRUO tenant as tenant_id, never anything from the payout', () => {
    expect(toCreatePayoutRequest(pagePayout(), 'ten_merchant_setting').tenant_id).toBe('ten_merchant_setting');
  });

  it('sends bigint minor units as a JSON number, unchanged, in USD and COP', () => {
    expect(toCreatePayoutRequest(pagePayout({ amount: 1n }), PAGE_TENANT_ID).amount).toBe(1);
    const cop = toCreatePayoutRequest(pagePayout({ amount: 123456789n, currency: 'COP' }), PAGE_TENANT_ID);
    expect(cop).toMatchObject({ amount: 123456789, currency: 'COP' });
  });

  it('refuses an amount that a JSON number cannot carry exactly', () => {
    expect(() => toCreatePayoutRequest(pagePayout({ amount: 2n ** 53n + 1n }), PAGE_TENANT_ID)).toThrow(RangeError);
  });

  it('maps the optional fields: description (else narration), reference_id as secondary, metadata as an object', () => {
    const body = toCreatePayoutRequest(
      pagePayout({
        description: 'Insurance policy renewal - INV12324',
        narration: 'ignored when there is a description',
        referenceId: 'bj39fhow39fhqp3f0hfae4344',
        metadata: { order_id: '6735' },
      }),
      PAGE_TENANT_ID,
    );
    expect(body).toEqual({
      ...JSON.parse(PAGE_REQUEST_BODY),
      description: 'Insurance policy renewal - INV12324',
      primary_reference: OUR_PAYOUT_ID,
      secondary_reference: 'bj39fhow39fhqp3f0hfae4344',
      metadata: { order_id: '6735' },
    });
    expect(toCreatePayoutRequest(pagePayout({ narration: 'Salary June' }), PAGE_TENANT_ID).description).toBe(
      'Salary June',
    );
  });

  it('leaves absent optional fields out rather than sending them null', () => {
    const text = JSON.stringify(toCreatePayoutRequest(pagePayout(), PAGE_TENANT_ID));
    for (const field of ['description', 'secondary_reference', 'metadata']) expect(text).not.toContain(field);
  });

  it('the primary reference is always our payout id, never the client reference', () => {
    expect(referenceFor(pagePayout({ referenceId: 'client-ref' }))).toBe(OUR_PAYOUT_ID);
    expect(OUR_PAYOUT_ID).toHaveLength(29);
  });

  it('refuses a payout id longer than 40 characters rather than truncating it', () => {
    expect(() => referenceFor(pagePayout({ id: `po_${'X'.repeat(38)}` }))).toThrow(RangeError);
    expect(referenceFor(pagePayout({ id: `po_${'X'.repeat(37)}` }))).toHaveLength(40);
  });

  it('asserts the body is one DRUO accepts (an account id that is not acc_… is a bug here)', () => {
    const payout = pagePayout({ beneficiary: { provider_account_id: 'fa_00000000000001' } });
    expect(() => toCreatePayoutRequest(payout, PAGE_TENANT_ID)).toThrow();
  });
});

describe('wire → canonical', () => {
  it("parses the page's example response verbatim: PENDING, no fees yet", () => {
    const { payout } = payoutEnvelopeSchema.parse(JSON.parse(PAGE_RESPONSE));
    expect(toPayoutState(payout)).toEqual({
      providerPayoutId: 'trx_1cb6a2ab-2351-436b-99df-e00fd9b9cf6a',
      outcome: 'processing',
      rawStatus: 'PENDING',
      fees: null,
      tax: null,
      utr: null,
      failure: null,
      queuedReason: null,
      stated: { amount: 1n, currency: 'COP', payoutId: 'primary 123', feeCurrency: null },
    });
  });

  it("parses the page's field examples (metadata as a string): SUCCESSFUL with total_fee 400", () => {
    const state = toPayoutState(payoutSchema.parse(PAGE_FIELD_EXAMPLES));
    expect(state).toEqual({
      providerPayoutId: 'trx_422f0f81-5001-4cce-a229-242d9ab9960a',
      outcome: 'processed',
      rawStatus: 'SUCCESSFUL',
      fees: 400n,
      tax: null,
      utr: null,
      failure: null,
      queuedReason: null,
      // What DRUO says it pays, read from the answer (the reconciler compares it with the payout).
      stated: { amount: 10000n, currency: 'USD', payoutId: 'ABC123', feeCurrency: 'USD' },
    });
  });

  it('takes fees from total_fee (fixed + variable), in minor units', () => {
    const state = toPayoutState(parse({ fixed_fee: 50, variable_fee: 400, total_fee: 450, net_amount: 20450 }));
    expect(state.fees).toBe(450n);
    expect(toPayoutState(parse({ total_fee: 0 })).fees).toBe(0n);
  });

  it('accepts unknown extra fields and missing optional ones', () => {
    const minimal = { uuid: 'trx_1', status: 'PENDING', amount: 5, currency: { code: 'USD' }, brand_new: [1] };
    expect(toPayoutState(payoutSchema.parse(minimal)).providerPayoutId).toBe('trx_1');
  });

  it('refuses what it cannot read safely: a string amount, a negative fee, no uuid', () => {
    expect(payoutSchema.safeParse(pageTransaction({ amount: '20000' })).success).toBe(false);
    expect(payoutSchema.safeParse(pageTransaction({ total_fee: -1 })).success).toBe(false);
    expect(payoutSchema.safeParse(pageTransaction({ uuid: undefined })).success).toBe(false);
  });

  it('a decline for another reason fails with that reason', () => {
    const state = toPayoutState(parse({ status: 'DECLINED', decline_reason: 'ACCOUNT_CLOSED', remarks: null }));
    expect(state).toMatchObject({
      outcome: 'failed',
      failure: { code: 'ACCOUNT_CLOSED', message: 'DRUO payout DECLINED: ACCOUNT_CLOSED' },
    });
  });

  it('takes the failure from decline_reason, with remarks as the message when they add something', () => {
    const state = toPayoutState(
      parse({ status: 'FAILED', decline_reason: 'BANK_REJECTED', remarks: 'Beneficiary bank rejected the transfer' }),
    );
    expect(state.failure).toEqual({ code: 'BANK_REJECTED', message: 'Beneficiary bank rejected the transfer' });
  });

  it('falls back to remarks, then to the status itself', () => {
    expect(toPayoutState(parse({ status: 'REVERSED', remarks: 'RETURNED_BY_BANK' })).failure).toEqual({
      code: 'RETURNED_BY_BANK',
      message: 'DRUO payout REVERSED: RETURNED_BY_BANK',
    });
    expect(toPayoutState(parse({ status: 'CANCELLED' })).failure).toEqual({
      code: 'CANCELLED',
      message: 'DRUO payout CANCELLED without a reason',
    });
  });

  it('gives no failure for a successful or in-progress payout, even with stale remarks', () => {
    expect(toPayoutState(parse({ status: 'PROCESSING', remarks: 'old' })).failure).toBeNull();
    expect(toPayoutState(payoutSchema.parse(PAGE_FIELD_EXAMPLES)).failure).toBeNull();
  });
});

describe('declined for insufficient funds', () => {
  it('recognises DECLINED with INSUFFICIENT_FUNDS in decline_reason or remarks', () => {
    expect(isDeclinedForFunds(payoutSchema.parse(declinedForFunds()))).toBe(true);
    expect(isDeclinedForFunds(parse({ status: 'DECLINED', remarks: 'INSUFFICIENT_FUNDS' }))).toBe(true);
  });

  it("recognises the page's misspelt decline_reason example, INSUFFICCIENT_FUNDS", () => {
    expect(isDeclinedForFunds(parse({ status: 'DECLINED', decline_reason: PAGE_FIELD_EXAMPLES.decline_reason }))).toBe(
      true,
    );
  });

  it('is only a DECLINED transaction: the same remark on another status is not a decline', () => {
    // The page's field examples pair SUCCESSFUL with an INSUFFICIENT_FUNDS remark: a success is a success.
    expect(isDeclinedForFunds(payoutSchema.parse(PAGE_FIELD_EXAMPLES))).toBe(false);
    expect(isDeclinedForFunds(parse({ status: 'FAILED', decline_reason: 'INSUFFICIENT_FUNDS' }))).toBe(false);
  });

  it('a decline for another reason, or with none, is not for funds', () => {
    expect(isDeclinedForFunds(parse({ status: 'DECLINED', decline_reason: 'ACCOUNT_CLOSED' }))).toBe(false);
    expect(isDeclinedForFunds(parse({ status: 'DECLINED' }))).toBe(false);
    expect(
      isDeclinedForFunds(
        parse({ status: 'DECLINED', decline_reason: 'FRAUD_SUSPECTED', remarks: 'INSUFFICIENT_FUNDS' }),
      ),
    ).toBe(false);
  });

  it('maps as a failure with its reason when read directly (lookup by id)', () => {
    expect(toPayoutState(payoutSchema.parse(declinedForFunds()))).toMatchObject({
      outcome: 'failed',
      failure: { code: 'INSUFFICIENT_FUNDS' },
      queuedReason: null,
    });
  });
});
