import { payoutEvents, payouts } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { ProviderGate } from '@payouts/queue';
import { waitFor } from '@payouts/testing';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  configureSandbox,
  createFundedTenant,
  inrPayout,
  startTestSystem,
  type TestSystem,
} from '../support/system.ts';

/**
 * Credentials rotated at the provider (3 am): a refused key is not a payout's failure. The
 * provider is parked (gate reason `credentials_rejected`), every payout stays where it is, and
 * once the keys are fixed every payout completes with the idempotency key it always had: none
 * failed, none paid twice, the ledger balanced.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'rotated', 100_000_000);
});
afterAll(async () => {
  await system?.stop();
});

const sandboxConfig = (patch: Record<string, unknown>) => configureSandbox(system.sandbox.url, 'razorpayx', patch);

async function createMany(n: number, tag: string) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({
        amount: 10_000 + i,
        beneficiary: { name: 'Ravi Das', account_number: `8800000${1000 + i}`, bank_code: 'HDFC0001234' },
      }),
      { 'idempotency-key': `${tag}-${i}` },
    );
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
  return ids;
}

const statuses = async (ids: string[]) =>
  (await system.db.db.select({ status: payouts.status }).from(payouts).where(inArray(payouts.id, ids))).map(
    (r) => r.status,
  );

describe('credentials rotated mid-run', () => {
  test('park the provider without failing anything; after the fix every payout completes once', async () => {
    const gate = new ProviderGate(system.queues.connection, system.prefix, 'razorpayx');
    const before = await createMany(4, 'before');
    await sandboxConfig({ credentialsRevoked: true });
    let ids: string[] = [];
    try {
      // Some of these are being submitted, some polled, when the keys stop working.
      ids = [...before, ...(await createMany(12, 'during'))];
      await waitFor(async () => (await gate.isCredentialsRejected()) || undefined, {
        message: 'the provider to be parked for rejected credentials',
      });
      expect(await gate.reasons()).toContain('credentials_rejected');
      // Parked, not failed: a payout the provider never took waits in reserved, one it took goes on being looked at.
      await waitFor(
        async () => {
          const now = await statuses(ids);
          return now.includes('reserved') || undefined;
        },
        { message: 'payouts held in reserved while the keys are refused' },
      );
      expect(await statuses(ids)).not.toContain('failed');
    } finally {
      // The operator deployed the new keys (in the sandbox: the engine's keys are accepted again).
      await sandboxConfig({ credentialsRevoked: false });
    }

    await waitFor(
      async () => {
        const now = await statuses(ids);
        return now.length === ids.length && now.every((s) => s === 'processed') ? true : undefined;
      },
      { intervalMs: 100, message: 'every payout processed after the fix' },
    );
    await waitFor(async () => !(await gate.isCredentialsRejected()) || undefined, {
      message: 'the credentials mark cleared by the probe',
    });

    // Once each at the provider, with the key minted at ingestion; nothing ever failed.
    const list = (await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts`).then((r) => r.json())) as {
      data: { idempotency_key: string }[];
    };
    for (const id of ids) expect(list.data.filter((p) => p.idempotency_key === id)).toHaveLength(1);
    const history = await system.db.db
      .select({ to: payoutEvents.toStatus })
      .from(payoutEvents)
      .where(inArray(payoutEvents.payoutId, ids));
    expect(history.map((e) => e.to)).not.toContain('failed');
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });
});
