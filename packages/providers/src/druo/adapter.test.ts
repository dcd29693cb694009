import { describe, expect, it } from 'vitest';
import {
  declinedForFunds,
  envelope,
  fakeHttp,
  json,
  pagePayout,
  pageTransaction,
  TEST_CONFIG,
} from '../../test/druo/fixtures.ts';
import { errorOf } from '../../test/provider-error.ts';
import { createDruoAdapter } from './adapter.ts';
import { DRUO_CURRENCIES, DRUO_METHODS, DRUO_VERSION, createDruoAdapter as fromIndex } from './index.ts';

const list = (...payouts: unknown[]) => ({ payouts });

describe('DRUO adapter', () => {
  it('declares what DRUO can do: no idempotent submit, webhooks, cancel or balance', () => {
    const adapter = createDruoAdapter({ ...TEST_CONFIG, http: fakeHttp() });
    expect(adapter.id).toBe('druo');
    expect([...adapter.capabilities].sort()).toEqual(['lookup_by_id', 'lookup_by_reference', 'submit']);
    expect(adapter.capabilities.has('idempotent_submit')).toBe(false);
    expect(adapter.currencies).toEqual(['USD', 'COP']);
    expect(adapter.methods).toEqual(['bank_account']);
  });

  it('exports its API from index.ts', () => {
    expect(fromIndex).toBe(createDruoAdapter);
    expect(DRUO_CURRENCIES).toEqual(['USD', 'COP']);
    expect(DRUO_METHODS).toEqual(['bank_account']);
    expect(DRUO_VERSION).toBe('2021-11-22');
  });

  it("reserves 2% of the amount rounded up, plus 100: at least the page's fee (20000 → 400)", () => {
    const adapter = createDruoAdapter({ ...TEST_CONFIG, http: fakeHttp() });
    expect(adapter.feeReserve({ currency: 'USD', amount: 20000n })).toBe(500n);
    expect(adapter.feeReserve({ currency: 'USD', amount: 20000n })).toBeGreaterThanOrEqual(400n);
    expect(adapter.feeReserve({ currency: 'COP', amount: 1n })).toBe(101n);
    expect(adapter.feeReserve({ currency: 'COP', amount: 50n })).toBe(101n);
    expect(adapter.feeReserve({ currency: 'COP', amount: 51n })).toBe(102n);
    expect(adapter.feeReserve({ currency: 'USD', amount: 123_456_789n })).toBe(2_469_136n + 100n);
    expect(() => adapter.feeReserve({ currency: 'INR', amount: 100n })).toThrow(RangeError);
  });

  it.each([
    ['cancel', (a: ReturnType<typeof createDruoAdapter>) => a.cancel('trx_1')],
    ['getBalance', (a: ReturnType<typeof createDruoAdapter>) => a.getBalance()],
    ['verifyWebhook', async (a: ReturnType<typeof createDruoAdapter>) => a.verifyWebhook(Buffer.from('{}'), {})],
  ])('answers %s with unsupported, without a request', async (_name, call) => {
    const http = fakeHttp();
    const error = await errorOf(call(createDruoAdapter({ ...TEST_CONFIG, http })));
    expect(error).toMatchObject({ kind: 'unsupported', providerCode: 'UNSUPPORTED' });
    expect(http.requests).toHaveLength(0);
  });

  it("submits and maps the page's response", async () => {
    const adapter = createDruoAdapter({ ...TEST_CONFIG, http: fakeHttp(json(200, envelope())) });
    expect(await adapter.submit(pagePayout())).toMatchObject({
      providerPayoutId: 'trx_1cb6a2ab-2351-436b-99df-e00fd9b9cf6a',
      outcome: 'processing',
      rawStatus: 'PENDING',
      fees: null,
    });
  });

  it('reads fees from a submit that DRUO charged at once', async () => {
    const charged = envelope({ fixed_fee: 0, variable_fee: 400, total_fee: 400, net_amount: 20400 });
    const state = await createDruoAdapter({ ...TEST_CONFIG, http: fakeHttp(json(200, charged)) }).submit(pagePayout());
    expect(state.fees).toBe(400n);
  });

  describe('insufficient funds: a transaction created DECLINED', () => {
    it('submit reports insufficient_balance, so the engine parks the payout instead of failing it', async () => {
      const http = fakeHttp(json(200, { payout: declinedForFunds({ uuid: 'trx_declined' }) }));
      const error = await errorOf(createDruoAdapter({ ...TEST_CONFIG, http }).submit(pagePayout()));
      expect(error).toMatchObject({
        kind: 'insufficient_balance',
        providerCode: 'INSUFFICIENT_FUNDS',
        httpStatus: 200,
      });
      expect(error.message).toContain('trx_declined');
    });

    it("also for the page's misspelling, INSUFFICCIENT_FUNDS", async () => {
      const declined = declinedForFunds({ decline_reason: 'INSUFFICCIENT_FUNDS', remarks: null });
      const http = fakeHttp(json(200, { payout: declined }));
      const error = await errorOf(createDruoAdapter({ ...TEST_CONFIG, http }).submit(pagePayout()));
      expect(error.kind).toBe('insufficient_balance');
    });

    it('a decline for any other reason is an ordinary failed payout', async () => {
      const declined = pageTransaction({ status: 'DECLINED', decline_reason: 'ACCOUNT_CLOSED' });
      const http = fakeHttp(json(200, { payout: declined }));
      const state = await createDruoAdapter({ ...TEST_CONFIG, http }).submit(pagePayout());
      expect(state).toMatchObject({ outcome: 'failed', failure: { code: 'ACCOUNT_CLOSED' } });
    });

    it('lookupById still shows such a transaction as it is: failed for insufficient funds', async () => {
      const http = fakeHttp(json(200, { payout: declinedForFunds() }));
      const state = await createDruoAdapter({ ...TEST_CONFIG, http }).lookupById('trx_1');
      expect(state).toMatchObject({ outcome: 'failed', failure: { code: 'INSUFFICIENT_FUNDS' } });
    });
  });

  describe('lookupByReference', () => {
    it('returns the newest transaction with our reference', async () => {
      const newest = pageTransaction({ uuid: 'trx_new', status: 'PROCESSING' });
      const older = pageTransaction({ uuid: 'trx_old', status: 'SUCCESSFUL' });
      const http = fakeHttp(json(200, list(newest, older)));
      const state = await createDruoAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout());
      expect(state).toMatchObject({ providerPayoutId: 'trx_new', outcome: 'processing' });
    });

    it('skips transactions declined for insufficient funds: they never paid', async () => {
      const declinedNewest = declinedForFunds({ uuid: 'trx_declined_2' });
      const live = pageTransaction({ uuid: 'trx_live', status: 'SUCCESSFUL' });
      const declinedOldest = declinedForFunds({ uuid: 'trx_declined_1' });
      const http = fakeHttp(json(200, list(declinedNewest, live, declinedOldest)));
      const state = await createDruoAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout());
      expect(state).toMatchObject({ providerPayoutId: 'trx_live', outcome: 'processed' });
    });

    it('answers null (a confirmed absence, safe to submit again) when every transaction was declined for funds', async () => {
      const http = fakeHttp(json(200, list(declinedForFunds({ uuid: 'trx_a' }), declinedForFunds({ uuid: 'trx_b' }))));
      expect(await createDruoAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout())).toBeNull();
    });

    it('does not skip a decline for another reason: that payout failed, it must not be paid again', async () => {
      const declined = pageTransaction({ uuid: 'trx_closed', status: 'DECLINED', decline_reason: 'ACCOUNT_CLOSED' });
      const http = fakeHttp(json(200, list(declined)));
      const state = await createDruoAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout());
      expect(state).toMatchObject({ providerPayoutId: 'trx_closed', outcome: 'failed' });
    });

    it('answers null when DRUO has nothing', async () => {
      const http = fakeHttp(json(200, list()));
      expect(await createDruoAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout())).toBeNull();
    });

    it("ignores another payout's transaction if DRUO ignores the filter", async () => {
      const someoneElse = pageTransaction({ uuid: 'trx_other', primary_reference: 'po_someone_else' });
      const http = fakeHttp(json(200, list(someoneElse)));
      expect(await createDruoAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout())).toBeNull();
    });

    it('looks up by our payout id, never by the client reference', async () => {
      const http = fakeHttp(json(200, list()));
      await createDruoAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout({ referenceId: 'client-ref' }));
      const url = new URL(http.requests[0]?.url ?? '');
      expect(url.searchParams.get('primary_reference')).toBe('po_01JD3M5Q8ZK2V7W9X4Y6T0R1SA');
      expect(url.search).not.toContain('client-ref');
    });
  });
});
