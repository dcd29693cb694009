import { must } from '@payouts/core';
import { createLogger } from '@payouts/observability';
import { beforeEach, describe, expect, test } from 'vitest';
import { waitFor } from '../../test/common/test-support.ts';
import { DEFAULT_PROVIDER_CONFIG, type ProviderConfig } from './config.ts';
import { ManualScheduler } from './manual-scheduler.ts';
import { type WebhookEvent, WebhookSender } from './webhooks.ts';

/*
 * The sender on its own: a fake fetch and a manual clock, so backoff and hold-back times are
 * checked exactly. The RazorpayX tests cover the same behaviour over real HTTP.
 */

const URL_ = 'http://receiver.test/hooks';

interface Call {
  readonly url: string;
  readonly id: string;
  readonly body: string;
}

let scheduler: ManualScheduler;
let config: ProviderConfig;
let calls: Call[];
let answer: (call: Call) => number | Error;
let sender: WebhookSender;

function event(id: string, payoutId: string | null = 'pout_1', type = 'payout.processed'): WebhookEvent {
  return { id, type, payoutId, body: JSON.stringify({ id, type }), headers: { 'X-Event-Id': id } };
}

/** Lets the fake fetch calls and their bookkeeping settle (all microtasks, then a macrotask). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

function newSender(options: { timeoutMs?: number; fetch?: typeof fetch } = {}): WebhookSender {
  return new WebhookSender(
    'test',
    () => config,
    {
      random: () => 0.5,
      scheduler,
      now: () => Date.UTC(2025, 0, 1),
      logger: createLogger({ name: 'test', level: 'silent' }),
    },
    {
      timeoutMs: options.timeoutMs,
      fetch:
        options.fetch ??
        (async (input, init) => {
          const headers = init?.headers as Record<string, string>;
          const call = {
            url: String(input),
            id: must(headers['X-Event-Id'], 'headers["X-Event-Id"]'),
            body: String(init?.body),
          };
          calls.push(call);
          const outcome = answer(call);
          if (outcome instanceof Error) throw outcome;
          return new Response('ok', { status: outcome });
        }),
    },
  );
}

beforeEach(() => {
  scheduler = new ManualScheduler();
  config = { ...DEFAULT_PROVIDER_CONFIG, progressDelayMs: 100, webhookUrl: URL_ };
  calls = [];
  answer = () => 200;
  sender = newSender();
});

describe('WebhookSender', () => {
  test('posts the event body and headers to the configured URL once on a 2xx', async () => {
    sender.send(event('evt_a'));
    await settle();
    expect(calls).toEqual([{ url: URL_, id: 'evt_a', body: '{"id":"evt_a","type":"payout.processed"}' }]);
    expect(sender.list()).toEqual([
      {
        event_id: 'evt_a',
        type: 'payout.processed',
        payout_id: 'pout_1',
        url: URL_,
        attempt: 1,
        duplicate: false,
        status_code: 200,
        error: null,
        delivered: true,
        at: '2025-01-01T00:00:00.000Z',
      },
    ]);
    expect(scheduler.pending).toBe(0);
  });

  test('sends nothing while webhookUrl is null', async () => {
    config = { ...config, webhookUrl: null };
    expect(sender.enabled).toBe(false);
    sender.send(event('evt_a'));
    await settle();
    expect(calls).toHaveLength(0);
    expect(sender.list()).toHaveLength(0);
    expect(scheduler.pending).toBe(0);
  });

  test('retries a non-2xx with backoff 200 ms × 2^n and gives up after 6 attempts', async () => {
    answer = () => 500;
    sender.send(event('evt_a'));
    await settle();
    expect(calls).toHaveLength(1);
    for (const [i, delay] of [200, 400, 800, 1600, 3200].entries()) {
      scheduler.advance(delay - 1);
      await settle();
      expect(calls).toHaveLength(i + 1);
      scheduler.advance(1);
      await settle();
      expect(calls).toHaveLength(i + 2);
    }
    scheduler.advance(60_000);
    await settle();
    expect(calls).toHaveLength(6);
    expect(new Set(calls.map((c) => c.id))).toEqual(new Set(['evt_a']));
    expect(sender.list().map((a) => [a.attempt, a.status_code, a.delivered])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 500, false],
      [4, 500, false],
      [5, 500, false],
      [6, 500, false],
    ]);
  });

  test('a network error is recorded and retried until a 2xx', async () => {
    let n = 0;
    answer = () =>
      ++n === 1 ? Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }) : 202;
    sender.send(event('evt_a'));
    await settle();
    scheduler.advance(200);
    await settle();
    expect(sender.list().map((a) => [a.attempt, a.status_code, a.error, a.delivered])).toEqual([
      [1, null, 'fetch failed: ECONNREFUSED', false],
      [2, 202, null, true],
    ]);
    scheduler.advance(60_000);
    await settle();
    expect(calls).toHaveLength(2);
  });

  test('an attempt with no answer within the timeout counts as failed', async () => {
    sender = newSender({
      timeoutMs: 30,
      fetch: (_input, init) =>
        new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))),
    });
    sender.send(event('evt_a'));
    const [attempt] = await waitFor(() => (sender.list().length > 0 ? sender.list() : undefined));
    expect(attempt).toMatchObject({ attempt: 1, status_code: null, error: 'no answer within 30 ms', delivered: false });
    expect(scheduler.pending).toBe(1);
  });

  test('a slow or failing delivery does not hold up the next event of the same payout', async () => {
    answer = (call) => (call.id === 'evt_a' ? 500 : 200);
    sender.send(event('evt_a'));
    sender.send(event('evt_b'));
    await settle();
    expect(calls.map((c) => c.id)).toEqual(['evt_a', 'evt_b']);
    scheduler.advance(200);
    await settle();
    expect(calls.map((c) => c.id)).toEqual(['evt_a', 'evt_b', 'evt_a']);
  });

  test('duplicate share 1: every event is delivered twice with the same id and body', async () => {
    config = { ...config, webhookDuplicateShare: 1 };
    sender.send(event('evt_a'));
    sender.send(event('evt_b'));
    await settle();
    expect(calls.map((c) => c.id)).toEqual(['evt_a', 'evt_a', 'evt_b', 'evt_b']);
    expect(must(calls[0], 'calls[0]').body).toBe(must(calls[1], 'calls[1]').body);
    expect(sender.list().map((a) => [a.event_id, a.duplicate])).toEqual([
      ['evt_a', false],
      ['evt_a', true],
      ['evt_b', false],
      ['evt_b', true],
    ]);
  });

  test('out-of-order share 1: an event follows the next one of its payout', async () => {
    config = { ...config, webhookOutOfOrderShare: 1 };
    sender.send(event('evt_a', 'pout_1'));
    sender.send(event('evt_x', 'pout_2'));
    await settle();
    expect(calls).toHaveLength(0);
    sender.send(event('evt_b', 'pout_1'));
    await settle();
    expect(calls.map((c) => c.id)).toEqual(['evt_b', 'evt_a']);
  });

  test('out-of-order: a held event with no successor goes after 2 × progressDelayMs', async () => {
    config = { ...config, webhookOutOfOrderShare: 1 };
    sender.send(event('evt_a'));
    scheduler.advance(199);
    await settle();
    expect(calls).toHaveLength(0);
    scheduler.advance(1);
    await settle();
    expect(calls.map((c) => c.id)).toEqual(['evt_a']);
  });

  test('reset forgets attempts and drops held and pending deliveries', async () => {
    answer = () => 503;
    sender.send(event('evt_a', 'pout_1'));
    await settle();
    config = { ...config, webhookOutOfOrderShare: 1 };
    sender.send(event('evt_b', 'pout_2'));
    expect(sender.list()).toHaveLength(1);
    expect(scheduler.pending).toBe(2);

    sender.reset();
    expect(sender.list()).toHaveLength(0);
    expect(scheduler.pending).toBe(0);
    scheduler.advance(60_000);
    await settle();
    expect(calls.map((c) => c.id)).toEqual(['evt_a']);
  });
});
