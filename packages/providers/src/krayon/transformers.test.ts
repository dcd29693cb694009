import { must } from '@payouts/core';
import { describe, expect, it } from 'vitest';
import {
  expectedPageRequest,
  PAGE_EMAIL_STAND_IN,
  PAGE_PAYOUT_ID,
  PAGE_REQUEST_BODY,
  PAGE_RESPONSE,
  pageDeposit,
  pagePayout,
  repairedPageRequest,
} from '../../test/krayon/fixtures.ts';
import {
  fromKrayonAmount,
  referenceFor,
  referenceOf,
  toCreateWithdrawalRequest,
  toKrayonAmount,
  toPayoutState,
} from './transformers.ts';
import { createWithdrawalRequestSchema, depositResponseSchema, depositSchema, parseWire } from './wire.ts';

describe("the page's own examples", () => {
  it('the request body, verbatim, is not JSON (trailing comma): parsing fails cleanly, without throwing', () => {
    expect(PAGE_REQUEST_BODY).toContain('"address_line1": "Address Line 1",\n}');
    const result = parseWire(createWithdrawalRequestSchema, PAGE_REQUEST_BODY);
    expect(result.success).toBe(false);
    // Not JSON at all: the schema saw nothing, not a half-read object.
    expect(result.error?.issues[0]?.path).toEqual([]);
    expect(() => JSON.parse(PAGE_REQUEST_BODY)).toThrow(SyntaxError);
  });

  it('the request body, with only the trailing comma dropped, fails only on the obfuscated email', () => {
    const result = createWithdrawalRequestSchema.safeParse(repairedPageRequest());
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['customer.email']);
    const withEmail = { ...repairedPageRequest(), customer: expectedPageRequest().customer };
    expect(createWithdrawalRequestSchema.safeParse(withEmail).success).toBe(true);
  });

  it('the response, verbatim, parses and maps to a PENDING withdrawal in progress', () => {
    const result = parseWire(depositResponseSchema, PAGE_RESPONSE);
    expect(result.success).toBe(true);
    const wire = must(result.data, 'the parsed response').data;
    // amount 100.0 and symbol USDT are the page's sample data, not a conversion rule: the adapter
    // never reads the response's amount.
    expect(wire).toMatchObject({ amount: 100, symbol: 'USDT', currency: 'INR', reference_id: 'payout_1' });
    expect(toPayoutState(wire)).toEqual({
      providerPayoutId: '9a2c4a6b0d98486fbddb405ed7cbdaad',
      outcome: 'processing',
      rawStatus: 'PENDING',
      fees: 0n,
      tax: null,
      utr: null,
      failure: null,
      queuedReason: null,
      stated: {
        amount: 10000n,
        currency: 'INR',
        payoutId: 'payout_1',
        feeCurrency: 'INR',
        // No fee yet (PENDING): both fee readings agree, and net_amount is the page's 0.
        feeReadings: {
          netAmount: 0n,
          readings: { on_top: { paidOut: 10000n, debited: 10000n }, deducted: { paidOut: 10000n, debited: 10000n } },
        },
      },
    });
    expect(referenceOf(wire)).toBe('payout_1');
  });
});

describe('canonical → wire', () => {
  it("produces the page's request for the equivalent payout (our id as customer reference, a real email)", () => {
    expect(toCreateWithdrawalRequest(pagePayout())).toEqual(expectedPageRequest());
  });

  it.each([
    [50000n, '500'],
    [50050n, '500.5'],
    [50055n, '500.55'],
    [50005n, '500.05'],
    [100n, '1'],
    [110n, '1.1'],
    [1n, '0.01'],
    [10n, '0.1'],
    [100000000n, '1000000'],
    [9007199254740991n, '90071992547409.91'],
  ])('amount %s paise → %j', (paise, wire) => {
    expect(toKrayonAmount(paise)).toBe(wire);
  });

  it('sends our payout id as reference_id and customer.reference_id, never the client reference', () => {
    const body = toCreateWithdrawalRequest(pagePayout({ id: 'po_01JD3M5Q8ZK2V7W9X4Y6T0R1SA', referenceId: 'mine' }));
    expect(body.reference_id).toBe('po_01JD3M5Q8ZK2V7W9X4Y6T0R1SA');
    expect(body.customer.reference_id).toBe('po_01JD3M5Q8ZK2V7W9X4Y6T0R1SA');
    expect(referenceFor(pagePayout())).toBe(PAGE_PAYOUT_ID);
  });

  it('description comes from description, else narration, else is left out', () => {
    expect(toCreateWithdrawalRequest(pagePayout({ description: 'd', narration: 'n' })).description).toBe('d');
    expect(toCreateWithdrawalRequest(pagePayout({ description: null, narration: 'n' })).description).toBe('n');
    const none = toCreateWithdrawalRequest(pagePayout({ description: null, narration: null }));
    expect(none).not.toHaveProperty('description');
  });

  it('countries default to IN; the billing country prefers the address, then the beneficiary', () => {
    const { beneficiary } = pagePayout();
    const noCountries = toCreateWithdrawalRequest(
      pagePayout({ beneficiary: { ...beneficiary, country: undefined, address: { line1: 'L1' } } }),
    );
    expect(noCountries.customer.country_code).toBe('IN');
    expect(noCountries.billing_address).toEqual({ country_code: 'IN', address_line1: 'L1' });

    const fromBeneficiary = toCreateWithdrawalRequest(
      pagePayout({ beneficiary: { ...beneficiary, country: 'AE', address: { line1: 'L1' } } }),
    );
    expect(fromBeneficiary.billing_address.country_code).toBe('AE');

    const fromAddress = toCreateWithdrawalRequest(
      pagePayout({ beneficiary: { ...beneficiary, country: 'AE', address: { line1: 'L1', country: 'GB' } } }),
    );
    expect(fromAddress.customer.country_code).toBe('AE');
    expect(fromAddress.billing_address.country_code).toBe('GB');
  });

  it('leaves bank_name out when absent ("non mandatory")', () => {
    const body = toCreateWithdrawalRequest(
      pagePayout({ beneficiary: { ...pagePayout().beneficiary, bank_name: undefined } }),
    );
    expect(body.additional_parameters).toEqual({ bank_code: 'KKBK00000000' });
  });

  it('accepts an IFSC as bank_code', () => {
    const body = toCreateWithdrawalRequest(
      pagePayout({ beneficiary: { ...pagePayout().beneficiary, bank_code: 'KKBK0000958' } }),
    );
    expect(body.additional_parameters.bank_code).toBe('KKBK0000958');
  });

  it('refuses to build a body that breaks the rules (validate runs first; this is a bug guard)', () => {
    expect(() => toCreateWithdrawalRequest(pagePayout({ method: 'NEFT' }))).toThrow();
    expect(() =>
      toCreateWithdrawalRequest(pagePayout({ beneficiary: { ...pagePayout().beneficiary, email: 'x' } })),
    ).toThrow();
  });

  it('sends the page email stand-in we use in fixtures', () => {
    expect(toCreateWithdrawalRequest(pagePayout()).customer.email).toBe(PAGE_EMAIL_STAND_IN);
  });
});

describe('wire → canonical', () => {
  it.each([
    [5, 500n],
    [5.5, 550n],
    [0.01, 1n],
    [0, 0n],
    [12.34, 1234n],
  ])('payment_fee %s rupees → fees %s paise', (fee, paise) => {
    const wire = depositSchema.parse(pageDeposit({ payment_fee: fee }));
    expect(toPayoutState(wire).fees).toBe(paise);
    expect(fromKrayonAmount(fee)).toBe(paise);
  });

  it('states the amount and fee under both fee modes, with the net_amount that tells them apart', () => {
    const onTop = toPayoutState(depositSchema.parse(pageDeposit({ amount: 500, payment_fee: 5, net_amount: 500 })));
    expect(onTop.stated?.feeReadings).toEqual({
      netAmount: 50000n,
      readings: { on_top: { paidOut: 50000n, debited: 50500n }, deducted: { paidOut: 49500n, debited: 50000n } },
    });
    const deducted = toPayoutState(depositSchema.parse(pageDeposit({ amount: 500, payment_fee: 5, net_amount: 495 })));
    expect(deducted.stated?.feeReadings?.netAmount).toBe(49500n);
    expect(toPayoutState(depositSchema.parse(pageDeposit({ payment_fee: null }))).stated?.feeReadings).toBeUndefined();
  });

  it('keeps fees null when Krayon sends no payment_fee', () => {
    expect(toPayoutState(depositSchema.parse(pageDeposit({ payment_fee: null }))).fees).toBeNull();
    const { payment_fee: _omitted, ...withoutFee } = pageDeposit();
    expect(toPayoutState(depositSchema.parse(withoutFee)).fees).toBeNull();
  });

  it.each([0.001, 0.1 + 0.2, -5, 1e21, '5'])('refuses a payment_fee it cannot turn into paise exactly: %j', (fee) => {
    expect(depositSchema.safeParse(pageDeposit({ payment_fee: fee })).success).toBe(false);
  });

  it('accepts unknown extra fields and a non-null payment_details', () => {
    const wire = depositSchema.parse(pageDeposit({ payment_details: { utr: 'X' }, brand_new: [1] }));
    expect(wire.id).toBe('9a2c4a6b0d98486fbddb405ed7cbdaad');
  });

  it.each([
    ['COMPLETED', 'processed', null],
    ['FAILED', 'failed', 'FAILED'],
    ['REJECTED', 'rejected', 'REJECTED'],
    ['CANCELLED', 'cancelled', 'CANCELLED'],
    ['REVERSED', 'reversed', 'REVERSED'],
    ['PROCESSING', 'processing', null],
  ] as const)('%s → %s with failure code %s', (status, outcome, code) => {
    const state = toPayoutState(depositSchema.parse(pageDeposit({ status, payment_fee: 5 })));
    expect(state.outcome).toBe(outcome);
    expect(state.failure?.code ?? null).toBe(code);
    if (code) expect(state.failure?.message).toContain(status);
    expect(state.utr).toBeNull();
    expect(state.queuedReason).toBeNull();
  });

  it('has no reference when Krayon echoes none', () => {
    expect(referenceOf(depositSchema.parse(pageDeposit({ reference_id: null })))).toBeNull();
    expect(referenceOf(depositSchema.parse(pageDeposit({ reference_id: '' })))).toBeNull();
  });
});
