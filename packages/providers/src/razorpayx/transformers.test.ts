import { describe, expect, it } from 'vitest';
import {
  OUR_PAYOUT_ID,
  PAGE_REQUEST_BODY,
  PAGE_SUCCESS_RESPONSE,
  pagePayout,
  pageResponse,
} from '../../test/razorpayx/fixtures.ts';
import { referenceFor, referenceOf, toCreatePayoutRequest, toPayoutState } from './transformers.ts';
import { createPayoutRequestSchema, payoutSchema } from './wire.ts';

const ACCOUNT = '7878780080316316';

describe('canonical → wire', () => {
  it("produces the page's request for the equivalent payout, plus our payout id in the notes", () => {
    const page = JSON.parse(PAGE_REQUEST_BODY);
    expect(toCreatePayoutRequest(pagePayout(), ACCOUNT)).toEqual({
      ...page,
      notes: { ...page.notes, payout_id: OUR_PAYOUT_ID },
    });
  });

  it("accepts the page's own request body with the request schema", () => {
    const page = JSON.parse(PAGE_REQUEST_BODY);
    expect(createPayoutRequestSchema.safeParse(page).success).toBe(true);
  });

  it('sends bigint paise as a JSON number, unchanged', () => {
    expect(toCreatePayoutRequest(pagePayout({ amount: 100n }), ACCOUNT).amount).toBe(100);
  });

  it('refuses an amount that a JSON number cannot carry exactly', () => {
    expect(() => toCreatePayoutRequest(pagePayout({ amount: 2n ** 53n + 1n }), ACCOUNT)).toThrow(RangeError);
  });

  it('sends the purpose given (never one of our choosing), reference defaults to our payout id, no narration when absent', () => {
    const body = toCreatePayoutRequest(pagePayout({ purpose: 'salary', referenceId: null, narration: null }), ACCOUNT);
    expect(body.purpose).toBe('salary');
    // No purpose is a payout the adapter's validate refuses: never sent.
    expect(() => toCreatePayoutRequest(pagePayout({ purpose: null }), ACCOUNT)).toThrow();
    expect(body.reference_id).toBe(OUR_PAYOUT_ID);
    expect(body).not.toHaveProperty('narration');
    expect(referenceFor(pagePayout({ referenceId: null }))).toBe(OUR_PAYOUT_ID);
  });

  it('keeps our payout_id note even if metadata tries to set it', () => {
    const body = toCreatePayoutRequest(pagePayout({ metadata: { payout_id: 'someone else' } }), ACCOUNT);
    expect(body.notes?.payout_id).toBe(OUR_PAYOUT_ID);
  });

  it('builds a composite bank-account payout when there is no fund account id', () => {
    const body = toCreatePayoutRequest(
      pagePayout({
        method: 'IMPS',
        beneficiary: {
          name: 'Gaurav Kumar',
          account_number: '1121431121541121',
          bank_code: 'HDFC0000053',
          email: 'gaurav.kumar@example.com',
          phone: '9876543210',
        },
      }),
      ACCOUNT,
    );
    expect(body).not.toHaveProperty('fund_account_id');
    expect(body).toMatchObject({
      mode: 'IMPS',
      fund_account: {
        account_type: 'bank_account',
        bank_account: { name: 'Gaurav Kumar', ifsc: 'HDFC0000053', account_number: '1121431121541121' },
        contact: { name: 'Gaurav Kumar', email: 'gaurav.kumar@example.com', contact: '9876543210', type: 'vendor' },
      },
    });
  });

  it('leaves optional contact fields out rather than sending them empty', () => {
    const body = toCreatePayoutRequest(
      pagePayout({
        method: 'NEFT',
        beneficiary: { name: 'Gaurav Kumar', account_number: '1121431121541121', bank_code: 'HDFC0000053' },
      }),
      ACCOUNT,
    );
    expect(body).toMatchObject({ fund_account: { contact: { name: 'Gaurav Kumar', type: 'vendor' } } });
    expect(JSON.stringify(body)).not.toContain('"email"');
  });

  it("gives the contact the payout's beneficiary type when it has one", () => {
    const body = toCreatePayoutRequest(
      pagePayout({
        method: 'NEFT',
        beneficiaryType: 'employee',
        beneficiary: { name: 'Gaurav Kumar', account_number: '1121431121541121', bank_code: 'HDFC0000053' },
      }),
      ACCOUNT,
    );
    expect(body).toMatchObject({ fund_account: { contact: { name: 'Gaurav Kumar', type: 'employee' } } });
  });
});

describe('wire → canonical', () => {
  it("parses the page's success response verbatim and splits tax out of fees", () => {
    const wire = payoutSchema.parse(JSON.parse(PAGE_SUCCESS_RESPONSE));
    expect(toPayoutState(wire)).toEqual({
      providerPayoutId: 'pout_00000000000001',
      outcome: 'processed',
      rawStatus: 'processed',
      fees: 500n,
      tax: 90n,
      utr: null,
      failure: null,
      queuedReason: null,
      // The page's payout carries no notes of ours: no payout id is echoed.
      stated: { amount: 1000000n, currency: 'INR', payoutId: null, feeCurrency: 'INR', createdAt: 1545383037000 },
    });
  });

  it('keeps fees and tax null while RazorpayX has not charged them yet', () => {
    const state = toPayoutState(payoutSchema.parse(pageResponse({ status: 'processing', fees: null, tax: null })));
    expect(state.fees).toBeNull();
    expect(state.tax).toBeNull();
  });

  it('reads fees without tax as untaxed fees', () => {
    const state = toPayoutState(payoutSchema.parse(pageResponse({ fees: 0, tax: null, fee_type: 'free_payout' })));
    expect(state.fees).toBe(0n);
    expect(state.tax).toBeNull();
  });

  it('refuses a response whose tax exceeds its fees (fees include tax)', () => {
    expect(payoutSchema.safeParse(pageResponse({ fees: 10, tax: 90 })).success).toBe(false);
  });

  it('accepts unknown extra fields and empty notes sent as []', () => {
    const wire = payoutSchema.parse(pageResponse({ notes: [], brand_new_field: { x: 1 } }));
    expect(referenceOf(wire)).toBe('Acme Transaction ID 12345');
  });

  it('carries the UTR', () => {
    expect(toPayoutState(payoutSchema.parse(pageResponse({ utr: 'HDFCN00000000001' }))).utr).toBe('HDFCN00000000001');
  });

  it('marks a queued payout as waiting for our RazorpayX balance', () => {
    const state = toPayoutState(payoutSchema.parse(pageResponse({ status: 'queued', fees: null, tax: null })));
    expect(state).toMatchObject({ outcome: 'queued', queuedReason: 'provider_low_balance', failure: null });
  });

  it('takes the failure from status_details', () => {
    const state = toPayoutState(
      payoutSchema.parse(
        pageResponse({
          status: 'failed',
          failure_reason: 'deprecated text',
          status_details: {
            source: 'beneficiary_bank',
            reason: 'imps_not_allowed',
            description: 'IMPS is not enabled on beneficiary account, Retry with different mode',
          },
        }),
      ),
    );
    expect(state.failure).toEqual({
      code: 'imps_not_allowed',
      message: 'IMPS is not enabled on beneficiary account, Retry with different mode',
    });
  });

  it('falls back to failure_reason, then to the embedded error', () => {
    const fromFailureReason = toPayoutState(
      payoutSchema.parse(pageResponse({ status: 'reversed', failure_reason: 'Beneficiary account closed' })),
    );
    expect(fromFailureReason.failure).toEqual({ code: 'reversed', message: 'Beneficiary account closed' });

    const fromError = toPayoutState(
      payoutSchema.parse(
        pageResponse({
          status: 'rejected',
          status_details: null,
          error: { description: 'Rejected by approver', source: 'business', reason: 'rejected_by_approver' },
        }),
      ),
    );
    expect(fromError.failure).toEqual({ code: 'rejected_by_approver', message: 'Rejected by approver' });
  });

  it('always says something when a payout is cancelled without a reason', () => {
    const state = toPayoutState(payoutSchema.parse(pageResponse({ status: 'cancelled' })));
    expect(state.failure?.code).toBe('cancelled');
    expect(state.failure?.message).toMatch(/cancelled/);
  });

  it('gives no failure for a successful or in-progress payout, even with a stale reason', () => {
    const state = toPayoutState(
      payoutSchema.parse(
        pageResponse({ status: 'processing', status_details: { source: null, reason: 'old', description: 'old' } }),
      ),
    );
    expect(state.failure).toBeNull();
  });

  it('echoes our payout id from the notes as the reference, else the reference_id', () => {
    expect(referenceOf(payoutSchema.parse(pageResponse()))).toBe(OUR_PAYOUT_ID);
    expect(referenceOf(payoutSchema.parse(JSON.parse(PAGE_SUCCESS_RESPONSE)))).toBe('Acme Transaction ID 12345');
  });
});
