import type { CanonicalPayout } from '../../src/contract/index.ts';
import type { RazorpayxConfig } from '../../src/razorpayx/adapter.ts';

export { type FakeHttp, fakeHttp, json } from '../http.ts';

/**
 * Test fixtures. The two JSON texts are copied verbatim from RazorpayX's "Create a Payout" page, so
 * the tests pin the adapter to what the provider publishes, not to what we believe it sends.
 */

/** The page's curl example: its `-H "X-Payout-Idempotency: …"` value and its `-d '…'` body. */
export const PAGE_IDEMPOTENCY_KEY = '53cda91c-8f81-4e77-bbb9-7388f4ac6bf4';
export const PAGE_REQUEST_BODY = `{
"account_number": "7878780080316316",
"fund_account_id": "fa_00000000000001",
"amount": 1000000,
"currency": "INR",
"mode": "card",
"purpose": "refund",
"queue_if_low_balance": true,
"reference_id": "Acme Transaction ID 12345",
"narration": "Acme Corp Fund Transfer",
"notes": {
"notes_key_1": "Tea, Earl Grey, Hot",
"notes_key_2": "Tea, Earl Grey… decaf."
}
}`;

/** The page's "Success" response. */
export const PAGE_SUCCESS_RESPONSE = `{
"id": "pout_00000000000001",
"entity": "payout",
"fund_account_id": "fa_00000000000001",
"amount": 1000000,
"currency": "INR",
"notes": {
"notes_key_1": "Tea, Earl Grey, Hot",
"notes_key_2": "Tea, Earl Grey… decaf."
},
"fees": 590,
"tax": 90,
"status": "processed",
"utr": null,
"mode": "card",
"purpose": "refund",
"reference_id": "Acme Transaction ID 12345",
"narration": "Acme Corp Fund Transfer",
"batch_id": null,
"failure_reason": null,
"created_at": 1545383037,
"fee_type": "",
"error": {
"description": null,
"source": null,
"reason": null
}
}`;

export const OUR_PAYOUT_ID = 'po_01JD3M5Q8ZK2V7W9X4Y6T0R1SA';

/** The canonical payout that should produce the page's request. */
export function pagePayout(overrides: Partial<CanonicalPayout> = {}): CanonicalPayout {
  return {
    id: OUR_PAYOUT_ID,
    amount: 1000000n,
    currency: 'INR',
    method: 'card',
    purpose: 'refund',
    referenceId: 'Acme Transaction ID 12345',
    narration: 'Acme Corp Fund Transfer',
    beneficiary: { provider_account_id: 'fa_00000000000001' },
    queueIfLowBalance: true,
    metadata: { notes_key_1: 'Tea, Earl Grey, Hot', notes_key_2: 'Tea, Earl Grey… decaf.' },
    idempotencyKey: PAGE_IDEMPOTENCY_KEY,
    ...overrides,
  };
}

/** The page's response as RazorpayX would return it for our payout (our id in the notes). */
export function pageResponse(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const page = JSON.parse(PAGE_SUCCESS_RESPONSE) as Record<string, unknown>;
  return { ...page, notes: { ...(page.notes as object), payout_id: OUR_PAYOUT_ID }, ...overrides };
}

export const TEST_CONFIG: Omit<RazorpayxConfig, 'http'> = {
  baseUrl: 'https://api.razorpay.test/',
  keyId: 'rzp_test_key',
  keySecret: 'rzp_test_secret',
  accountNumber: '7878780080316316',
  webhookSecret: 'whsec_fixed_for_tests',
  timeoutMs: 1000,
};

export function razorpayxError(
  code: string,
  description: string,
  extra: { reason?: string; field?: string; source?: string; step?: string } = {},
): unknown {
  return {
    error: {
      code,
      description,
      source: extra.source ?? 'business',
      step: extra.step ?? 'payout_initiation',
      reason: extra.reason ?? 'input_validation_failed',
      metadata: {},
      field: extra.field ?? null,
    },
  };
}
