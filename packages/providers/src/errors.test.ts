import { describe, expect, it } from 'vitest';
import * as druoFixtures from '../test/druo/fixtures.ts';
import { type FakeHttp, fakeHttp, json } from '../test/http.ts';
import * as krayonFixtures from '../test/krayon/fixtures.ts';
import { errorOf } from '../test/provider-error.ts';
import * as razorpayxFixtures from '../test/razorpayx/fixtures.ts';
import * as thaiFixtures from '../test/thai-gateway/fixtures.ts';
import {
  type CanonicalPayout,
  type HttpClient,
  type HttpResponse,
  type ProviderAdapter,
  ProviderError,
} from './contract/index.ts';
import { createDruoAdapter } from './druo/adapter.ts';
import { canonicalField as druoField } from './druo/errors.ts';
import { createKrayonAdapter } from './krayon/adapter.ts';
import { canonicalField as krayonField } from './krayon/errors.ts';
import { createRazorpayxAdapter } from './razorpayx/adapter.ts';
import { canonicalField as razorpayxField } from './razorpayx/errors.ts';
import { createThaiGatewayAdapter } from './thai-gateway/adapter.ts';
import { canonicalField as thaiField } from './thai-gateway/errors.ts';

/*
 * Every adapter turns HTTP answers into the same ProviderError kinds, so one suite checks them all:
 * the rules every provider shares run over each, and what differs (error envelopes, codes, statuses,
 * field names) is a table per provider.
 */

/** One provider-specific answer and the ProviderError it must become. */
interface ErrorCase {
  readonly name: string;
  readonly answer: HttpResponse;
  readonly call: 'submit' | 'lookupById' | 'lookupByReference' | 'cancel';
  /** For `submit` and `lookupByReference`: overrides of the page's payout. */
  readonly payout?: Partial<CanonicalPayout>;
  /** For `lookupById` and `cancel`. */
  readonly id?: string;
  readonly expected: Record<string, unknown>;
}

interface ProviderErrors {
  readonly name: string;
  adapter(http: HttpClient): ProviderAdapter;
  pagePayout(overrides?: Partial<CanonicalPayout>): CanonicalPayout;
  canonicalField(wire: unknown): string | null;
  /** An id to look up. */
  readonly id: string;
  /** The body of a 429, in the provider's error envelope. */
  readonly rateLimited: unknown;
  /** The 2xx status a create answers with, and create bodies that are not a payout. */
  readonly createdStatus: number;
  readonly notAPayout: readonly string[];
  /** 2xx read bodies that are not a payout: for a lookup by id, and by reference. */
  readonly notAPayoutById: unknown;
  readonly notAPayoutByReference: unknown;
  /** A payout the provider's rules refuse, and the first field they name. */
  readonly invalid: { readonly payout: Partial<CanonicalPayout>; readonly field: string; readonly mentions?: string };
  /** Wire field → our canonical path; and wire fields that are ours or unknown (→ null). */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  readonly notFields: readonly unknown[];
  readonly cases: readonly ErrorCase[];
}

const { druoError } = druoFixtures;
const druo: ProviderErrors = {
  name: 'DRUO',
  adapter: (http) => createDruoAdapter({ ...druoFixtures.TEST_CONFIG, http }),
  pagePayout: druoFixtures.pagePayout,
  canonicalField: druoField,
  id: 'trx_1',
  rateLimited: druoError('RATE_LIMITED', 'Too many requests'),
  createdStatus: 200,
  notAPayout: [
    'not json',
    '{}',
    JSON.stringify(druoFixtures.envelope({ amount: '20000' })),
    JSON.stringify(druoFixtures.envelope().payout),
  ],
  notAPayoutById: { uuid: 'trx_1' },
  notAPayoutByReference: { payout: null },
  invalid: { payout: { amount: 0n, referenceId: 'r'.repeat(41) }, field: 'amount' },
  fields: [
    ['amount', 'amount'],
    ['currency', 'currency'],
    ['destination_account_id', 'beneficiary.provider_account_id'],
    ['secondary_reference', 'reference_id'],
    ['description', 'description'],
    ['metadata', 'metadata'],
    ['metadata.order_id', 'metadata.order_id'],
  ],
  notFields: [
    'primary_reference',
    'tenant_id',
    'DRUO-Version',
    'constructor',
    'metadata.a.b',
    'something_new',
    '',
    null,
  ],
  cases: [
    {
      name: '401 (token or DRUO-Version refused) → auth, with the message',
      answer: json(401, druoError('UNAUTHORIZED', 'Invalid or missing access token')),
      call: 'submit',
      expected: {
        kind: 'auth',
        providerCode: 'UNAUTHORIZED',
        httpStatus: 401,
        message: 'Invalid or missing access token',
      },
    },
    {
      name: '403 → auth',
      answer: json(403, druoError('FORBIDDEN', 'Not allowed')),
      call: 'lookupById',
      expected: { kind: 'auth', httpStatus: 403 },
    },
    {
      name: '404 on a lookup by uuid → not_found',
      answer: json(404, druoError('NOT_FOUND', 'Payout not found')),
      call: 'lookupById',
      id: 'trx_missing',
      expected: { kind: 'not_found', providerCode: 'NOT_FOUND', httpStatus: 404 },
    },
    {
      name: '404 on a create (a wrong URL, nothing created) → invalid_request',
      answer: json(404, druoError('NOT_FOUND', 'No route')),
      call: 'submit',
      expected: { kind: 'invalid_request', httpStatus: 404 },
    },
    {
      name: '400 VALIDATION_ERROR → invalid_request with message and our field path',
      answer: json(400, druoError('VALIDATION_ERROR', 'Destination account not found', 'destination_account_id')),
      call: 'submit',
      expected: {
        kind: 'invalid_request',
        providerCode: 'VALIDATION_ERROR',
        message: 'Destination account not found',
        field: 'beneficiary.provider_account_id',
        httpStatus: 400,
      },
    },
    {
      name: 'a 4xx error coded INSUFFICIENT_FUNDS (no transaction at all) → insufficient_balance',
      answer: json(400, druoError('INSUFFICIENT_FUNDS', 'Insufficient funds')),
      call: 'submit',
      expected: { kind: 'insufficient_balance', providerCode: 'INSUFFICIENT_FUNDS', httpStatus: 400 },
    },
  ],
};

const { krayonError, pageResponse: krayonResponse } = krayonFixtures;
const krayon: ProviderErrors = {
  name: 'Krayon',
  adapter: (http) => createKrayonAdapter({ ...krayonFixtures.TEST_CONFIG, http }),
  pagePayout: krayonFixtures.pagePayout,
  canonicalField: krayonField,
  id: '9a2c4a6b0d98486fbddb405ed7cbdaad',
  rateLimited: krayonError('RATE_LIMITED', 'Too many requests'),
  createdStatus: 201,
  notAPayout: [
    'not json',
    '{}',
    JSON.stringify(krayonResponse()).replace('"data"', '"deposit"'),
    JSON.stringify(krayonResponse({ amount: '100.0' })),
    JSON.stringify(krayonResponse({ payment_fee: 0.005 })),
  ],
  notAPayoutById: { data: { id: 'x' } },
  notAPayoutByReference: { data: krayonResponse().data },
  invalid: { payout: { amount: 10n, method: 'NEFT' }, field: 'amount', mentions: 'method' },
  fields: [
    ['amount', 'amount'],
    ['currency', 'currency'],
    ['description', 'description'],
    ['payment_method', 'method'],
    ['customer.country_code', 'beneficiary.country'],
    ['customer.email', 'beneficiary.email'],
    ['customer.first_name', 'beneficiary.first_name'],
    ['customer.last_name', 'beneficiary.last_name'],
    ['customer.phone', 'beneficiary.phone'],
    ['customer.account_number', 'beneficiary.account_number'],
    ['billing_address.country_code', 'beneficiary.address.country'],
    ['billing_address.address_line1', 'beneficiary.address.line1'],
    ['additional_parameters.bank_code', 'beneficiary.bank_code'],
    ['additional_parameters.bank_name', 'beneficiary.bank_name'],
  ],
  notFields: ['reference_id', 'customer.reference_id', 'type', 'constructor', 'something_new', '', null],
  cases: [
    {
      name: '401 UNAUTHORIZED → auth, with the message',
      answer: json(401, krayonError('UNAUTHORIZED', 'Invalid or missing API token')),
      call: 'submit',
      expected: {
        kind: 'auth',
        providerCode: 'UNAUTHORIZED',
        httpStatus: 401,
        message: 'Invalid or missing API token',
      },
    },
    {
      name: '404 NOT_FOUND on a lookup by id → not_found',
      answer: json(404, krayonError('NOT_FOUND', 'Deposit not found')),
      call: 'lookupById',
      id: '0000',
      expected: { kind: 'not_found', providerCode: 'NOT_FOUND', httpStatus: 404 },
    },
    {
      name: '404 on a create (a wrong URL, not a missing payout) → invalid_request',
      answer: json(404, krayonError('NOT_FOUND', 'No route')),
      call: 'submit',
      expected: { kind: 'invalid_request' },
    },
    {
      name: '409 DUPLICATE_REFERENCE_ID → duplicate (it exists: look it up)',
      answer: json(409, krayonError('DUPLICATE_REFERENCE_ID', 'reference_id already used', 'reference_id')),
      call: 'submit',
      expected: { kind: 'duplicate', providerCode: 'DUPLICATE_REFERENCE_ID', httpStatus: 409 },
    },
    {
      name: '409 on a create without a readable body → duplicate still: a lookup is safe, a failure is not',
      answer: json(409, '<html>conflict</html>'),
      call: 'submit',
      expected: { kind: 'duplicate', providerCode: 'HTTP_409' },
    },
    {
      name: '400 INSUFFICIENT_BALANCE → insufficient_balance',
      answer: json(400, krayonError('INSUFFICIENT_BALANCE', 'Insufficient balance')),
      call: 'submit',
      expected: { kind: 'insufficient_balance', providerCode: 'INSUFFICIENT_BALANCE', httpStatus: 400 },
    },
    {
      name: '400 VALIDATION_ERROR → invalid_request with message and our field path',
      answer: json(400, krayonError('VALIDATION_ERROR', 'customer.email must be an email address', 'customer.email')),
      call: 'submit',
      expected: {
        kind: 'invalid_request',
        providerCode: 'VALIDATION_ERROR',
        message: 'customer.email must be an email address',
        field: 'beneficiary.email',
        httpStatus: 400,
      },
    },
  ],
};

const { razorpayxError, pageResponse: razorpayxResponse } = razorpayxFixtures;
const razorpayx: ProviderErrors = {
  name: 'RazorpayX',
  adapter: (http) => createRazorpayxAdapter({ ...razorpayxFixtures.TEST_CONFIG, http }),
  pagePayout: razorpayxFixtures.pagePayout,
  canonicalField: razorpayxField,
  id: 'pout_00000000000001',
  rateLimited: razorpayxError('BAD_REQUEST_ERROR', 'Too many requests'),
  createdStatus: 200,
  notAPayout: ['not json', '{}', JSON.stringify(razorpayxResponse({ amount: '1000000' }))],
  notAPayoutById: { id: 'pout_1' },
  notAPayoutByReference: { entity: 'collection' },
  invalid: { payout: { amount: 10n, narration: 'x!' }, field: 'amount' },
  fields: [
    ['amount', 'amount'],
    ['mode', 'method'],
    ['purpose', 'purpose'],
    ['narration', 'narration'],
    ['reference_id', 'reference_id'],
    ['notes', 'metadata'],
    ['currency', 'currency'],
    ['fund_account_id', 'beneficiary.provider_account_id'],
    ['fund_account.bank_account.ifsc', 'beneficiary.bank_code'],
    ['fund_account.bank_account.account_number', 'beneficiary.account_number'],
    ['fund_account.bank_account.name', 'beneficiary.name'],
  ],
  notFields: ['account_number', 'constructor', 'something_new', '', null],
  cases: [
    {
      name: '401 → auth, with the description',
      answer: json(401, razorpayxError('BAD_REQUEST_ERROR', 'The api key provided is invalid')),
      call: 'submit',
      expected: {
        kind: 'auth',
        providerCode: 'BAD_REQUEST_ERROR',
        httpStatus: 401,
        message: 'The api key provided is invalid',
      },
    },
    {
      name: 'our own account number refused → auth ACCOUNT_MISCONFIGURED (the configuration, not the payout)',
      answer: json(
        400,
        razorpayxError('BAD_REQUEST_ERROR', 'The account number is invalid', { field: 'account_number' }),
      ),
      call: 'submit',
      expected: { kind: 'auth', providerCode: 'ACCOUNT_MISCONFIGURED', httpStatus: 400 },
    },
    {
      name: '404 on a lookup by id → not_found',
      answer: json(404, razorpayxError('BAD_REQUEST_ERROR', 'The id provided does not exist', { field: 'id' })),
      call: 'lookupById',
      id: 'pout_missing',
      expected: { kind: 'not_found', httpStatus: 404 },
    },
    {
      name: '404 on a cancel by id → not_found',
      answer: json(404, razorpayxError('BAD_REQUEST_ERROR', 'The id provided does not exist')),
      call: 'cancel',
      id: 'pout_missing',
      expected: { kind: 'not_found' },
    },
    {
      name: '400 insufficient_balance → insufficient_balance',
      answer: json(
        400,
        razorpayxError('BAD_REQUEST_ERROR', 'Your account does not have enough balance', {
          reason: 'insufficient_balance',
        }),
      ),
      call: 'submit',
      payout: { queueIfLowBalance: false },
      expected: { kind: 'insufficient_balance', providerCode: 'BAD_REQUEST_ERROR', httpStatus: 400 },
    },
    {
      name: '400 idempotency_conflict → invalid_request IDEMPOTENCY_CONFLICT',
      answer: json(
        400,
        razorpayxError('BAD_REQUEST_ERROR', 'Different request body sent for the same idempotency key', {
          reason: 'idempotency_conflict',
        }),
      ),
      call: 'submit',
      expected: { kind: 'invalid_request', providerCode: 'IDEMPOTENCY_CONFLICT', httpStatus: 400 },
    },
    {
      name: 'other 400 → invalid_request with code, description and our field path',
      answer: json(400, razorpayxError('BAD_REQUEST_ERROR', 'Invalid fund account id', { field: 'fund_account_id' })),
      call: 'submit',
      expected: {
        kind: 'invalid_request',
        providerCode: 'BAD_REQUEST_ERROR',
        message: 'Invalid fund account id',
        field: 'beneficiary.provider_account_id',
        httpStatus: 400,
      },
    },
  ],
};

const { gatewayError, pageResponse: thaiResponse } = thaiFixtures;
const thaiGateway: ProviderErrors = {
  name: 'Thai gateway',
  adapter: (http) => createThaiGatewayAdapter({ ...thaiFixtures.TEST_CONFIG, http }),
  pagePayout: thaiFixtures.pagePayout,
  canonicalField: thaiField,
  id: 'w_1',
  rateLimited: gatewayError('RATE_LIMITED', 'slow down'),
  createdStatus: 201,
  notAPayout: ['not json', '{}', JSON.stringify({ success: false, data: {} }), JSON.stringify(thaiResponse({ id: 7 }))],
  notAPayoutById: { success: true },
  notAPayoutByReference: thaiResponse(),
  invalid: {
    payout: { beneficiary: { name: 'John Doe', account_number: '1234567890', bank_code: '4' } },
    field: 'beneficiary.bank_code',
  },
  fields: [
    ['amount', 'amount'],
    ['currency', 'currency'],
    ['referenceId', 'reference_id'],
    ['destinationType', 'method'],
    ['customerBankAccountName', 'beneficiary.name'],
    ['customerBankAccountNumber', 'beneficiary.account_number'],
    ['customerBankCode', 'beneficiary.bank_code'],
    ['description', 'description'],
    ['metadata', 'metadata'],
  ],
  notFields: ['idempotencyKey', 'constructor', 'merchantId', '', null],
  cases: [
    {
      name: "the page's 400 example → invalid_request on amount",
      answer: json(400, thaiFixtures.PAGE_ERROR_RESPONSE),
      call: 'submit',
      expected: {
        kind: 'invalid_request',
        providerCode: 'VALIDATION_ERROR',
        message: 'amount must be a valid decimal number',
        field: 'amount',
        httpStatus: 400,
      },
    },
    {
      name: '400 INVALID_AMOUNT → invalid_request on amount, even without metadata.field',
      answer: json(400, gatewayError('INVALID_AMOUNT', 'Amount must be a valid decimal number')),
      call: 'submit',
      expected: { kind: 'invalid_request', providerCode: 'INVALID_AMOUNT', field: 'amount' },
    },
    {
      name: '400 INVALID_BANK_CODE → invalid_request on beneficiary.bank_code',
      answer: json(
        400,
        gatewayError('INVALID_BANK_CODE', 'Bank code must be a valid 3-digit Thai bank code', 'customerBankCode'),
      ),
      call: 'submit',
      expected: { kind: 'invalid_request', providerCode: 'INVALID_BANK_CODE', field: 'beneficiary.bank_code' },
    },
    {
      name: '400 INVALID_BANK_CODE without metadata.field → still on beneficiary.bank_code',
      answer: json(400, gatewayError('INVALID_BANK_CODE', 'bad')),
      call: 'submit',
      expected: { field: 'beneficiary.bank_code' },
    },
    {
      name: '422 INSUFFICIENT_BALANCE → insufficient_balance',
      answer: json(422, gatewayError('INSUFFICIENT_BALANCE', 'Merchant account has insufficient balance')),
      call: 'submit',
      expected: { kind: 'insufficient_balance', providerCode: 'INSUFFICIENT_BALANCE', httpStatus: 422 },
    },
    {
      name: '409 DUPLICATE_REFERENCE_ID → duplicate (look it up: it exists)',
      answer: json(
        409,
        gatewayError('DUPLICATE_REFERENCE_ID', 'Reference ID already exists for this merchant', 'referenceId'),
      ),
      call: 'submit',
      expected: { kind: 'duplicate', providerCode: 'DUPLICATE_REFERENCE_ID', field: 'reference_id', httpStatus: 409 },
    },
    {
      name: '401 INVALID_CREDENTIALS → auth, with the message',
      answer: json(401, gatewayError('INVALID_CREDENTIALS', 'Authentication failed')),
      call: 'submit',
      expected: {
        kind: 'auth',
        providerCode: 'INVALID_CREDENTIALS',
        httpStatus: 401,
        message: 'Authentication failed',
      },
    },
    {
      name: '404 NOT_FOUND on a lookup by id → not_found',
      answer: json(404, gatewayError('NOT_FOUND', 'Withdraw not found')),
      call: 'lookupById',
      id: 'w_missing',
      expected: { kind: 'not_found', providerCode: 'NOT_FOUND', httpStatus: 404 },
    },
    {
      name: '404 on a create is a wrong URL, not a missing withdraw → invalid_request',
      answer: json(404, 'Not Found'),
      call: 'submit',
      expected: { kind: 'invalid_request', httpStatus: 404 },
    },
    {
      name: '404 on a list is a wrong URL too → invalid_request',
      answer: json(404, 'Not Found'),
      call: 'lookupByReference',
      expected: { kind: 'invalid_request' },
    },
  ],
};

describe.each([druo, krayon, razorpayx, thaiGateway].map((provider) => [provider.name, provider] as const))(
  '%s errors → ProviderError kinds',
  (_name, provider) => {
    const answering = (...responses: Array<HttpResponse | Error>) => provider.adapter(fakeHttp(...responses));
    const page = () => provider.pagePayout();

    it('429 → rate_limited with Retry-After', async () => {
      const answer = json(429, provider.rateLimited, { 'retry-after': '3' });
      const error = await errorOf(answering(answer).submit(page()));
      expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000, httpStatus: 429 });
    });

    it('5xx on a create → outcome_unknown (it may have been committed)', async () => {
      const error = await errorOf(answering(json(502, 'Bad Gateway')).submit(page()));
      expect(error).toMatchObject({ kind: 'outcome_unknown', httpStatus: 502 });
    });

    it('5xx on a read → unavailable', async () => {
      const error = await errorOf(answering(json(503, '')).lookupById(provider.id));
      expect(error).toMatchObject({ kind: 'unavailable', httpStatus: 503 });
      const list = await errorOf(answering(json(500, '')).lookupByReference(page()));
      expect(list).toMatchObject({ kind: 'unavailable', httpStatus: 500 });
    });

    it('a 3xx (redirects are not followed) → outcome_unknown on a create, unavailable on a read', async () => {
      expect((await errorOf(answering(json(302, '')).submit(page()))).kind).toBe('outcome_unknown');
      expect((await errorOf(answering(json(302, '')).lookupById(provider.id))).kind).toBe('unavailable');
    });

    it('401 without a body → auth', async () => {
      const error = await errorOf(answering(json(401, '')).lookupById(provider.id));
      expect(error).toMatchObject({ kind: 'auth', providerCode: 'HTTP_401' });
    });

    it('400 without a readable body → invalid_request, still', async () => {
      const error = await errorOf(answering(json(400, '<html>bad request</html>')).submit(page()));
      expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'HTTP_400', field: null });
    });

    it.each(provider.cases.map((c) => [c.name, c] as const))(
      '%s',
      async (_name, { answer, call, payout, id, expected }) => {
        const adapter = answering(answer);
        const pending =
          call === 'submit' || call === 'lookupByReference'
            ? adapter[call](provider.pagePayout(payout))
            : adapter[call](id ?? provider.id);
        expect(await errorOf(pending)).toMatchObject(expected);
      },
    );

    it.each(provider.fields)('field %s → %s', (wire, canonical) => {
      expect(provider.canonicalField(wire)).toBe(canonical);
    });

    it.each(provider.notFields)('field %j → null (ours, or not a field the client sent)', (wire) => {
      expect(provider.canonicalField(wire)).toBeNull();
    });

    it('a 2xx create whose body is not a payout → outcome_unknown (never a crash)', async () => {
      for (const body of provider.notAPayout) {
        const error = await errorOf(answering(json(provider.createdStatus, body)).submit(page()));
        expect(error).toMatchObject({
          kind: 'outcome_unknown',
          providerCode: 'UNEXPECTED_RESPONSE',
          httpStatus: provider.createdStatus,
        });
      }
    });

    it('a 2xx read whose body is not a payout → unavailable', async () => {
      const error = await errorOf(answering(json(200, provider.notAPayoutById)).lookupById(provider.id));
      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'UNEXPECTED_RESPONSE' });
      const list = await errorOf(answering(json(200, provider.notAPayoutByReference)).lookupByReference(page()));
      expect(list.kind).toBe('unavailable');
    });

    it('transport errors pass through as the HttpClient classified them', async () => {
      const reset = new ProviderError('outcome_unknown', 'transport error ECONNRESET', { providerCode: 'ECONNRESET' });
      expect(await errorOf(answering(reset).submit(page()))).toBe(reset);
    });

    it('an invalid payout is refused before any request, naming the first field', async () => {
      const http: FakeHttp = fakeHttp();
      const { payout, field, mentions } = provider.invalid;
      const error = await errorOf(provider.adapter(http).submit(provider.pagePayout(payout)));
      expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'VALIDATION_FAILED', field });
      if (mentions !== undefined) expect(error.message).toContain(mentions);
      expect(http.requests).toHaveLength(0);
    });
  },
);
