import type { CanonicalPayout } from '../../src/contract/index.ts';
import type { KrayonConfig } from '../../src/krayon/adapter.ts';

export { type FakeHttp, fakeHttp, json } from '../http.ts';

/**
 * Test fixtures. The two JSON texts are copied verbatim from Krayon's "Generate Withdrawals
 * (Pay-Out)" page, so the tests pin the adapter to what
 * the provider publishes, not to what we believe it sends.
 */

/**
 * The page's request body (its third copy, the bare JSON). It is NOT valid JSON: a trailing comma
 * follows `address_line1`. The email reads "[email protected]" because the published page was
 * run through Cloudflare's email obfuscation; that is what the page says, so it stays.
 */
export const PAGE_REQUEST_BODY = `{
"amount": "500",
"reference_id": "payout_1",
"description": "first payout for the organization",
"currency": "INR",
"customer": {
"reference_id": "krayon_1337",
"country_code": "IN",
"email": "[email protected]",
"first_name": "elon",
"last_name": "mush",
"phone": "919895270111",
"account_number": "1111111111"
},
"billing_address": {
"country_code": "IN",
"address_line1": "Address Line 1",
},
"additional_parameters":{
"bank_code":"KKBK00000000",
"bank_name": "ICICI BANK"
},
"payment_method": "IMPS",
"type": "WITHDRAWAL"
}`;

/**
 * The page's response. `amount: 100.0` and `symbol: "USDT"` disagree with the request's "500" INR:
 * sample data, not a conversion rule (ASSUMPTIONS.md). `payment_fee` and `net_amount` are 0 at PENDING.
 */
export const PAGE_RESPONSE = `{
"data": {
"id": "9a2c4a6b0d98486fbddb405ed7cbdaad",
"organization": "org_1NSEcKMC5m5j24GY",
"status": "PENDING",
"qr_code": "",
"customer_email": "[email protected]",
"customer_country": "IN",
"reference_id": "payout_1",
"created_at": "2023-05-02T17:01:22.809084Z",
"payment_details": null,
"amount": 100.0,
"symbol": "USDT",
"type": "WITHDRAWAL",
"payment_method": "IMPS",
"description": "first payout for the organization",
"return_url": "https://www.krayondigital.com",
"webhook_url": "",
"currency": "INR",
"redirect_url": "",
"payment_fee": 0,
"net_amount": 0
}
}`;

/** The page's body made valid JSON: only the trailing comma is dropped. */
export function repairedPageRequest(): Record<string, unknown> {
  return JSON.parse(PAGE_REQUEST_BODY.replace(/,(\s*})/g, '$1')) as Record<string, unknown>;
}

/** Stands in for the page's obfuscated email, which no email check accepts. */
export const PAGE_EMAIL_STAND_IN = 'elon@example.com';

/** The page's `reference_id`; used as our payout id so the request matches the page's. */
export const PAGE_PAYOUT_ID = 'payout_1';

/**
 * The canonical payout that produces the page's request, except for what we fill ourselves:
 * `customer.reference_id` is our payout id (the page's is "krayon_1337") and the email is real.
 */
export function pagePayout(overrides: Partial<CanonicalPayout> = {}): CanonicalPayout {
  return {
    id: PAGE_PAYOUT_ID,
    amount: 50000n,
    currency: 'INR',
    method: 'IMPS',
    referenceId: 'client-ref-42',
    description: 'first payout for the organization',
    beneficiary: {
      country: 'IN',
      email: PAGE_EMAIL_STAND_IN,
      first_name: 'elon',
      last_name: 'mush',
      phone: '919895270111',
      account_number: '1111111111',
      address: { line1: 'Address Line 1', country: 'IN' },
      bank_code: 'KKBK00000000',
      bank_name: 'ICICI BANK',
    },
    queueIfLowBalance: false,
    idempotencyKey: 'idem_payout_1',
    ...overrides,
  };
}

/** The page's request as we send it for `pagePayout()`. */
export function expectedPageRequest(): Record<string, unknown> {
  const page = repairedPageRequest();
  return {
    ...page,
    customer: { ...(page.customer as object), reference_id: PAGE_PAYOUT_ID, email: PAGE_EMAIL_STAND_IN },
  };
}

/** The page's deposit object, with overrides (`{data: {...}}` is added by `pageResponse`). */
export function pageDeposit(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { data } = JSON.parse(PAGE_RESPONSE) as { data: Record<string, unknown> };
  return { ...data, ...overrides };
}

export function pageResponse(overrides: Record<string, unknown> = {}): { data: Record<string, unknown> } {
  return { data: pageDeposit(overrides) };
}

export const TEST_CONFIG: Omit<KrayonConfig, 'http'> = {
  baseUrl: 'https://api.aqua.test.krayondigital.com/',
  apiToken: 'krayon_test_token',
  timeoutMs: 1000,
};

export function krayonError(code: string, message: string, field: string | null = null): unknown {
  return { error: { code, message, field } };
}
