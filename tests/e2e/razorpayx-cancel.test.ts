import { waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * A payout queued at RazorpayX itself (its own low-balance queue) can be cancelled: our cancel calls
 * RazorpayX's cancel, and RazorpayX's answer decides the state.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'rzp-cancel', 10_000_000);
});
afterAll(async () => {
  await system?.stop();
});

const sandboxBalance = (amount: number) =>
  fetch(`${system.sandbox.url}/_admin/razorpayx/balance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amount }),
  });
const status = async (id: string) => (await tenant.api('GET', `/v1/payouts/${id}`)).body;
const settle = (id: string, want: string) =>
  waitFor(async () => ((await status(id)).status === want ? status(id) : undefined), { message: `${id} → ${want}` });
async function atSandbox(id: string) {
  const list = (await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts`).then((r) => r.json())) as {
    data: { idempotency_key: string; status: string }[];
  };
  return list.data.filter((p) => p.idempotency_key === id);
}
async function balance() {
  const inr = (await tenant.api('GET', '/v1/balances')).body.data.find(
    (b: { currency: string }) => b.currency === 'INR',
  );
  return { available: inr.available as number, held: inr.held as number };
}
async function queuedAtRazorpayx(tag: string) {
  const res = await tenant.api(
    'POST',
    '/v1/payouts',
    inrPayout({ amount: 25_000, queue_if_low_balance: true, reference_id: tag }),
    { 'idempotency-key': tag },
  );
  expect(res.status).toBe(202);
  const queued = await waitFor(
    async () => {
      const p = await status(res.body.id);
      return p.status === 'queued' && p.provider_payout_id ? p : undefined;
    },
    { message: 'the payout queued at RazorpayX' },
  );
  expect(queued.queued_reason).toBe('provider_low_balance');
  return queued;
}

describe('cancelling a payout queued at RazorpayX', () => {
  test("RazorpayX's cancel succeeds: the payout is cancelled here and there, its hold released", async () => {
    const before = await balance();
    await sandboxBalance(0);
    try {
      const queued = await queuedAtRazorpayx('rzp-cancel-1');
      const asked = await tenant.api('POST', `/v1/payouts/${queued.id}/cancel`);
      expect(asked.status).toBe(202);
      await settle(queued.id, 'cancelled');
      expect((await atSandbox(queued.id)).map((p) => p.status)).toEqual(['cancelled']);
      await waitFor(async () => (await balance()).held === before.held || undefined);
      expect(await balance()).toEqual(before);
    } finally {
      await sandboxBalance(1_000_000_000_000);
    }
  });

  test('RazorpayX already sent it: its cancel is refused and the payout goes on, once', async () => {
    await sandboxBalance(0);
    let id: string;
    try {
      id = (await queuedAtRazorpayx('rzp-cancel-2')).id;
    } finally {
      // Funded: RazorpayX releases its queue before our cancel reaches it.
      await sandboxBalance(1_000_000_000_000);
    }
    await waitFor(async () => ((await atSandbox(id))[0]?.status !== 'queued' ? true : undefined));
    const asked = await tenant.api('POST', `/v1/payouts/${id}/cancel`);
    // 202 while our record still says queued (RazorpayX refuses, a lookup follows); 409 once it moved on.
    expect([202, 409]).toContain(asked.status);
    await settle(id, 'processed');
    expect(await atSandbox(id)).toHaveLength(1);
  });
});
