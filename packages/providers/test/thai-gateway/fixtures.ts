import type { CanonicalPayout } from '../../src/contract/index.ts';
import type { ThaiGatewayConfig } from '../../src/thai-gateway/adapter.ts';

export { type FakeHttp, fakeHttp, json } from '../http.ts';

/**
 * Test fixtures from the gateway's "Create Withdraw" page, so the tests pin the adapter to what the
 * provider publishes, not to what we believe it sends.
 */

/** The page's example calls `Date.now()` for the timestamp and ids; tests fix it here. */
export const PAGE_NOW = Date.parse('2024-01-01T00:00:00.000Z');

/**
 * The page's example request body, built exactly as its code builds it (`JSON.stringify` of the
 * same object literal, same key order) with `Date.now()` fixed.
 */
export function pageRequestBody(now = PAGE_NOW): string {
  return JSON.stringify({
    amount: '1000.00',
    currency: 'THB',
    referenceId: `payout-${now}`,
    destinationType: 'bank_account',
    customerBankAccountName: 'John Doe',
    customerBankAccountNumber: '1234567890',
    customerBankCode: '004',
    description: 'Payout for order #12345',
    metadata: {
      order_id: '12345',
    },
    idempotencyKey: `payout-12345-${now}`,
  });
}

/** The page's "Success Response (201 Created)", verbatim. */
export const PAGE_SUCCESS_RESPONSE = `{
  "success": true,
  "data": {
    "id": "660e8400-e29b-41d4-a716-446655440001",
    "amount": "1000.00",
    "currency": "THB",
    "status": "pending",
    "referenceId": "payout-12345",
    "destinationType": "bank_account",
    "bankAccountNumber": "1234****7890",
    "bankAccountName": "John Doe",
    "bankCode": "004",
    "destinationId": null,
    "description": "Payout for order #12345",
    "metadata": {
      "order_id": "12345"
    },
    "paidAt": null,
    "canceledAt": null,
    "createdAt": "2024-01-01T00:00:00.000Z",
    "updatedAt": "2024-01-01T00:00:00.000Z"
  }
}`;

/** The page's "Error Response (400 Bad Request)", verbatim. */
export const PAGE_ERROR_RESPONSE = `{
  "success": false,
  "error": {
    "code": "VALIDATION_ERROR",
    "message": "amount must be a valid decimal number",
    "metadata": {
      "field": "amount"
    }
  }
}`;

export const PAGE_WITHDRAW_ID = '660e8400-e29b-41d4-a716-446655440001';
export const OUR_PAYOUT_ID = 'po_01JD3M5Q8ZK2V7W9X4Y6T0R1SA';

/**
 * The canonical payout that produces the page's request: its `referenceId` (`payout-<now>`) stands
 * in for our payout id, and 1000.00 THB is 100000 satang (the reading chosen in transformers.ts).
 */
export function pagePayout(overrides: Partial<CanonicalPayout> = {}): CanonicalPayout {
  return {
    id: `payout-${PAGE_NOW}`,
    amount: 100000n,
    currency: 'THB',
    method: 'bank_account',
    referenceId: null,
    narration: null,
    description: 'Payout for order #12345',
    beneficiary: { name: 'John Doe', account_number: '1234567890', bank_code: '004' },
    queueIfLowBalance: false,
    metadata: { order_id: '12345' },
    idempotencyKey: `payout-12345-${PAGE_NOW}`,
    ...overrides,
  };
}

/** The page's withdraw object, with fields replaced. */
export function pageWithdraw(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const page = JSON.parse(PAGE_SUCCESS_RESPONSE) as { data: Record<string, unknown> };
  return { ...page.data, ...overrides };
}

/** The page's success envelope around a (changed) withdraw object. */
export function pageResponse(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { success: true, data: pageWithdraw(overrides) };
}

export const TEST_CONFIG: Omit<ThaiGatewayConfig, 'http'> = {
  baseUrl: 'https://api.thai-gateway.test/',
  apiKey: 'thai_test_key',
  apiSecret: 'thai_test_secret',
  timeoutMs: 1000,
  now: () => PAGE_NOW,
};

/** The page's error format. */
export function gatewayError(code: string, message: string, field?: string): unknown {
  return { success: false, error: { code, message, metadata: field === undefined ? {} : { field } } };
}
