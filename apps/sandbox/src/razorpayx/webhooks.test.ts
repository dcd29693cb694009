import { createHmac, timingSafeEqual } from 'node:crypto';
import { must } from '@payouts/core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type ReceivedWebhook, WebhookReceiver, waitFor } from '../../test/common/test-support.ts';
import {
  compositeFundAccount,
  payoutBody,
  type RazorpayXTestClient,
  startRazorpayX,
} from '../../test/razorpayx/test-support.ts';
import { ManualScheduler } from '../common/manual-scheduler.ts';
import type { RazorpayXEventBody } from './webhooks.ts';

const WEBHOOK_SECRET = 'whsec_test_razorpayx';

let client: RazorpayXTestClient;
let receiver: WebhookReceiver;

beforeAll(async () => {
  client = await startRazorpayX({ razorpayx: { webhookSecret: WEBHOOK_SECRET } });
  receiver = await WebhookReceiver.start();
});
afterAll(async () => {
  await client.sandbox.close();
  await receiver.close();
});
beforeEach(async () => {
  await client.admin.reset();
  receiver.clear();
  expect((await client.admin.patchConfig({ webhookUrl: receiver.url })).status).toBe(200);
});

interface Event extends ReceivedWebhook {
  readonly json: RazorpayXEventBody;
  readonly id: string;
}

/** What the receiver got for one payout, in arrival order. */
function eventsFor(payoutId: string): Event[] {
  return receiver.received
    .map((r) => ({
      ...r,
      json: JSON.parse(r.body) as RazorpayXEventBody,
      id: String(r.headers['x-razorpay-event-id']),
    }))
    .filter((e) => e.json.payload.payout.entity.id === payoutId);
}

/** Waits until `count` deliveries for the payout have arrived. */
function waitForEvents(payoutId: string, count: number): Promise<Event[]> {
  return waitFor(
    () => {
      const events = eventsFor(payoutId);
      return events.length >= count ? events : undefined;
    },
    { what: `${count} webhooks for ${payoutId}` },
  );
}

const names = (events: Event[]) => events.map((e) => e.json.event);

describe('RazorpayX webhooks', () => {
  test('a processed payout sends payout.initiated then payout.processed, carrying the payout as GET shows it', async () => {
    const payout = await client.created(payoutBody());
    const events = await waitForEvents(payout.id, 2);
    expect(names(events)).toEqual(['payout.initiated', 'payout.processed']);

    const [initiated, processed] = events;
    expect(must(initiated, 'initiated').json).toMatchObject({
      entity: 'event',
      account_id: 'acc_sandbox',
      event: 'payout.initiated',
      contains: ['payout'],
      payload: { payout: { entity: { ...payout, status: 'processing' } } },
    });
    expect(must(processed, 'processed').json.payload.payout.entity).toEqual((await client.get(payout.id)).body);
    expect(must(processed, 'processed').json.payload.payout.entity.utr).toMatch(/^SBX\d{12}$/);
    for (const e of events) {
      expect(Object.keys(e.json)).toEqual(['entity', 'account_id', 'event', 'contains', 'payload', 'created_at']);
      expect(Number.isInteger(e.json.created_at)).toBe(true);
      expect(Math.abs(e.json.created_at - Date.now() / 1000)).toBeLessThan(60);
      expect(e.headers['content-type']).toBe('application/json');
      expect(e.id).toMatch(/^evt_[A-Za-z0-9]{14}$/);
    }
    expect(must(initiated, 'initiated').id).not.toBe(must(processed, 'processed').id);
  });

  test('the signature is hex HMAC-SHA256 of the raw body with the webhook secret', async () => {
    const payout = await client.created(payoutBody());
    const events = await waitForEvents(payout.id, 2);
    for (const e of events) {
      const signature = String(e.headers['x-razorpay-signature']);
      expect(signature).toMatch(/^[0-9a-f]{64}$/);
      const expected = createHmac('sha256', WEBHOOK_SECRET).update(e.body).digest();
      expect(timingSafeEqual(Buffer.from(signature, 'hex'), expected)).toBe(true);
      const forged = createHmac('sha256', 'wrong secret').update(e.body).digest('hex');
      expect(signature).not.toBe(forged);
    }
  });

  test('0001 sends initiated then failed; 0002 sends initiated, processed, then reversed', async () => {
    const failed = await client.created(payoutBody({ fund_account_id: 'fa_00000000000001' }));
    const reversed = await client.created(
      payoutBody({ fund_account_id: undefined, fund_account: compositeFundAccount('9876540002') }),
    );
    const failedEvents = await waitForEvents(failed.id, 2);
    expect(names(failedEvents)).toEqual(['payout.initiated', 'payout.failed']);
    expect(must(failedEvents[1], 'failedEvents[1]').json.payload.payout.entity).toMatchObject({
      status: 'failed',
      status_details: { source: 'beneficiary_bank' },
    });

    const reversedEvents = await waitForEvents(reversed.id, 3);
    expect(names(reversedEvents)).toEqual(['payout.initiated', 'payout.processed', 'payout.reversed']);
    expect(must(reversedEvents[2], 'reversedEvents[2]').json.payload.payout.entity).toEqual(
      (await client.get(reversed.id)).body,
    );
  });

  test('a payout queued for low balance sends payout.queued, then initiated once funds arrive', async () => {
    await client.admin.setBalance(0);
    const payout = await client.created(payoutBody());
    expect(names(await waitForEvents(payout.id, 1))).toEqual(['payout.queued']);
    await client.admin.setBalance(100_000_000);
    const events = await waitForEvents(payout.id, 3);
    expect(names(events)).toEqual(['payout.queued', 'payout.initiated', 'payout.processed']);
  });

  test('a receiver answering 500 twice then 200 gets the event three times with the same id and body', async () => {
    const answered = new Map<string, number>();
    receiver.respond = (_body, headers) => {
      const id = String(headers['x-razorpay-event-id']);
      const n = (answered.get(id) ?? 0) + 1;
      answered.set(id, n);
      return n <= 2 ? 500 : 200;
    };
    // 0003 stays processing: a single event.
    const payout = await client.created(payoutBody({ fund_account_id: 'fa_00000000000003' }));
    const events = await waitForEvents(payout.id, 3);
    expect(events.map((e) => e.status)).toEqual([500, 500, 200]);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    expect(new Set(events.map((e) => e.body)).size).toBe(1);
    expect(names(events)).toEqual(['payout.initiated', 'payout.initiated', 'payout.initiated']);

    const attempts = await waitFor(async () => {
      const list = await client.admin.webhooks();
      return list.length >= 3 ? list : undefined;
    });
    expect(attempts.map((a) => [a.attempt, a.status_code, a.delivered])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    expect(attempts.every((a) => a.event_id === must(events[0], 'events[0]').id && a.payout_id === payout.id)).toBe(
      true,
    );
  });

  test('duplicate share 1: every event id is delivered twice with the same body', async () => {
    await client.admin.patchConfig({ webhookDuplicateShare: 1 });
    const payout = await client.created(payoutBody());
    const events = await waitForEvents(payout.id, 4);
    expect(names(events)).toEqual(['payout.initiated', 'payout.initiated', 'payout.processed', 'payout.processed']);
    expect(must(events[0], 'events[0]').id).toBe(must(events[1], 'events[1]').id);
    expect(must(events[0], 'events[0]').body).toBe(must(events[1], 'events[1]').body);
    expect(must(events[2], 'events[2]').id).toBe(must(events[3], 'events[3]').id);
    expect(must(events[2], 'events[2]').body).toBe(must(events[3], 'events[3]').body);
    expect(must(events[0], 'events[0]').id).not.toBe(must(events[2], 'events[2]').id);
  });

  test('out-of-order share 1: payout.processed arrives before payout.initiated', async () => {
    // Stepped by hand: the held event is released on its own after two progress steps, so on real
    // timers a busy machine could let it go before `processed` overtakes it.
    const scheduler = new ManualScheduler();
    const manual = await startRazorpayX({
      scheduler,
      razorpayx: { webhookSecret: WEBHOOK_SECRET, config: { progressDelayMs: 1000 } },
    });
    try {
      expect((await manual.admin.patchConfig({ webhookUrl: receiver.url, webhookOutOfOrderShare: 1 })).status).toBe(
        200,
      );
      const payout = await manual.created(payoutBody());
      expect(eventsFor(payout.id)).toEqual([]);
      scheduler.advance(1000);
      const events = await waitForEvents(payout.id, 2);
      expect(names(events)).toEqual(['payout.processed', 'payout.initiated']);
    } finally {
      await manual.sandbox.close();
    }
  });

  test('with webhookUrl null nothing is sent', async () => {
    await client.admin.patchConfig({ webhookUrl: null });
    const silent = await client.created(payoutBody());
    await client.waitForStatus(silent.id, 'processed');

    // A later payout's events arriving shows the sender was idle, not slow.
    await client.admin.patchConfig({ webhookUrl: receiver.url });
    const loud = await client.created(payoutBody());
    await waitForEvents(loud.id, 2);
    expect(eventsFor(silent.id)).toHaveLength(0);
    expect((await client.admin.webhooks()).some((a) => a.payout_id === silent.id)).toBe(false);
  });

  test('the admin API lists every attempt, and reset clears the list and the URL', async () => {
    const payout = await client.created(payoutBody());
    const events = await waitForEvents(payout.id, 2);
    const attempts = await waitFor(async () => {
      const list = await client.admin.webhooks();
      return list.length >= 2 ? list : undefined;
    });
    expect(attempts.map((a) => [a.type, a.payout_id, a.attempt, a.status_code, a.error, a.delivered])).toEqual([
      ['payout.initiated', payout.id, 1, 200, null, true],
      ['payout.processed', payout.id, 1, 200, null, true],
    ]);
    expect(attempts.map((a) => a.event_id)).toEqual(events.map((e) => e.id));
    expect(must(attempts[0], 'attempts[0]').url).toBe(receiver.url);
    expect(Number.isNaN(Date.parse(must(attempts[0], 'attempts[0]').at))).toBe(false);

    await client.admin.reset();
    expect(await client.admin.webhooks()).toEqual([]);
    expect((await client.admin.config()).body.webhookUrl).toBeNull();
  });

  test('the admin PATCH validates the webhook fields', async () => {
    for (const bad of [
      { webhookUrl: 'not a url' },
      { webhookUrl: 'ftp://example.com/hook' },
      { webhookUrl: 42 },
      { webhookDuplicateShare: 1.5 },
      { webhookOutOfOrderShare: -0.1 },
    ]) {
      const res = await client.admin.patchConfig(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    const ok = await client.admin.patchConfig({
      webhookUrl: 'https://hooks.example.com/razorpayx',
      webhookDuplicateShare: 0.25,
      webhookOutOfOrderShare: 0.5,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      webhookUrl: 'https://hooks.example.com/razorpayx',
      webhookDuplicateShare: 0.25,
      webhookOutOfOrderShare: 0.5,
    });
    expect((await client.admin.patchConfig({ webhookUrl: 'http://api:8080/hooks' })).status).toBe(200);
    expect((await client.admin.patchConfig({ webhookUrl: null })).body.webhookUrl).toBeNull();
  });
});
