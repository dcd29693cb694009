import { describe, expect, it } from 'vitest';
import {
  fakeHttp,
  json,
  PAGE_PAYOUT_ID,
  pageDeposit,
  pagePayout,
  pageResponse,
  TEST_CONFIG,
} from '../../test/krayon/fixtures.ts';
import { errorOf } from '../../test/provider-error.ts';
import { createKrayonAdapter } from './adapter.ts';
import { createKrayonAdapter as fromIndex, KRAYON_PAYMENT_METHODS } from './index.ts';

describe('Krayon adapter', () => {
  it('declares submit and lookups only: no idempotent create, cancel, webhooks or balance', () => {
    const adapter = createKrayonAdapter({ ...TEST_CONFIG, http: fakeHttp() });
    expect(adapter.id).toBe('krayon');
    expect([...adapter.capabilities].sort()).toEqual(['lookup_by_id', 'lookup_by_reference', 'submit']);
    expect(adapter.capabilities.has('idempotent_submit')).toBe(false);
    expect(adapter.currencies).toEqual(['INR']);
    expect(adapter.methods).toEqual(['IMPS']);
  });

  it('exports its API from index.ts', () => {
    expect(fromIndex).toBe(createKrayonAdapter);
    expect(KRAYON_PAYMENT_METHODS).toEqual(['IMPS']);
  });

  it('reserves 1000 paise for fees, at least the ₹5 the sandbox charges, whatever the amount', () => {
    const adapter = createKrayonAdapter({ ...TEST_CONFIG, http: fakeHttp() });
    expect(adapter.feeReserve({ currency: 'INR', amount: 100n })).toBe(1000n);
    expect(adapter.feeReserve({ currency: 'INR', amount: 10_000_000_00n })).toBe(1000n);
    expect(adapter.feeReserve({ currency: 'INR', amount: 100n })).toBeGreaterThanOrEqual(500n);
    expect(() => adapter.feeReserve({ currency: 'USD', amount: 100n })).toThrow(RangeError);
  });

  it.each([
    ['cancel', (a: ReturnType<typeof createKrayonAdapter>) => a.cancel('x')],
    ['balance', (a: ReturnType<typeof createKrayonAdapter>) => a.getBalance()],
    [
      'webhooks',
      async (a: ReturnType<typeof createKrayonAdapter>) => a.verifyWebhook(Buffer.from('{}'), { 'x-signature': 'x' }),
    ],
  ])('answers %s with unsupported, without a request', async (capability, call) => {
    const http = fakeHttp();
    const error = await errorOf(call(createKrayonAdapter({ ...TEST_CONFIG, http })));
    expect(error).toMatchObject({ kind: 'unsupported', providerCode: 'UNSUPPORTED' });
    expect(error.message).toContain(capability);
    expect(http.requests).toHaveLength(0);
  });

  it("submits and maps the page's response, with the fee in paise", async () => {
    const adapter = createKrayonAdapter({
      ...TEST_CONFIG,
      http: fakeHttp(json(200, pageResponse({ payment_fee: 5, net_amount: 500 }))),
    });
    expect(await adapter.submit(pagePayout())).toEqual({
      providerPayoutId: '9a2c4a6b0d98486fbddb405ed7cbdaad',
      outcome: 'processing',
      rawStatus: 'PENDING',
      fees: 500n,
      tax: null,
      utr: null,
      failure: null,
      queuedReason: null,
      stated: {
        amount: 10000n,
        currency: 'INR',
        payoutId: 'payout_1',
        feeCurrency: 'INR',
        // The page's sample amount (100) with this net_amount (500) fits neither fee reading.
        feeReadings: {
          netAmount: 50000n,
          readings: { on_top: { paidOut: 10000n, debited: 10500n }, deducted: { paidOut: 9500n, debited: 10000n } },
        },
      },
    });
  });

  it('looks up by id and maps the status', async () => {
    const http = fakeHttp(json(200, pageResponse({ status: 'COMPLETED', payment_fee: 5 })));
    const state = await createKrayonAdapter({ ...TEST_CONFIG, http }).lookupById('9a2c4a6b0d98486fbddb405ed7cbdaad');
    expect(state).toMatchObject({ outcome: 'processed', rawStatus: 'COMPLETED', fees: 500n });
  });

  describe('lookupByReference', () => {
    it('returns the withdrawal carrying our payout id', async () => {
      const http = fakeHttp(json(200, { data: [pageDeposit({ id: 'dep_ours', status: 'FAILED' })] }));
      const state = await createKrayonAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout());
      expect(state).toMatchObject({ providerPayoutId: 'dep_ours', outcome: 'failed' });
    });

    it('picks ours out of a list that holds others', async () => {
      const other = pageDeposit({ id: 'dep_other', reference_id: 'po_someone_else' });
      const ours = pageDeposit({ id: 'dep_ours', reference_id: PAGE_PAYOUT_ID });
      const http = fakeHttp(json(200, { data: [other, ours] }));
      const state = await createKrayonAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout());
      expect(state?.providerPayoutId).toBe('dep_ours');
    });

    it('answers null (a confirmed absence) for an empty list', async () => {
      const http = fakeHttp(json(200, { data: [] }));
      expect(await createKrayonAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout())).toBeNull();
    });

    it('refuses to call a list of other withdrawals an absence: the filter was ignored', async () => {
      const http = fakeHttp(json(200, { data: [pageDeposit({ reference_id: 'po_other' })] }));
      const error = await errorOf(createKrayonAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout()));
      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'REFERENCE_FILTER_IGNORED' });
    });
  });
});
