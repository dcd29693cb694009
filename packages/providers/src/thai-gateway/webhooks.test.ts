import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rejection } from '../../test/provider-error.ts';
import {
  fakeHttp,
  OUR_PAYOUT_ID,
  PAGE_NOW,
  PAGE_WITHDRAW_ID,
  pageWithdraw,
  TEST_CONFIG,
} from '../../test/thai-gateway/fixtures.ts';
import { createThaiGatewayAdapter } from './adapter.ts';

const SECRET = TEST_CONFIG.apiSecret;
let now = PAGE_NOW;
const adapter = createThaiGatewayAdapter({ ...TEST_CONFIG, http: fakeHttp(), now: () => now });

function event(type: string, data: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ id: 'evt_0001', type, createdAt: '2024-01-01T00:05:00.000Z', data }));
}

/** A fixed body: the page's withdraw object, completed, for our payout. */
const BODY = event(
  'withdraw.completed',
  pageWithdraw({ status: 'completed', referenceId: OUR_PAYOUT_ID, paidAt: '2024-01-01T00:05:00.000Z' }),
);

/** Signed the way the gateway signs requests: HMAC(secret, "${timestamp}.${rawBody}"). */
function sign(body: Buffer, timestamp = String(PAGE_NOW), secret = SECRET): string {
  const hex = createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(`${timestamp}.`), body]))
    .digest('hex');
  return `sha256=${hex}`;
}

function headers(body: Buffer, extra: Record<string, string | string[] | undefined> = {}) {
  return { 'x-timestamp': String(PAGE_NOW), 'x-signature': sign(body), ...extra };
}

describe('Thai gateway webhooks (assumed: signed like requests, with the API secret)', () => {
  it('accepts a signed event and translates the withdraw, with the body id as event id', () => {
    now = PAGE_NOW;
    expect(adapter.verifyWebhook(BODY, headers(BODY))).toEqual({
      eventId: 'evt_0001',
      eventType: 'withdraw.completed',
      providerPayoutId: PAGE_WITHDRAW_ID,
      reference: OUR_PAYOUT_ID,
      state: {
        providerPayoutId: PAGE_WITHDRAW_ID,
        outcome: 'processed',
        rawStatus: 'completed',
        fees: null,
        tax: null,
        utr: null,
        failure: null,
        queuedReason: null,
        stated: {
          amount: 100000n,
          currency: 'THB',
          payoutId: 'po_01JD3M5Q8ZK2V7W9X4Y6T0R1SA',
          feeCurrency: null,
          amountReadings: { baht: 100000n, satang: 1000n },
        },
      },
    });
  });

  it('reads header names in any case', () => {
    now = PAGE_NOW;
    const translated = adapter.verifyWebhook(BODY, { 'X-Timestamp': String(PAGE_NOW), 'X-Signature': sign(BODY) });
    expect(translated.eventId).toBe('evt_0001');
  });

  it('accepts an event up to five minutes old, and refuses one older (replay window)', () => {
    now = PAGE_NOW + 5 * 60 * 1000;
    expect(adapter.verifyWebhook(BODY, headers(BODY)).eventId).toBe('evt_0001');
    now += 1;
    const error = rejection(() => adapter.verifyWebhook(BODY, headers(BODY)));
    expect(error).toMatchObject({ kind: 'auth', providerCode: 'INVALID_SIGNATURE' });
    expect(error.message).toMatch(/replay window/);
  });

  it('refuses an event stamped more than five minutes in the future', () => {
    now = PAGE_NOW - 5 * 60 * 1000 - 1;
    expect(rejection(() => adapter.verifyWebhook(BODY, headers(BODY))).kind).toBe('auth');
  });

  it('refuses a signature made with another secret', () => {
    now = PAGE_NOW;
    const error = rejection(() =>
      adapter.verifyWebhook(BODY, headers(BODY, { 'x-signature': sign(BODY, String(PAGE_NOW), 'another secret') })),
    );
    expect(error).toMatchObject({ kind: 'auth', providerCode: 'INVALID_SIGNATURE' });
  });

  it('refuses a body changed after signing, and a timestamp changed after signing', () => {
    now = PAGE_NOW;
    const tampered = Buffer.from(BODY.toString('utf8').replace('"1000.00"', '"9000.00"'));
    expect(rejection(() => adapter.verifyWebhook(tampered, headers(BODY))).kind).toBe('auth');
    const moved = String(PAGE_NOW + 1000);
    expect(rejection(() => adapter.verifyWebhook(BODY, headers(BODY, { 'x-timestamp': moved }))).kind).toBe('auth');
  });

  it.each([
    ['a missing signature', { 'x-signature': undefined }],
    ['an empty signature', { 'x-signature': '' }],
    ['a bare hex signature', { 'x-signature': sign(BODY).slice('sha256='.length) }],
    ['a repeated signature', { 'x-signature': [sign(BODY), sign(BODY)] }],
    ['a missing timestamp', { 'x-timestamp': undefined }],
    ['a timestamp in ISO format', { 'x-timestamp': '2024-01-01T00:00:00Z' }],
  ])('refuses %s', (_name, extra) => {
    now = PAGE_NOW;
    const error = rejection(() => adapter.verifyWebhook(BODY, headers(BODY, extra)));
    expect(error).toMatchObject({ kind: 'auth', providerCode: 'INVALID_SIGNATURE' });
  });

  it('refuses a signed body that is not a withdraw event', () => {
    now = PAGE_NOW;
    const body = Buffer.from('{"hello":"world"}');
    expect(rejection(() => adapter.verifyWebhook(body, headers(body)))).toMatchObject({
      kind: 'invalid_request',
      providerCode: 'INVALID_PAYLOAD',
    });
  });

  it('translates a failure with its reason', () => {
    now = PAGE_NOW;
    const body = event(
      'withdraw.failed',
      pageWithdraw({ status: 'failed', referenceId: OUR_PAYOUT_ID, failureReason: 'Beneficiary bank rejected' }),
    );
    expect(adapter.verifyWebhook(body, headers(body)).state).toMatchObject({
      outcome: 'failed',
      failure: { code: 'failed', message: 'Beneficiary bank rejected' },
    });
  });
});
