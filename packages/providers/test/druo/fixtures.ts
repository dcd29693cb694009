import type { CanonicalPayout } from '../../src/contract/index.ts';
import type { DruoConfig } from '../../src/druo/adapter.ts';

export { type FakeHttp, fakeHttp, json } from '../http.ts';

/**
 * Test fixtures. The JSON texts are copied verbatim from DRUO's "Create Payout" page, so the
 * tests pin the adapter to what the provider publishes, not to what we believe it sends.
 */

/** The page's curl example: its `--data '…'` body. */
export const PAGE_REQUEST_BODY =
  '{ "tenant_id": "ten_35516d40-ca41-4fa3-885c-d13d0ccdae0a", "amount": 20000, "destination_account_id": "acc_b7c41206-afb4-4954-a15c-dbcd59356120", "currency": "USD" }';

/** The page's example response. */
export const PAGE_RESPONSE =
  '{ "payout": { "uuid": "trx_1cb6a2ab-2351-436b-99df-e00fd9b9cf6a", "code": "TIWQVAVG9AA", "status": "PENDING", "remarks": null, "tenant": { "uuid": "ten_35516d40-ca41-4fa3-885c-d13d0ccdae0a" }, "creation_source": null, "type": "PAYOUT", "amount": 1, "currency": { "code": "COP" }, "description": "This is a payout 123", "primary_reference": "primary 123", "secondary_reference": "secondary 123", "metadata": { "key1": "value1", "key2": "value2", "key3": "value3" }, "decline_reason": null, "date_created_gmt": "2023-05-24T10:40:06.474Z", "date_updated_gmt": "2023-05-24T10:40:06.474Z", "net_amount": null, "fixed_fee": null, "total_fee": null, "variable_fee": null } }';

/**
 * A transaction assembled from the page's "Example value" of every response field, in the page's
 * order, verbatim (metadata is a string there; `decline_reason` is misspelt there).
 */
export const PAGE_FIELD_EXAMPLES = {
  uuid: 'trx_422f0f81-5001-4cce-a229-242d9ab9960a',
  code: 'TXNMW9PCWE',
  status: 'SUCCESSFUL',
  remarks: 'INSUFFICIENT_FUNDS',
  tenant: { uuid: 'ten_0521aadc-5fbd-4b3c-af0a-a4f4b8d6f20a' },
  creation_source: 'MERCHANT_API',
  destination_account: { uuid: 'acc_0521aadc-5fbd-4b3c-af0a-a4f4b8d6f20a' },
  type: 'PAYOUT',
  amount: 10000,
  currency: { code: 'USD' },
  description: 'Insurance policy renewal - INV12324',
  primary_reference: 'ABC123',
  secondary_reference: 'bj39fhow39fhqp3f0hfae4344',
  metadata: '{"order_id": "6735"}',
  decline_reason: 'INSUFFICCIENT_FUNDS',
  date_created_gmt: '2021-11-15T23:23:38',
  date_updated_gmt: '2021-11-15T23:23:38',
  net_amount: 20400,
  fixed_fee: 0,
  total_fee: 400,
  variable_fee: 400,
} as const;

/** Our payout ids are 29 characters: within DRUO's 40 for `primary_reference`. */
export const OUR_PAYOUT_ID = 'po_01JD3M5Q8ZK2V7W9X4Y6T0R1SA';
export const PAGE_TENANT_ID = 'ten_35516d40-ca41-4fa3-885c-d13d0ccdae0a';
export const PAGE_ACCOUNT_ID = 'acc_b7c41206-afb4-4954-a15c-dbcd59356120';

/** The canonical payout that should produce the page's request (plus our primary_reference). */
export function pagePayout(overrides: Partial<CanonicalPayout> = {}): CanonicalPayout {
  return {
    id: OUR_PAYOUT_ID,
    amount: 20000n,
    currency: 'USD',
    method: 'bank_account',
    purpose: null,
    referenceId: null,
    narration: null,
    description: null,
    beneficiary: { provider_account_id: PAGE_ACCOUNT_ID },
    queueIfLowBalance: false,
    metadata: null,
    idempotencyKey: 'idem_01JD3M5Q8ZK2V7W9X4Y6T0R1SA',
    ...overrides,
  };
}

/** A transaction as DRUO would return it for our payout: the page's response, our reference. */
export function pageTransaction(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { payout } = JSON.parse(PAGE_RESPONSE) as { payout: Record<string, unknown> };
  return { ...payout, primary_reference: OUR_PAYOUT_ID, ...overrides };
}

/** `{"payout": …}`, the envelope of every single-transaction answer. */
export function envelope(overrides: Record<string, unknown> = {}): { payout: Record<string, unknown> } {
  return { payout: pageTransaction(overrides) };
}

/** DRUO's answer to a create it could not fund: a transaction, already DECLINED (HTTP 200). */
export function declinedForFunds(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return pageTransaction({
    status: 'DECLINED',
    decline_reason: 'INSUFFICIENT_FUNDS',
    remarks: 'INSUFFICIENT_FUNDS',
    ...overrides,
  });
}

export const TEST_CONFIG: Omit<DruoConfig, 'http'> = {
  baseUrl: 'https://api.druo.test/',
  accessToken: 'druo_test_token',
  tenantId: PAGE_TENANT_ID,
  timeoutMs: 1000,
};

/** DRUO's error body (format assumed, ASSUMPTIONS.md). */
export function druoError(code: string, message: string, field: string | null = null): unknown {
  return { error: { code, message, field } };
}
