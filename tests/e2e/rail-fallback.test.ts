import { ledgerTransactions, providerAttempts } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Rail fallback through the RazorpayX sandbox: a beneficiary whose bank refuses IMPS (test account
 * `…0004`, failed with `imps_not_allowed`) is paid on NEFT as a second provider attempt with its own
 * idempotency key, only once the first attempt is confirmed failed; one hold for the payout, and
 * the history shows both attempts.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

const IMPS_REFUSED = { name: 'Asha Rao', account_number: '123456780004', bank_code: 'HDFC0001234' };

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'rail-fallback', 10_000_000);
});
afterAll(async () => {
  await system?.stop();
});

const post = (body: unknown) => tenant.api('POST', '/v1/payouts', body, { 'idempotency-key': `k-${Math.random()}` });

async function final(id: string) {
  return waitFor(
    async () => {
      const res = await tenant.api('GET', `/v1/payouts/${id}`);
      return ['processed', 'failed'].includes(res.body.status) ? res.body : undefined;
    },
    { message: `payout ${id} to be final`, timeoutMs: 60_000 },
  );
}

async function atSandbox(payoutId: string) {
  const list = (await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts`).then((r) => r.json())) as {
    data: { idempotency_key: string; status: string; payout: { mode: string; notes: Record<string, string> } }[];
  };
  return list.data
    .filter((p) => p.payout.notes.payout_id === payoutId)
    .map((p) => ({ key: p.idempotency_key, mode: p.payout.mode, status: p.status }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

async function ledgerKinds(payoutId: string) {
  const rows = await system.db.db
    .select({ kind: ledgerTransactions.kind })
    .from(ledgerTransactions)
    .where(eq(ledgerTransactions.payoutId, payoutId));
  return rows.map((r) => r.kind).sort();
}

describe('rail fallback IMPS → NEFT', () => {
  test('asked for by the payout: a second attempt on NEFT, one hold, both attempts in the history', async () => {
    const created = await post(inrPayout({ beneficiary: IMPS_REFUSED, rail_fallback: true }));
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    expect(created.body).toMatchObject({ method: 'IMPS', attempt: 1, rail_fallback: true });
    const id = created.body.id as string;

    const settled = await final(id);
    expect(settled).toMatchObject({ status: 'processed', method: 'NEFT', attempt: 2, failure: null });

    // Two payouts at RazorpayX, each with its own key: the IMPS one failed, the NEFT one paid.
    expect(await atSandbox(id)).toEqual([
      { key: id, mode: 'IMPS', status: 'failed' },
      { key: `${id}-a2`, mode: 'NEFT', status: 'processed' },
    ]);
    expect(settled.provider_payout_id).not.toBeNull();

    // The ledger held once for the payout and posted once; nothing was voided in between.
    expect(await ledgerKinds(id)).toEqual(['hold', 'post']);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);

    // The ended attempt is kept, and the history tells the story of both.
    const ended = await system.db.db.select().from(providerAttempts).where(eq(providerAttempts.payoutId, id));
    expect(ended).toEqual([
      expect.objectContaining({
        attempt: 1,
        provider: 'razorpayx',
        method: 'IMPS',
        idempotencyKey: id,
        outcome: 'failed',
        failureCode: 'imps_not_allowed',
      }),
    ]);
    const history = (await tenant.api('GET', `/v1/payouts/${id}/events`)).body.data as {
      from_status: string | null;
      to_status: string;
      applied: boolean;
      detail: Record<string, unknown>;
    }[];
    const fallback = history.find((e) => e.applied && e.to_status === 'reserved' && e.from_status !== 'accepted');
    expect(fallback?.detail).toMatchObject({
      reason: 'rail_fallback',
      attempt: { number: 1, method: 'IMPS', outcome: 'failed', failure: { code: 'imps_not_allowed' } },
      next_attempt: { number: 2, method: 'NEFT' },
    });
    const applied = history.filter((e) => e.applied).map((e) => e.to_status);
    expect(applied.slice(-1)).toEqual(['processed']);
    expect(applied.filter((s) => s === 'reserved')).toHaveLength(2);
    expect(applied).not.toContain('failed');

    // A reconciliation over the window sees both records at RazorpayX, each naming our payout: the
    // ended IMPS attempt, failed there, is no drift; the payout matches its NEFT record.
    const op = client(system.api.url, system.operatorKey);
    const start = await op('POST', '/v1/admin/reconciliations', {
      provider: 'razorpayx',
      from: new Date(Date.parse(created.body.created_at) - 60_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(start.status, JSON.stringify(start.body)).toBe(201);
    system.reconciler.nudgeReconciliation();
    await waitFor(
      async () => {
        const run = await op('GET', `/v1/admin/reconciliations/${start.body.id}`);
        if (run.body.status === 'failed') throw new Error(`run failed: ${run.body.error}`);
        return run.body.status === 'completed' ? run.body : undefined;
      },
      { message: 'the reconciliation run to complete', timeoutMs: 60_000 },
    );
    const items = await op('GET', `/v1/admin/reconciliations/${start.body.id}/items?reason=all&limit=100`);
    const ours = (items.body.data as { payout_id: string | null; reason: string }[]).filter((i) => i.payout_id === id);
    expect(ours).toEqual([expect.objectContaining({ payout_id: id, reason: 'matched' })]);
  });

  test('off (the default setting, and the payout does not ask): the payout fails with imps_not_allowed', async () => {
    const created = await post(inrPayout({ beneficiary: IMPS_REFUSED }));
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    const settled = await final(id);
    expect(settled).toMatchObject({
      status: 'failed',
      method: 'IMPS',
      attempt: 1,
      failure: { code: 'imps_not_allowed' },
    });
    expect(await atSandbox(id)).toEqual([{ key: id, mode: 'IMPS', status: 'failed' }]);
    expect(await ledgerKinds(id)).toEqual(['hold', 'void']);
  });

  test('the tenant setting turns it on for payouts that do not say; a payout may still say no', async () => {
    const on = await tenant.api('PATCH', '/v1/settings', { rail_fallback: true });
    expect(on.status).toBe(200);
    expect(on.body.rail_fallback).toBe(true);

    const [following, refusing] = await Promise.all([
      post(inrPayout({ beneficiary: IMPS_REFUSED })),
      post(inrPayout({ beneficiary: IMPS_REFUSED, rail_fallback: false })),
    ]);
    expect(following.body.rail_fallback).toBeNull();
    expect(await final(following.body.id)).toMatchObject({ status: 'processed', method: 'NEFT', attempt: 2 });
    expect(await final(refusing.body.id)).toMatchObject({ status: 'failed', method: 'IMPS', attempt: 1 });
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('a failure for another reason than the rail never falls back', async () => {
    const bankRejected = await post(
      inrPayout({ beneficiary: { ...IMPS_REFUSED, account_number: '123456780001' }, rail_fallback: true }),
    );
    expect(await final(bankRejected.body.id)).toMatchObject({
      status: 'failed',
      attempt: 1,
      failure: { code: 'beneficiary_bank_rejected' },
    });
    expect(await atSandbox(bankRejected.body.id)).toHaveLength(1);
  });

  test('rail_fallback must be a boolean: a 422 naming it, nothing stored', async () => {
    const res = await post(inrPayout({ rail_fallback: 'yes' }));
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['rail_fallback']);
    const setting = await tenant.api('PATCH', '/v1/settings', { rail_fallback: 1 });
    expect(setting.status).toBe(422);
    expect(setting.body.errors.map((e: { field: string }) => e.field)).toEqual(['rail_fallback']);
  });
});
