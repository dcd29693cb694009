import { verifyAuditChains } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { ProviderGate } from '@payouts/queue';
import { waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  configureSandbox,
  createFundedTenant,
  inrPayout,
  startTestSystem,
  type TestSystem,
} from '../support/system.ts';

/**
 * Provider faults injected by the sandbox: 5xx, 429 with Retry-After, a sustained outage. Every
 * payout still ends processed, with exactly one payout at the provider, and the ledger balanced.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem({ env: { PROVIDER_TIMEOUT_MS: '1000' } });
  tenant = await createFundedTenant(system, 'faults', 100_000_000);
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
        beneficiary: { name: 'Fault Case', account_number: `7700000${1000 + i}`, bank_code: 'HDFC0001234' },
      }),
      {
        'idempotency-key': `${tag}-${i}`,
      },
    );
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
  return ids;
}

async function allProcessed(ids: string[]) {
  await waitFor(
    async () => {
      for (const id of ids)
        if ((await tenant.api('GET', `/v1/payouts/${id}`)).body.status !== 'processed') return undefined;
      return true;
    },
    { intervalMs: 100, message: 'every payout processed' },
  );
  const list = (await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts`).then((r) => r.json())) as {
    data: { idempotency_key: string }[];
  };
  for (const id of ids) expect(list.data.filter((p) => p.idempotency_key === id)).toHaveLength(1);
}

describe('provider faults', () => {
  test('half of all calls answer 503: retried and looked up, never paid twice', async () => {
    await sandboxConfig({ http5xxShare: 0.5 });
    try {
      const ids = await createMany(12, 'five-hundred');
      await allProcessed(ids);
    } finally {
      await sandboxConfig({ http5xxShare: 0 });
    }
  });

  test('half of all calls answer 429 with Retry-After: the provider queue waits, then everything goes through', async () => {
    await sandboxConfig({ http429Share: 0.5, retryAfterSeconds: 1 });
    try {
      const ids = await createMany(8, 'too-many');
      await allProcessed(ids);
    } finally {
      await sandboxConfig({ http429Share: 0 });
    }
  });

  test('a sustained outage opens the circuit for every worker; when the provider is back, all payouts complete', async () => {
    const gate = new ProviderGate(system.queues.connection, system.prefix, 'razorpayx');
    await sandboxConfig({ http5xxShare: 1 });
    let ids: string[];
    try {
      ids = await createMany(25, 'outage');
      await waitFor(async () => (await gate.circuitState()) === 'open' || undefined, {
        message: 'the circuit to open',
      });
    } finally {
      await sandboxConfig({ http5xxShare: 0 });
    }
    await allProcessed(ids);
    await waitFor(async () => (await gate.circuitState()) !== 'open' || undefined);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
    expect((await verifyAuditChains(system.db.db)).payoutEvents).toMatchObject({ brokenChains: 0, broken: [] });
  });
});
