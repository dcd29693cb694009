import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rejection } from '../../test/provider-error.ts';
import {
  fakeHttp,
  OUR_PAYOUT_ID,
  PAGE_SUCCESS_RESPONSE,
  pageResponse,
  TEST_CONFIG,
} from '../../test/razorpayx/fixtures.ts';
import { createRazorpayxAdapter } from './adapter.ts';

const SECRET = TEST_CONFIG.webhookSecret;
const adapter = createRazorpayxAdapter({ ...TEST_CONFIG, http: fakeHttp() });

function envelope(event: string, payload: unknown): Buffer {
  return Buffer.from(
    JSON.stringify({
      entity: 'event',
      account_id: 'acc_00000000000001',
      event,
      contains: ['payout'],
      payload,
      created_at: 1545383040,
    }),
  );
}

/** A fixed body: the page's success response wrapped in a `payout.processed` event. */
const BODY = envelope('payout.processed', { payout: { entity: JSON.parse(PAGE_SUCCESS_RESPONSE) } });
const sign = (body: Buffer, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

function headers(body: Buffer, extra: Record<string, string | string[] | undefined> = {}) {
  return { 'x-razorpay-signature': sign(body), 'x-razorpay-event-id': 'evt_00000000000001', ...extra };
}

describe('RazorpayX webhooks', () => {
  it('accepts a body signed with the webhook secret and translates the payout', () => {
    expect(adapter.verifyWebhook(BODY, headers(BODY))).toEqual({
      eventId: 'evt_00000000000001',
      eventType: 'payout.processed',
      providerPayoutId: 'pout_00000000000001',
      reference: 'Acme Transaction ID 12345',
      state: {
        providerPayoutId: 'pout_00000000000001',
        outcome: 'processed',
        rawStatus: 'processed',
        fees: 500n,
        tax: 90n,
        utr: null,
        failure: null,
        queuedReason: null,
        stated: { amount: 1000000n, currency: 'INR', payoutId: null, feeCurrency: 'INR', createdAt: 1545383037000 },
      },
    });
  });

  it('reads header names in any case', () => {
    const event = adapter.verifyWebhook(BODY, {
      'X-Razorpay-Signature': sign(BODY),
      'X-Razorpay-Event-Id': 'evt_00000000000001',
    });
    expect(event.eventId).toBe('evt_00000000000001');
  });

  it('refuses a signature made with another secret', () => {
    const error = rejection(() =>
      adapter.verifyWebhook(BODY, headers(BODY, { 'x-razorpay-signature': sign(BODY, 'another secret') })),
    );
    expect(error).toMatchObject({ kind: 'auth', providerCode: 'INVALID_SIGNATURE' });
  });

  it('refuses a body changed after signing', () => {
    const tampered = Buffer.from(BODY.toString('utf8').replace('1000000', '9000000'));
    const error = rejection(() => adapter.verifyWebhook(tampered, headers(BODY)));
    expect(error).toMatchObject({ kind: 'auth', providerCode: 'INVALID_SIGNATURE' });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['truncated', 'abc123'],
    ['repeated', [sign(BODY), sign(BODY)]],
  ])('refuses a %s signature', (_, signature) => {
    const error = rejection(() => adapter.verifyWebhook(BODY, headers(BODY, { 'x-razorpay-signature': signature })));
    expect(error).toMatchObject({ kind: 'auth', providerCode: 'INVALID_SIGNATURE' });
  });

  it('needs the event id header to de-duplicate', () => {
    const error = rejection(() => adapter.verifyWebhook(BODY, headers(BODY, { 'x-razorpay-event-id': undefined })));
    expect(error.kind).toBe('invalid_request');
  });

  it('refuses a signed body that is not a RazorpayX event', () => {
    const body = Buffer.from('{"hello":"world"}');
    expect(rejection(() => adapter.verifyWebhook(body, headers(body))).kind).toBe('invalid_request');
  });

  it('uses our payout id from the notes as the reference', () => {
    const body = envelope('payout.failed', {
      payout: {
        entity: pageResponse({
          status: 'failed',
          status_details: { source: 'beneficiary_bank', reason: 'bank_down', description: 'Beneficiary bank down' },
        }),
      },
    });
    const event = adapter.verifyWebhook(body, headers(body));
    expect(event.reference).toBe(OUR_PAYOUT_ID);
    expect(event.state).toMatchObject({
      outcome: 'failed',
      failure: { code: 'bank_down', message: 'Beneficiary bank down' },
    });
  });

  it('passes payout.downtime.* on without a payout state, with the downtime it announces', () => {
    const body = envelope('payout.downtime.started', {
      'payout.downtime': { entity: { id: 'poutd_1', status: 'started', mode: 'IMPS', begin: 1_800_000_000 } },
    });
    expect(adapter.verifyWebhook(body, headers(body))).toEqual({
      eventId: 'evt_00000000000001',
      eventType: 'payout.downtime.started',
      providerPayoutId: null,
      reference: null,
      state: null,
      downtime: {
        id: 'poutd_1',
        status: 'started',
        modes: ['IMPS'],
        startsAt: new Date(1_800_000_000_000),
        endsAt: null,
      },
    });
    const resolved = envelope('payout.downtime.resolved', {
      'payout.downtime': { entity: { id: 'poutd_1', status: 'resolved', mode: 'IMPS' } },
    });
    expect(adapter.verifyWebhook(resolved, headers(resolved)).downtime).toMatchObject({
      id: 'poutd_1',
      status: 'resolved',
    });
  });
});
