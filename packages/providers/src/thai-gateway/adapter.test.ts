import { describe, expect, it } from 'vitest';
import {
  fakeHttp,
  json,
  OUR_PAYOUT_ID,
  PAGE_WITHDRAW_ID,
  pagePayout,
  pageResponse,
  pageWithdraw,
  TEST_CONFIG,
} from '../../test/thai-gateway/fixtures.ts';
import { ProviderError } from '../contract/index.ts';
import { createThaiGatewayAdapter } from './adapter.ts';
import { createThaiGatewayAdapter as fromIndex, THAI_GATEWAY_DESTINATION_TYPES } from './index.ts';

const list = (...data: unknown[]) => ({ success: true, data });

describe('Thai gateway adapter', () => {
  it('declares what the gateway can do: no cancel, no balance', () => {
    const adapter = createThaiGatewayAdapter({ ...TEST_CONFIG, http: fakeHttp() });
    expect(adapter.id).toBe('thai-gateway');
    expect([...adapter.capabilities].sort()).toEqual(
      ['submit', 'lookup_by_id', 'lookup_by_reference', 'webhooks', 'idempotent_submit'].sort(),
    );
    expect(adapter.currencies).toEqual(['THB']);
    expect(adapter.methods).toEqual(['bank_account', 'wallet']);
  });

  it('exports its API from index.ts', () => {
    expect(fromIndex).toBe(createThaiGatewayAdapter);
    expect(THAI_GATEWAY_DESTINATION_TYPES).toEqual(['bank_account', 'wallet']);
  });

  it('reserves nothing for fees (none documented), and refuses another currency', () => {
    const adapter = createThaiGatewayAdapter({ ...TEST_CONFIG, http: fakeHttp() });
    expect(adapter.feeReserve({ currency: 'THB', amount: 100_000n })).toBe(0n);
    expect(() => adapter.feeReserve({ currency: 'INR', amount: 100_000n })).toThrow(RangeError);
  });

  it.each(['cancel', 'getBalance'] as const)('answers %s with unsupported, without a request', async (method) => {
    const http = fakeHttp();
    const adapter = createThaiGatewayAdapter({ ...TEST_CONFIG, http });
    const error = await (method === 'cancel' ? adapter.cancel(PAGE_WITHDRAW_ID) : adapter.getBalance()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'unsupported', providerCode: 'UNSUPPORTED' });
    expect(http.requests).toHaveLength(0);
  });

  it("submits and maps the page's 201 response", async () => {
    const adapter = createThaiGatewayAdapter({ ...TEST_CONFIG, http: fakeHttp(json(201, pageResponse())) });
    expect(await adapter.submit(pagePayout())).toEqual({
      providerPayoutId: PAGE_WITHDRAW_ID,
      outcome: 'processing',
      rawStatus: 'pending',
      fees: null,
      tax: null,
      utr: null,
      failure: null,
      queuedReason: null,
      stated: {
        amount: 100000n,
        currency: 'THB',
        payoutId: 'payout-12345',
        feeCurrency: null,
        amountReadings: { baht: 100000n, satang: 1000n },
      },
    });
  });

  it('accepts a 200 for a create too (an idempotent replay may answer either)', async () => {
    const adapter = createThaiGatewayAdapter({
      ...TEST_CONFIG,
      http: fakeHttp(json(200, pageResponse({ status: 'completed' }))),
    });
    expect((await adapter.submit(pagePayout())).outcome).toBe('processed');
  });

  describe('lookupByReference', () => {
    it('returns the withdraw whose referenceId is our payout id', async () => {
      const http = fakeHttp(json(200, list(pageWithdraw({ referenceId: OUR_PAYOUT_ID, status: 'failed' }))));
      const state = await createThaiGatewayAdapter({ ...TEST_CONFIG, http }).lookupByReference(
        pagePayout({ id: OUR_PAYOUT_ID }),
      );
      expect(state).toMatchObject({ providerPayoutId: PAGE_WITHDRAW_ID, outcome: 'failed' });
    });

    it('answers null (a confirmed absence) for an empty list', async () => {
      const http = fakeHttp(json(200, list()));
      expect(await createThaiGatewayAdapter({ ...TEST_CONFIG, http }).lookupByReference(pagePayout())).toBeNull();
    });

    it('ignores withdraws of other references, should the server ignore the filter', async () => {
      const others = [
        pageWithdraw({ id: 'w_a', referenceId: 'po_other' }),
        pageWithdraw({ id: 'w_b', referenceId: null }),
      ];
      const http = fakeHttp(
        json(200, list(...others)),
        json(200, list(...others, pageWithdraw({ id: 'w_ours', referenceId: OUR_PAYOUT_ID }))),
      );
      const adapter = createThaiGatewayAdapter({ ...TEST_CONFIG, http });
      expect(await adapter.lookupByReference(pagePayout({ id: OUR_PAYOUT_ID }))).toBeNull();
      expect((await adapter.lookupByReference(pagePayout({ id: OUR_PAYOUT_ID })))?.providerPayoutId).toBe('w_ours');
    });
  });
});
