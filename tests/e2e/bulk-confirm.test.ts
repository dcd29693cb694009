import { createHmac } from 'node:crypto';
import { ledgerTransactions, payouts } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { waitFor } from '@payouts/testing';
import { and, eq, inArray, notInArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  apiFetch,
  configureSandbox,
  createFundedTenant,
  inrPayout,
  startTestSystem,
  type TestSystem,
} from '../support/system.ts';

/**
 * RazorpayX webhooks confirmed in bulk: the sandbox signs and sends them, the API records their
 * arrival and hands each to the worker, which gathers them over a window and confirms them with one
 * list call (`GET /v1/payouts`, paged by 100) instead of one lookup each. Polling is the safety
 * net: slow while webhooks flow, back to its pace when they stop. What the provider's list says is
 * what gets reported, checked by the reconciler as any lookup's answer.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

const SAFETY_POLL_MS = 120_000;
const CONFIRM_WINDOW_MS = 2_000;
/** Payouts the sandbox keeps in progress (account numbers ending 0003), left open on purpose. */
const keptOpen: string[] = [];

beforeAll(async () => {
  system = await startTestSystem({
    webhooks: true,
    env: {
      // The normal pace is quick; while webhooks flow, polls wait two minutes (longer than any test
      // here waits), so only the list confirmations can settle these payouts quickly.
      POLL_FIRST_DELAY_MS: '200',
      POLL_FACTOR: '1.5',
      POLL_MAX_DELAY_MS: '1000',
      REVERSAL_WATCH_MS: '0',
      WEBHOOK_QUIET_MS: '15000',
      WEBHOOK_SAFETY_POLL_MS: String(SAFETY_POLL_MS),
      CONFIRM_WINDOW_MS: String(CONFIRM_WINDOW_MS),
    },
  });
  tenant = await createFundedTenant(system, 'bulk-confirm', 1_000_000_000);
});
afterAll(async () => {
  await system?.stop();
});

type Requests = { total: number; by_route: Record<string, number> };
async function requests(): Promise<Requests> {
  const res = await fetch(`${system.sandbox.url}/_admin/razorpayx/requests`);
  return (await res.json()) as Requests;
}
const route = (r: Requests, name: string) => r.by_route[name] ?? 0;
/** The sandbox's record of its webhook deliveries: each attempt, its event type, when it was sent. */
async function webhookAttempts(): Promise<Array<{ type: string; delivered: boolean; at: string }>> {
  const res = await fetch(`${system.sandbox.url}/_admin/razorpayx/webhooks`);
  return ((await res.json()) as { data: Array<{ type: string; delivered: boolean; at: string }> }).data;
}

/** Webhooks flowing as far as the workers can tell: one arrived within WEBHOOK_QUIET_MS. */
async function warmUp(key: string) {
  const one = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': key });
  expect(one.status).toBe(202);
  await waitForStatus([one.body.id], 'processed');
}

async function waitForStatus(ids: string[], status: string, timeoutMs = 120_000) {
  await waitFor(
    async () => {
      const rows = await system.db.db
        .select({ id: payouts.id, status: payouts.status })
        .from(payouts)
        .where(inArray(payouts.id, ids));
      return rows.length === ids.length && rows.every((r) => r.status === status);
    },
    { timeoutMs, message: `${ids.length} payouts to reach ${status}` },
  );
}

async function sandboxPayout(providerPayoutId: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${system.sandbox.url}/razorpayx/v1/payouts/${providerPayoutId}`, {
    headers: { authorization: `Basic ${Buffer.from('rzp_test_sandbox:sandbox_secret').toString('base64')}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** A webhook signed with the right secret (whoever holds it), saying what `entity` says. */
async function sendSigned(entity: Record<string, unknown>, eventId: string) {
  const body = JSON.stringify({
    entity: 'event',
    account_id: 'acc_sandbox',
    event: `payout.${entity.status}`,
    contains: ['payout'],
    payload: { payout: { entity } },
    created_at: Math.floor(Date.now() / 1000),
  });
  const signature = createHmac('sha256', 'sandbox_webhook_secret').update(body).digest('hex');
  const res = await apiFetch(`${system.api.url}/v1/webhooks/razorpayx`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-razorpay-signature': signature, 'x-razorpay-event-id': eventId },
    body,
  });
  expect(res.status).toBe(200);
}

/** The worker's list window has taken this payout's webhook (confirmed it, one way or another). */
async function confirmedByWindow(payoutId: string) {
  await waitFor(async () => (await system.redis.zscore(`${system.prefix}:confirm:razorpayx`, payoutId)) === null, {
    timeoutMs: 60_000,
    message: `the webhook for ${payoutId} to be confirmed`,
  });
}

async function stuckPayout(key: string) {
  // Account numbers ending 0003 stay in progress at the sandbox until told otherwise.
  const res = await tenant.api(
    'POST',
    '/v1/payouts',
    inrPayout({ beneficiary: { name: 'Stays Open', account_number: '999900030003', bank_code: 'HDFC0001234' } }),
    { 'idempotency-key': key },
  );
  expect(res.status).toBe(202);
  keptOpen.push(res.body.id);
  await waitForStatus([res.body.id], 'processing');
  const [row] = await system.db.db.select().from(payouts).where(eq(payouts.id, res.body.id));
  return { id: res.body.id as string, providerPayoutId: row?.providerPayoutId as string };
}

describe('RazorpayX webhooks confirmed in bulk', () => {
  test('a burst of 100 webhooks is confirmed by a handful of list calls, not 100 lookups', async () => {
    await warmUp('bulk-warm');
    const before = await requests();
    const started = Date.now();
    const items = Array.from({ length: 100 }, () => inrPayout());
    const batch = await tenant.api('POST', '/v1/payout-batches', { items }, { 'idempotency-key': 'bulk-100' });
    expect(batch.status, JSON.stringify(batch.body).slice(0, 300)).toBe(202);
    const rows = await waitFor(
      async () => {
        const r = await system.db.db.select({ id: payouts.id }).from(payouts).where(eq(payouts.batchId, batch.body.id));
        return r.length === 100 ? r : undefined;
      },
      { message: 'the batch stored' },
    );
    const ids = rows.map((r) => r.id);
    await waitForStatus(ids, 'processed');
    const after = await requests();

    const creates = route(after, 'POST /v1/payouts') - route(before, 'POST /v1/payouts');
    const lists = route(after, 'GET /v1/payouts') - route(before, 'GET /v1/payouts');
    const lookups = route(after, 'GET /v1/payouts/:id') - route(before, 'GET /v1/payouts/:id');
    expect(creates).toBe(100);
    // A `processed` webhook a payout (their `initiated` ones say what we recorded already):
    // one list call per 2 s window in which some arrived, however many did. How many windows that
    // is depends on how long the sandbox took to send them (a busy machine stretches it), so the
    // bound is counted from when they arrived, not fixed.
    const arrivals = (await webhookAttempts())
      .filter((a) => a.type === 'payout.processed' && a.delivered && Date.parse(a.at) >= started)
      .map((a) => Date.parse(a.at));
    expect(arrivals.length).toBeGreaterThanOrEqual(100);
    const windows = Math.ceil((Math.max(...arrivals) - Math.min(...arrivals)) / CONFIRM_WINDOW_MS) + 1;
    expect(lists).toBeGreaterThan(0);
    expect(lists, `${lists} lists for webhooks arriving over ${windows} windows`).toBeLessThanOrEqual(windows + 1);
    expect(lists).toBeLessThan(100);
    expect(lookups).toBeLessThanOrEqual(5);
    // Settled by the webhooks' confirmation, not by a poll.
    const history = await tenant.api('GET', `/v1/payouts/${ids[0]}/events`);
    const processed = history.body.data.find((e: { to_status: string }) => e.to_status === 'processed');
    expect(processed?.source).toBe('webhook');
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('a signed webhook that lies changes nothing: the provider\u2019s list says processing', async () => {
    await warmUp('forged-warm');
    const open = await stuckPayout('forged-1');
    const entity = await sandboxPayout(open.providerPayoutId);
    await sendSigned({ ...entity, status: 'processed', utr: 'FORGED123' }, 'evt_forged_processed_1');
    await confirmedByWindow(open.id);
    const [row] = await system.db.db.select().from(payouts).where(eq(payouts.id, open.id));
    expect(row?.status).toBe('processing');
    expect(row?.utr).toBeNull();
    const posted = await system.db.db
      .select()
      .from(ledgerTransactions)
      .where(and(eq(ledgerTransactions.payoutId, open.id), eq(ledgerTransactions.kind, 'post')));
    expect(posted).toEqual([]);
  });

  test('a list answer that differs from the payout is held for an operator, nothing posted', async () => {
    await warmUp('mismatch-warm');
    const open = await stuckPayout('mismatch-1');
    // The provider's own record now names another amount (and says processed), with no webhook.
    const drift = await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts/${open.providerPayoutId}/drift`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 60_000, status: 'processed' }),
    });
    expect(drift.status).toBe(200);
    await sendSigned(await sandboxPayout(open.providerPayoutId), 'evt_mismatch_processed_1');
    const held = await waitFor(
      async () => {
        const res = await tenant.api('GET', `/v1/payouts/${open.id}`);
        return res.body.status === 'needs_attention' ? res.body : undefined;
      },
      { timeoutMs: 60_000, message: 'the payout held for an operator' },
    );
    expect(held.failure).toMatchObject({ code: 'provider_mismatch' });
    const posted = await system.db.db
      .select()
      .from(ledgerTransactions)
      .where(and(eq(ledgerTransactions.payoutId, open.id), eq(ledgerTransactions.kind, 'post')));
    expect(posted).toEqual([]);
  });

  test('webhooks stop mid-run: polling takes over at its own pace and nothing is left in flight', async () => {
    await warmUp('quiet-warm');
    // The provider stops sending webhooks; payouts posted now are only seen by polling.
    await configureSandbox(system.sandbox.url, 'razorpayx', { webhookUrl: null });
    const items = Array.from({ length: 20 }, () => inrPayout());
    const batch = await tenant.api('POST', '/v1/payout-batches', { items }, { 'idempotency-key': 'quiet-20' });
    expect(batch.status).toBe(202);
    const rows = await waitFor(
      async () => {
        const r = await system.db.db.select({ id: payouts.id }).from(payouts).where(eq(payouts.batchId, batch.body.id));
        return r.length === 20 ? r : undefined;
      },
      { message: 'the batch stored' },
    );
    // Far sooner than the safety cadence (two minutes): the quiet period passed, the normal pace resumed.
    await waitForStatus(
      rows.map((r) => r.id),
      'processed',
      SAFETY_POLL_MS - 5_000,
    );
    // Nothing else in flight either, but the payouts the tests above keep open at the provider.
    const inFlight = await system.db.db
      .select({ id: payouts.id, status: payouts.status })
      .from(payouts)
      .where(and(notInArray(payouts.id, keptOpen), notInArray(payouts.status, ['processed', 'needs_attention'])));
    expect(inFlight).toEqual([]);
    await configureSandbox(system.sandbox.url, 'razorpayx', { webhookUrl: `${system.api.url}/v1/webhooks/razorpayx` });
  });
});
