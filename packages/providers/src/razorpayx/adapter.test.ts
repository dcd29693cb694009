import { describe, expect, it } from 'vitest';
import { fakeHttp, json, OUR_PAYOUT_ID, pagePayout, pageResponse, TEST_CONFIG } from '../../test/razorpayx/fixtures.ts';
import { ProviderError } from '../contract/index.ts';
import { createRazorpayxAdapter } from './adapter.ts';
import { createRazorpayxAdapter as fromIndex, RAZORPAYX_MODES, RAZORPAYX_PURPOSES } from './index.ts';

const collection = (...items: unknown[]) => ({ entity: 'collection', count: items.length, items });

describe('RazorpayX adapter', () => {
  it('declares what RazorpayX can do, and not balance', () => {
    const adapter = createRazorpayxAdapter({ ...TEST_CONFIG, http: fakeHttp() });
    expect(adapter.id).toBe('razorpayx');
    expect([...adapter.capabilities].sort()).toEqual(
      ['submit', 'lookup_by_id', 'lookup_by_reference', 'cancel', 'webhooks', 'idempotent_submit', 'list'].sort(),
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

  it('answers getBalance with unsupported, without a request', async () => {
    const http = fakeHttp();
    const error = await createRazorpayxAdapter({ ...TEST_CONFIG, http })
      .getBalance()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'unsupported', providerCode: 'UNSUPPORTED' });
    expect(http.requests).toHaveLength(0);
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
