import type { z } from 'zod';
import type { HttpClient, HttpRequest } from '../contract/index.ts';
import type { RequestContext } from '../kit/index.ts';
import { readAnswer } from './errors.ts';
import {
  bankingBalanceCollectionSchema,
  type CreateContactRequest,
  type CreateFundAccountRequest,
  type CreatePayoutRequest,
  contactSchema,
  fundAccountSchema,
  payoutCollectionSchema,
  payoutSchema,
  type RazorpayxBankingBalances,
  type RazorpayxPayout,
  type RazorpayxPayoutCollection,
  type UpdateContactRequest,
} from './wire.ts';

/**
 * One method per RazorpayX endpoint, no mapping: wire in, parsed wire out, or a ProviderError.
 * Docs: https://razorpay.com/docs/api/x/payouts/
 */
export interface RazorpayxClient {
  /** `POST /v1/payouts`, with the idempotency key that makes a retry return the first payout. */
  createPayout(body: CreatePayoutRequest, idempotencyKey: string): Promise<RazorpayxPayout>;
  /** `GET /v1/payouts/:id`. */
  getPayout(payoutId: string): Promise<RazorpayxPayout>;
  /**
   * `GET /v1/payouts?account_number=…` with any of reference_id, status, mode, fund_account_id,
   * contact_id, from/to (unix seconds), count (at most 100) and skip; newest first.
   */
  listPayouts(query: ListPayoutsQuery): Promise<RazorpayxPayoutCollection>;
  /** `GET /v1/banking_balances`: every account of the merchant and its balance. */
  getBankingBalances(): Promise<RazorpayxBankingBalances>;
  /** `POST /v1/payouts/:id/cancel`: only a queued (or scheduled) payout can be cancelled. */
  cancelPayout(payoutId: string): Promise<RazorpayxPayout>;
  /** `POST /v1/contacts`: the same details again answer the existing contact. Returns its id. */
  createContact(body: CreateContactRequest): Promise<string>;
  /** `POST /v1/fund_accounts`: the same details again answer the existing fund account. Returns its id. */
  createFundAccount(body: CreateFundAccountRequest): Promise<string>;
  /** `PATCH /v1/contacts/:id`: the fields sent replace the contact's. */
  updateContact(contactId: string, body: UpdateContactRequest): Promise<void>;
}

export interface ListPayoutsQuery {
  account_number: string;
  reference_id?: string;
  status?: string;
  mode?: string;
  fund_account_id?: string;
  contact_id?: string;
  /** Unix seconds, inclusive. */
  from?: number;
  to?: number;
  count?: number;
  skip?: number;
}

export interface RazorpayxClientOptions {
  baseUrl: string;
  keyId: string;
  keySecret: string;
  http: HttpClient;
}

export function createRazorpayxClient(options: RazorpayxClientOptions): RazorpayxClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const authorization = `Basic ${Buffer.from(`${options.keyId}:${options.keySecret}`).toString('base64')}`;

  async function call<S extends z.ZodType>(req: HttpRequest, schema: S, lookup: boolean): Promise<z.infer<S>> {
    const ctx: RequestContext = { method: req.method, lookup };
    // Transport failures arrive already classified (unavailable / outcome_unknown) by the HttpClient.
    const res = await options.http.request({
      ...req,
      headers: { Authorization: authorization, Accept: 'application/json', ...req.headers },
    });
    return readAnswer(res, ctx, schema);
  }

  const payoutUrl = (payoutId: string) => `${baseUrl}/v1/payouts/${encodeURIComponent(payoutId)}`;

  return {
    createPayout(body, idempotencyKey) {
      return call(
        {
          method: 'POST',
          url: `${baseUrl}/v1/payouts`,
          headers: { 'Content-Type': 'application/json', 'X-Payout-Idempotency': idempotencyKey },
          body: JSON.stringify(body),
        },
        payoutSchema,
        false,
      );
    },
    getPayout(payoutId) {
      return call({ method: 'GET', url: payoutUrl(payoutId) }, payoutSchema, true);
    },
    listPayouts(query) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) {
        if (value !== undefined) params.set(name, String(value));
      }
      return call({ method: 'GET', url: `${baseUrl}/v1/payouts?${params}` }, payoutCollectionSchema, false);
    },
    getBankingBalances() {
      return call({ method: 'GET', url: `${baseUrl}/v1/banking_balances` }, bankingBalanceCollectionSchema, true);
    },
    cancelPayout(payoutId) {
      return call({ method: 'POST', url: `${payoutUrl(payoutId)}/cancel` }, payoutSchema, true);
    },
    // Repeating either create is safe (RazorpayX answers the existing record), so an unknown
    // outcome is settled by sending it again (the worker's registration does).
    async createContact(body) {
      const contact = await call(
        {
          method: 'POST',
          url: `${baseUrl}/v1/contacts`,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        },
        contactSchema,
        false,
      );
      return contact.id;
    },
    async updateContact(contactId, body) {
      await call(
        {
          method: 'PATCH',
          url: `${baseUrl}/v1/contacts/${encodeURIComponent(contactId)}`,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        },
        contactSchema,
        false,
      );
    },
    async createFundAccount(body) {
      const account = await call(
        {
          method: 'POST',
          url: `${baseUrl}/v1/fund_accounts`,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        },
        fundAccountSchema,
        false,
      );
      return account.id;
    },
  };
}
