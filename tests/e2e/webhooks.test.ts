import { createHmac } from 'node:crypto';
import { providerEvents } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiFetch, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * RazorpayX webhooks, end to end: the sandbox signs and sends them (with duplicates and out of
 * order on purpose), the API verifies and stores them once, and the worker confirms each by a
 * lookup. Polling is pushed out to a minute here, so only webhooks can settle these payouts quickly.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem({
    webhooks: true,
    sandbox: { webhookDuplicateShare: 0.5, webhookOutOfOrderShare: 0.5 },
    env: { POLL_FIRST_DELAY_MS: '60000', POLL_MAX_DELAY_MS: '60000', REVERSAL_WATCH_MS: '0' },
  });
  tenant = await createFundedTenant(system, 'hooks');
});
afterAll(async () => {
  await system?.stop();
});

async function settle(id: string, status: string) {
  return waitFor(
    async () => {
      const res = await tenant.api('GET', `/v1/payouts/${id}`);
      return res.body.status === status ? res.body : undefined;
    },
    { message: `payout ${id} to reach ${status}` },
  );
}

const send = (body: string, headers: Record<string, string>) =>
  apiFetch(`${system.api.url}/v1/webhooks/razorpayx`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('RazorpayX webhooks', () => {
  test('settle payouts without waiting for a poll: processed, failed and reversed, each once', async () => {
    const ok = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'wh-1' });
    const bad = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({ beneficiary: { name: 'Fail Case', account_number: '999900010001', bank_code: 'HDFC0001234' } }),
      { 'idempotency-key': 'wh-2' },
    );
    const back = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({ beneficiary: { name: 'Reverse Case', account_number: '999900020002', bank_code: 'HDFC0001234' } }),
      { 'idempotency-key': 'wh-3' },
    );
    await settle(ok.body.id, 'processed');
    await settle(bad.body.id, 'failed');
    await settle(back.body.id, 'reversed');

    const history = await tenant.api('GET', `/v1/payouts/${back.body.id}/events`);
    const applied = history.body.data.filter((e: { applied: boolean }) => e.applied);
    expect(applied.some((e: { source: string }) => e.source === 'webhook')).toBe(true);
    // Each status entered once, however many times and in whatever order the webhooks came.
    const entered = applied.map((e: { to_status: string }) => e.to_status);
    expect(new Set(entered).size).toBe(entered.length);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('a bad signature is a 401 and stores nothing', async () => {
    const before = (await system.db.db.select().from(providerEvents)).length;
    const body = JSON.stringify({
      entity: 'event',
      event: 'payout.processed',
      contains: ['payout'],
      payload: {},
      created_at: 1,
    });
    const res = await send(body, { 'x-razorpay-signature': 'deadbeef', 'x-razorpay-event-id': 'evt_forged' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    const unsigned = await send(body, { 'x-razorpay-event-id': 'evt_forged2' });
    expect(unsigned.status).toBe(401);
    expect((await system.db.db.select().from(providerEvents)).length).toBe(before);
  });

  test('a signed event holding text Postgres cannot store is a 400 naming it, and stores nothing', async () => {
    const before = (await system.db.db.select().from(providerEvents)).length;
    for (const [event, id] of [
      ['payout.\\u0000', 'evt_nul_0001'],
      ['payout.\\ud800', 'evt_lone_0001'],
    ] as const) {
      const body = `{"entity":"event","account_id":"acc_x","event":"${event}","contains":[],"payload":{},"created_at":1}`;
      const signature = createHmac('sha256', 'sandbox_webhook_secret').update(body).digest('hex');
      const res = await send(body, { 'x-razorpay-signature': signature, 'x-razorpay-event-id': id });
      expect(res.status, event).toBe(400);
      const problem = (await res.json()) as { code: string; errors: { field: string }[] };
      expect(problem.code).toBe('invalid_webhook');
      expect(problem.errors.map((e) => e.field)).toEqual(['event_type']);
    }
    expect((await system.db.db.select().from(providerEvents)).length).toBe(before);
  });

  test('the same event id twice is stored once and reported as a duplicate', async () => {
    const body = JSON.stringify({
      entity: 'event',
      account_id: 'acc_x',
      event: 'payout.downtime.started',
      contains: [],
      payload: {},
      created_at: 1,
    });
    const signature = createHmac('sha256', 'sandbox_webhook_secret').update(body).digest('hex');
    const headers = { 'x-razorpay-signature': signature, 'x-razorpay-event-id': 'evt_twice_0001' };
    const first = await send(body, headers).then((r) => r.json());
    const second = await send(body, headers).then((r) => r.json());
    expect(first).toMatchObject({ received: true, duplicate: false });
    expect(second).toMatchObject({ received: true, duplicate: true });
  });
});
