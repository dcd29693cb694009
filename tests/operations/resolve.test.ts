import { payoutEvents } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { ProviderBudget } from '@payouts/queue';
import { waitFor } from '@payouts/testing';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * `POST /v1/admin/payouts/{id}/resolve`: a payout in needs_attention is settled from the provider's
 * answer when it has one; only when the provider cannot tell may an operator set processed or
 * failed, with evidence, recorded, and the ledger follows (the hold settled or released).
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let op: ReturnType<typeof client>;

beforeAll(async () => {
  // A provider deadline of 1.5 s so a payout that stays in progress needs attention quickly.
  system = await startTestSystem({ env: { POLL_DEADLINE_MS: '1500' } });
  tenant = await createFundedTenant(system, 'resolve', 10_000_000);
  op = client(system.api.url, system.operatorKey);
});
afterAll(async () => {
  await system?.stop();
});

const status = async (id: string) => (await tenant.api('GET', `/v1/payouts/${id}`)).body;
const settle = (id: string, want: string) =>
  waitFor(async () => ((await status(id)).status === want ? status(id) : undefined), { message: `${id} → ${want}` });
async function balance() {
  const inr = (await tenant.api('GET', '/v1/balances')).body.data.find(
    (b: { currency: string }) => b.currency === 'INR',
  );
  return { available: inr.available as number, held: inr.held as number };
}
/** A payout the sandbox keeps in progress (account ending 0003) until it passes the deadline. */
async function stuckPayout(tag: string, amount = 30_000) {
  const res = await tenant.api(
    'POST',
    '/v1/payouts',
    inrPayout({ amount, beneficiary: { name: 'Stuck', account_number: `9999${tag}0003`, bank_code: 'HDFC0001234' } }),
    { 'idempotency-key': `resolve-${tag}` },
  );
  expect(res.status).toBe(202);
  return settle(res.body.id, 'needs_attention');
}
const sandboxRequests = async (): Promise<Record<string, number>> =>
  (
    (await (await fetch(`${system.sandbox.url}/_admin/razorpayx/requests`)).json()) as {
      by_route: Record<string, number>;
    }
  ).by_route;
const resolve = (id: string, body?: unknown) => op('POST', `/v1/admin/payouts/${id}/resolve`, body);
const forceAtSandbox = (providerPayoutId: string, to: string) =>
  fetch(`${system.sandbox.url}/_admin/razorpayx/payouts/${providerPayoutId}/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status: to }),
  });

describe('resolving a payout in needs_attention', () => {
  test("the provider's answer first: still in progress there is a 409, even with an operator's outcome", async () => {
    const stuck = await stuckPayout('0101');
    const asked = await resolve(stuck.id);
    expect(asked.status).toBe(409);
    expect(asked.body.code).toBe('provider_still_processing');
    const overruled = await resolve(stuck.id, { status: 'failed', evidence: { statement_line: 'nothing' } });
    expect(overruled.body.code).toBe('provider_still_processing');
    expect((await status(stuck.id)).status).toBe('needs_attention');

    // The bank settles it: the provider's answer is applied, the ledger posts, the operator log says so.
    const before = await balance();
    expect((await forceAtSandbox(stuck.provider_payout_id, 'processed')).ok).toBe(true);
    const done = await resolve(stuck.id);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ resolved_by: 'provider', provider_status: 'processed' });
    expect(done.body.payout.status).toBe('processed');
    const after = await balance();
    expect(after.held).toBe(before.held - 30_000 - 3000); // amount + the fee reserve were held
    const actions = await op('GET', `/v1/admin/operator-actions?target=${stuck.id}`);
    expect(actions.body.data[0]).toMatchObject({
      action: 'payout.resolve',
      result: expect.objectContaining({ resolved_by: 'provider', status: 'processed' }),
    });
  });

  test('when the provider has no record, the operator decides on evidence: failed releases the hold', async () => {
    const stuck = await stuckPayout('0202', 40_000);
    const before = await balance();
    // The provider lost its record of the payout (the sandbox forgets everything).
    expect((await fetch(`${system.sandbox.url}/_admin/reset`, { method: 'POST' })).ok).toBe(true);

    const bare = await resolve(stuck.id);
    expect(bare.status).toBe(409);
    expect(bare.body.code).toBe('provider_cannot_tell');
    const noEvidence = await resolve(stuck.id, { status: 'failed' });
    expect(noEvidence.status).toBe(422);
    expect(noEvidence.body.errors.map((e: { field: string }) => e.field)).toEqual(['evidence']);

    const line = 'HDFC stmt 2026-12-05: NEFT return, account closed';
    const failed = await resolve(stuck.id, { status: 'failed', evidence: { statement_line: line }, note: 'ticket 42' });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ resolved_by: 'operator', provider_status: null });
    expect(failed.body.payout).toMatchObject({
      status: 'failed',
      failure: { code: 'operator_resolved', message: line },
    });
    expect(await balance()).toEqual({ available: before.available + 40_000 + 3000, held: before.held - 40_000 - 3000 });

    const history = await system.db.db
      .select()
      .from(payoutEvents)
      .where(eq(payoutEvents.payoutId, stuck.id))
      .orderBy(asc(payoutEvents.id));
    expect(history.at(-1)).toMatchObject({
      toStatus: 'failed',
      source: 'operator',
      detail: expect.objectContaining({
        resolution: expect.objectContaining({ evidence: { statement_line: line }, note: 'ticket 42' }),
      }),
    });
    const again = await resolve(stuck.id);
    expect(again.body.code).toBe('payout_not_resolvable');
  });

  test('processed on a UTR: the wallet is charged the amount, the UTR shows, the ledger balances', async () => {
    const stuck = await stuckPayout('0303', 50_000);
    const before = await balance();
    expect((await fetch(`${system.sandbox.url}/_admin/reset`, { method: 'POST' })).ok).toBe(true);
    const done = await resolve(stuck.id, { status: 'processed', evidence: { utr: 'HDFCN52026120512345' } });
    expect(done.status).toBe(200);
    expect(done.body.payout).toMatchObject({ status: 'processed', utr: 'HDFCN52026120512345' });
    // Charged what RazorpayX said it would charge while the payout was in progress (fees + tax).
    const charged = (stuck.fees ?? 0) + (stuck.tax ?? 0);
    expect(await balance()).toEqual({
      available: before.available + 3000 - charged,
      held: before.held - 50_000 - 3000,
    });
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test("an operator's lookup takes a token from the provider's budget: while a 429 holds it, a 503 and nothing is sent", async () => {
    const stuck = await stuckPayout('0404');
    const budget = new ProviderBudget(system.queues.connection, system.prefix, 'razorpayx', { ratePerSecond: 10 });
    const lookups = async () => (await sandboxRequests())['GET /v1/payouts/:id'] ?? 0;
    const before = await lookups();
    // The provider answered 429 with a long Retry-After (as a worker would have recorded it).
    await budget.pause(60_000);
    const held = await resolve(stuck.id, { status: 'failed', evidence: { statement_line: 'nothing' } });
    expect(held.status, JSON.stringify(held.body)).toBe(503);
    expect(held.body.detail).toContain('razorpayx could not be asked');
    expect(await lookups()).toBe(before);
    expect((await status(stuck.id)).status).toBe('needs_attention');

    // The pause lifted (the bucket's hash gone: a full bucket), the provider is asked once and answers.
    await system.queues.connection.del(`${system.prefix}:budget:razorpayx`);
    const asked = await resolve(stuck.id);
    expect(asked.status).toBe(409);
    expect(asked.body.code).toBe('provider_still_processing');
    expect(await lookups()).toBe(before + 1);
  });

  test('a payout not in needs_attention, and bodies that do not say what they mean, are refused', async () => {
    const res = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'resolve-fine' });
    const done = await settle(res.body.id, 'processed');
    expect((await resolve(done.id)).body.code).toBe('payout_not_resolvable');
    expect((await resolve('po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7')).status).toBe(404);
    const odd = await resolve(done.id, { evidence: { utr: 'X1' } });
    expect(odd.status).toBe(422);
    expect(odd.body.errors.map((e: { field: string }) => e.field)).toEqual(['status']);
    const empty = await resolve(done.id, { status: 'processed', evidence: {} });
    expect(empty.status).toBe(422);
  });
});
