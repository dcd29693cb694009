import { describe, expect, it } from 'vitest';
import { fakeHttp, json, OUR_PAYOUT_ID, pagePayout, pageResponse, TEST_CONFIG } from '../../test/razorpayx/fixtures.ts';
import { createRazorpayxAdapter } from './adapter.ts';
import { createRazorpayxAdapter as fromIndex, RAZORPAYX_MODES, RAZORPAYX_PURPOSES } from './index.ts';

const collection = (...items: unknown[]) => ({ entity: 'collection', count: items.length, items });

describe('RazorpayX adapter', () => {
  it('declares what RazorpayX can do', () => {
    const adapter = createRazorpayxAdapter({ ...TEST_CONFIG, http: fakeHttp() });
    expect(adapter.id).toBe('razorpayx');
    expect([...adapter.capabilities].sort()).toEqual(
      [
        'submit',
        'lookup_by_id',
        'lookup_by_reference',
        'cancel',
        'webhooks',
        'idempotent_submit',
        'list',
        'balance',
      ].sort(),
    );
    expect(adapter.currencies).toEqual(['INR']);
    expect(adapter.methods).toEqual(['NEFT', 'RTGS', 'IMPS', 'UPI', 'card']);
  });

  it('exports its API from index.ts', () => {
    expect(fromIndex).toBe(createRazorpayxAdapter);
    expect(RAZORPAYX_MODES).toEqual(['NEFT', 'RTGS', 'IMPS', 'UPI', 'card']);
    expect(RAZORPAYX_PURPOSES).toEqual(['refund', 'cashback', 'payout', 'salary', 'utility bill', 'vendor bill']);
  });

  it('reserves 3000 paise for fees: more than the largest standard fee, ₹25 + 18% GST', () => {
    const adapter = createRazorpayxAdapter({ ...TEST_CONFIG, http: fakeHttp() });
    expect(adapter.feeReserve({ currency: 'INR', amount: 100_000n })).toBe(3000n);
    expect(adapter.feeReserve({ currency: 'INR', amount: 100_000n })).toBeGreaterThanOrEqual(
      2500n + (2500n * 18n) / 100n,
    );
  });

  it("reads the balance of the payout account from GET /v1/banking_balances, not the merchant's other accounts", async () => {
    // RazorpayX's own example (https://razorpay.com/docs/api/x/account-validation/balance-fetch), with ours added.
    const http = fakeHttp(
      json(200, {
        entity: 'collection',
        count: 3,
        items: [
          {
            entity: 'banking_balance',
            currency: 'INR',
            account_number: '409001396356',
            account_type: 'current_account',
            bank_name: 'RBL Bank',
            bank_code: 'RATN',
            amount: 186682638,
            available_amount: 186682638,
            refreshed_at: 1721889110,
          },
          {
            entity: 'banking_balance',
            currency: 'INR',
            account_number: TEST_CONFIG.accountNumber,
            account_type: 'current_account',
            bank_name: 'Yes Bank',
            bank_code: 'YESB',
            amount: 10489829,
            available_amount: 10480000,
            refreshed_at: 1696419847,
          },
          {
            entity: 'banking_balance',
            currency: 'INR',
            account_number: '984539953520846',
            account_type: 'razorpayx_lite',
            bank_name: null,
            amount: 1029,
            available_amount: 1029,
            refreshed_at: 1729847660,
          },
        ],
      }),
    );
    const balances = await createRazorpayxAdapter({ ...TEST_CONFIG, http }).getBalance();
    expect(balances).toEqual([{ currency: 'INR', available: 10480000n }]);
    expect(http.requests).toHaveLength(1);
    expect(http.requests[0]).toMatchObject({ method: 'GET' });
    expect(String(http.requests[0]?.url)).toMatch(/\/v1\/banking_balances$/);
  });

  it("submits and maps the page's response", async () => {
    const adapter = createRazorpayxAdapter({ ...TEST_CONFIG, http: fakeHttp(json(200, pageResponse())) });
    expect(await adapter.submit(pagePayout())).toMatchObject({
      providerPayoutId: 'pout_00000000000001',
      outcome: 'processed',
      fees: 500n,
      tax: 90n,
    });
  });

  describe('lookupByReference', () => {
    it('returns the item carrying our payout id, not another payout with the same reference', async () => {
      const someoneElse = pageResponse({ id: 'pout_other', notes: { payout_id: 'po_someone_else' } });
      const ours = pageResponse({ id: 'pout_ours', status: 'processing' });
      const http = fakeHttp(json(200, collection(someoneElse, ours)));
      const state = await createRazorpayxAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout());
      expect(state).toMatchObject({ providerPayoutId: 'pout_ours', outcome: 'processing' });
    });

    it('looks up by our payout id when the client gave no reference', async () => {
      const http = fakeHttp(json(200, collection(pageResponse({ reference_id: OUR_PAYOUT_ID }))));
      await createRazorpayxAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout({ referenceId: null }));
      expect(new URL(http.requests[0]?.url ?? '').searchParams.get('reference_id')).toBe(OUR_PAYOUT_ID);
    });

    it('answers null (a confirmed absence) when no item is ours', async () => {
      const notOurs = pageResponse({ notes: { notes_key_1: 'x' } });
      const http = fakeHttp(json(200, collection(notOurs)));
      expect(await createRazorpayxAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout())).toBeNull();
    });

    it('pages through a full page before concluding', async () => {
      const fullPage = Array.from({ length: 100 }, (_, i) =>
        pageResponse({ id: `pout_${i}`, notes: { payout_id: `po_other_${i}` } }),
      );
      const http = fakeHttp(json(200, collection(...fullPage)), json(200, collection(pageResponse({ id: 'pout_x' }))));
      const state = await createRazorpayxAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout());
      expect(state?.providerPayoutId).toBe('pout_x');
      const skips = http.requests.map((r) => new URL(r.url).searchParams.get('skip'));
      expect(skips).toEqual(['0', '100']);
    });

    it('stops when the server ignores paging and returns more than a page', async () => {
      const everything = Array.from({ length: 101 }, (_, i) =>
        pageResponse({ id: `pout_${i}`, notes: { payout_id: `po_other_${i}` } }),
      );
      const http = fakeHttp(json(200, collection(...everything)));
      expect(await createRazorpayxAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout())).toBeNull();
      expect(http.requests).toHaveLength(1);
    });
  });

  describe('list (capability list: reconciliation reads a window)', () => {
    it('asks GET /v1/payouts for the window in unix seconds, a page at a time, with our account number', async () => {
      const http = fakeHttp(json(200, collection(pageResponse({ id: 'pout_a' }), pageResponse({ id: 'pout_b' }))));
      const page = await createRazorpayxAdapter({ ...TEST_CONFIG, http }).list({
        from: 1_545_383_000_500,
        to: 1_545_383_100_200,
        count: 100,
        skip: 200,
      });
      const url = new URL(http.requests[0]?.url ?? '');
      expect(url.pathname).toBe('/v1/payouts');
      expect(Object.fromEntries(url.searchParams)).toEqual({
        account_number: TEST_CONFIG.accountNumber,
        from: '1545383000',
        to: '1545383101',
        count: '100',
        skip: '200',
      });
      // A short page is the last one.
      expect(page.hasMore).toBe(false);
      expect(page.items.map((i) => i.providerPayoutId)).toEqual(['pout_a', 'pout_b']);
      expect(page.items[0]?.stated).toMatchObject({ amount: 1_000_000n, currency: 'INR', payoutId: OUR_PAYOUT_ID });
    });

    it('says more may follow after a full page, and never asks for more than 100', async () => {
      const full = Array.from({ length: 100 }, (_, i) => pageResponse({ id: `pout_${i}` }));
      const http = fakeHttp(json(200, collection(...full)));
      const page = await createRazorpayxAdapter({ ...TEST_CONFIG, http }).list({
        from: 0,
        to: 1000,
        count: 500,
        skip: 0,
      });
      expect(page.hasMore).toBe(true);
      expect(new URL(http.requests[0]?.url ?? '').searchParams.get('count')).toBe('100');
    });
  });
});
