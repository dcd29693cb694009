import { ledgerAccounts, ledgerEntries, ledgerTransactions } from '@payouts/db';
import { must, waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { describe, expect, test } from 'vitest';
import { client, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * THAI_GATEWAY_AMOUNT_UNIT end to end: the adapter writes the amount in the configured reading,
 * the sandbox reads it the same way (and moves that much), the ledger posts what we asked, and a
 * reconciliation run shows the gateway's amount in both readings.
 */
const thbPayout = {
  amount: 100_000,
  currency: 'THB',
  method: 'bank_account',
  description: 'Payout for order 12345',
  beneficiary: { name: 'John Doe', account_number: '1234564242', bank_code: '004' },
};

async function scenario(unit: 'baht' | 'satang') {
  const system: TestSystem = await startTestSystem({
    env: { THAI_GATEWAY_AMOUNT_UNIT: unit, RECONCILIATION_POLL_MS: '100', RECONCILIATION_NIGHTLY_AT: 'off' },
  });
  try {
    const from = new Date(Date.now() - 1000).toISOString();
    const tenant = await createFundedTenant(system, `units-${unit}`, { THB: 10_000_000 });
    const created = await tenant.api('POST', '/v1/payouts', thbPayout, { 'idempotency-key': `units-${unit}` });
    expect(created.status).toBe(202);
    const id = created.body.id;
    const paid = await waitFor(
      async () => {
        const res = await tenant.api('GET', `/v1/payouts/${id}`);
        return res.body.status === 'processed' ? res.body : undefined;
      },
      { message: `${id} processed` },
    );
    const atSandbox = (await (await fetch(`${system.sandbox.url}/_admin/thai-gateway/payouts`)).json()) as {
      data: { id: string; amount: number; payout: { amount: string } }[];
    };
    const record = must(
      atSandbox.data.find((p: { id: string }) => p.id === paid.provider_payout_id),
      'the withdraw at the sandbox',
    );
    // The ledger posted the ฿1,000 we asked for: the wallet's clearing leg is 100000 satang.
    const [post] = await system.db.db
      .select({ id: ledgerTransactions.id })
      .from(ledgerTransactions)
      .where(eq(ledgerTransactions.idempotencyKey, `${id}:post`));
    const entries = await system.db.db
      .select({ key: ledgerAccounts.key, amount: ledgerEntries.amount })
      .from(ledgerEntries)
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
      .where(eq(ledgerEntries.transactionId, must(post, 'the posting').id));
    const clearing = must(
      entries.find((e) => e.key.startsWith('clearing:thai-gateway')),
      'the clearing entry',
    );

    const op = client(system.api.url, system.operatorKey);
    const run = await op('POST', '/v1/admin/reconciliations', {
      provider: 'thai-gateway',
      from,
      to: new Date(Date.now() + 1000).toISOString(),
    });
    system.reconciler.nudgeReconciliation();
    await waitFor(
      async () =>
        (await op('GET', `/v1/admin/reconciliations/${run.body.id}`)).body.status === 'completed' ? true : undefined,
      { message: 'the run completed' },
    );
    const items = await op('GET', `/v1/admin/reconciliations/${run.body.id}/items?reason=all`);
    return { paid, record, clearing, item: must(items.body.data[0], 'the item') };
  } finally {
    await system.stop();
  }
}

describe('THAI_GATEWAY_AMOUNT_UNIT', () => {
  test('baht (the default): ฿1,000 is "1000.00" on the wire; the sandbox moves 100000 satang', async () => {
    const { paid, record, clearing, item } = await scenario('baht');
    expect(paid.amount).toBe(100_000);
    expect(record.payout.amount).toBe('1000.00');
    expect(record.amount).toBe(100_000);
    expect(clearing.amount).toBe(100_000n);
    expect(item).toMatchObject({
      reason: 'matched',
      theirs: { amount: '100000', amount_readings: { baht: '100000', satang: '1000' } },
    });
  });

  test('satang (the page\'s literal reading): ฿1,000 is "100000.00"; both sides agree, and so does the ledger', async () => {
    const { paid, record, clearing, item } = await scenario('satang');
    expect(paid.amount).toBe(100_000);
    expect(record.payout.amount).toBe('100000.00');
    expect(record.amount).toBe(100_000);
    expect(clearing.amount).toBe(100_000n);
    expect(item).toMatchObject({
      reason: 'matched',
      theirs: { amount: '100000', amount_readings: { baht: '10000000', satang: '100000' } },
    });
  });
});

/**
 * KRAYON_FEE_MODE end to end: where the fee is taken decides what the sandbox debits and pays, and
 * what the ledger posts; the wallet and the provider's balance move by the same amount either way.
 */
const krayonPayout = {
  amount: 50_000,
  currency: 'INR',
  provider: 'krayon',
  method: 'IMPS',
  description: 'first payout for the organization',
  beneficiary: {
    name: 'Elon Mush',
    first_name: 'elon',
    last_name: 'mush',
    email: 'elon@example.com',
    phone: '919895270111',
    country: 'IN',
    account_number: '1111114242',
    bank_code: 'KKBK0000261',
    address: { line1: 'Address Line 1', country: 'IN' },
  },
};

async function krayonScenario(mode: 'on_top' | 'deducted') {
  const system: TestSystem = await startTestSystem({
    env: { KRAYON_FEE_MODE: mode, RECONCILIATION_NIGHTLY_AT: 'off' },
  });
  try {
    const sandboxBalance = async () =>
      ((await (await fetch(`${system.sandbox.url}/_admin/krayon/config`)).json()) as { balance: number }).balance;
    const before = await sandboxBalance();
    const tenant = await createFundedTenant(system, `krayon-${mode}`, 1_000_000);
    const created = await tenant.api('POST', '/v1/payouts', krayonPayout, { 'idempotency-key': `krayon-${mode}` });
    expect(created.status).toBe(202);
    const id = created.body.id;
    const paid = await waitFor(
      async () => {
        const res = await tenant.api('GET', `/v1/payouts/${id}`);
        return res.body.status === 'processed' ? res.body : undefined;
      },
      { message: `${id} processed` },
    );
    const balances = await tenant.api('GET', '/v1/balances');
    const inr = must(
      balances.body.data.find((b: { currency: string }) => b.currency === 'INR'),
      'the INR balance',
    );
    const [post] = await system.db.db
      .select({ id: ledgerTransactions.id })
      .from(ledgerTransactions)
      .where(eq(ledgerTransactions.idempotencyKey, `${id}:post`));
    const entries = await system.db.db
      .select({ key: ledgerAccounts.key, amount: ledgerEntries.amount })
      .from(ledgerEntries)
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
      .where(eq(ledgerEntries.transactionId, must(post, 'the posting').id));
    const leg = (prefix: string) =>
      must(
        entries.find((e) => e.key.startsWith(prefix)),
        prefix,
      ).amount;
    const verify = await client(system.api.url, system.operatorKey)('GET', '/v1/admin/ledger/verify');
    return {
      paid,
      available: inr.available,
      clearing: leg('clearing:krayon'),
      fees: leg('fees:krayon'),
      providerSpent: before - (await sandboxBalance()),
      ledgerOk: verify.body.ok,
    };
  } finally {
    await system.stop();
  }
}

describe('KRAYON_FEE_MODE', () => {
  test('on_top (the default): the wallet pays ₹500 + the ₹5 fee; Krayon pays out ₹500', async () => {
    const r = await krayonScenario('on_top');
    expect(r.paid.fees).toBe(500);
    expect(r.clearing).toBe(50_000n);
    expect(r.fees).toBe(500n);
    expect(r.available).toBe(1_000_000 - 50_500);
    expect(r.providerSpent).toBe(50_500);
    expect(r.ledgerOk).toBe(true);
  });

  test('deducted: the wallet pays ₹500, of which Krayon keeps the ₹5 fee and pays out ₹495', async () => {
    const r = await krayonScenario('deducted');
    expect(r.paid.fees).toBe(500);
    expect(r.clearing).toBe(49_500n);
    expect(r.fees).toBe(500n);
    expect(r.available).toBe(1_000_000 - 50_000);
    expect(r.providerSpent).toBe(50_000);
    expect(r.ledgerOk).toBe(true);
  });
});
