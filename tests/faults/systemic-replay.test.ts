import { ledgerTransactions, operatorActions, payoutEvents, payouts } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { ProviderGate } from '@payouts/queue';
import { waitFor } from '@payouts/testing';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  client,
  configureSandbox,
  createFundedTenant,
  inrPayout,
  startTestSystem,
  type TestSystem,
} from '../support/system.ts';

/**
 * A payout failed for a systemic reason (our credentials or account refused, not the payout) may be
 * replayed by an operator, once its provider proved it has no record of it: never paid twice. The
 * failures are recorded the way an engine before the credentials gate recorded them (a `failed`
 * report with the provider's auth code), while the payout was held back by that very refusal.
 */
let system: TestSystem;
let op: ReturnType<typeof client>;

beforeAll(async () => {
  system = await startTestSystem();
  op = client(system.api.url, system.operatorKey);
});
afterAll(async () => {
  await system?.stop();
});

const PATIENCE = { timeoutMs: 90_000, intervalMs: 100 };
const sandboxConfig = (patch: Record<string, unknown>) => configureSandbox(system.sandbox.url, 'razorpayx', patch);

async function row(id: string) {
  const [found] = await system.db.db.select().from(payouts).where(eq(payouts.id, id));
  if (!found) throw new Error(`no payout ${id}`);
  return found;
}

async function atSandbox(id: string): Promise<number> {
  const list = (await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts`).then((r) => r.json())) as {
    data: { idempotency_key: string }[];
  };
  return list.data.filter((p) => p.idempotency_key === id).length;
}

/** What a worker reported for a payout the provider refused on our credentials, before the gate parked providers instead. */
async function failSystemically(id: string) {
  await system.queues.toReconciler('payout.report', {
    payoutId: id,
    outcome: 'failed',
    providerPayoutId: null,
    rawStatus: null,
    fees: null,
    tax: null,
    utr: null,
    failure: { code: 'ACCOUNT_MISCONFIGURED', message: 'RazorpayX refused our account number' },
    queuedReason: null,
    source: 'worker',
    observedAt: Date.now(),
  });
  await waitFor(async () => (await row(id)).status === 'failed' || undefined, {
    ...PATIENCE,
    message: `${id} failed`,
  });
}

async function create(tenant: Awaited<ReturnType<typeof createFundedTenant>>, amount: number, key: string) {
  const res = await tenant.api('POST', '/v1/payouts', inrPayout({ amount }), { 'idempotency-key': key });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

describe('replay of a payout failed for a systemic reason', () => {
  test('never reached the provider: refused while the wallet cannot hold it again, then replayed once, processed once, the ledger balanced', async () => {
    const tenant = await createFundedTenant(system, 'systemic', 200_000);
    const gate = new ProviderGate(system.queues.connection, system.prefix, 'razorpayx');
    await sandboxConfig({ credentialsRevoked: true });
    let id = '';
    try {
      id = await create(tenant, 50_000, 'systemic-a');
      await waitFor(async () => (await gate.isCredentialsRejected()) || undefined, {
        ...PATIENCE,
        message: 'the provider parked for rejected credentials',
      });
      expect((await row(id)).status).toBe('reserved');
      await failSystemically(id);
      expect(await atSandbox(id)).toBe(0);

      // The provider cannot be asked while our keys are refused: nothing is proven, nothing changes.
      const unasked = await op('POST', `/v1/admin/payouts/${id}/replay`);
      expect(unasked.status).toBe(503);
      expect((await row(id)).status).toBe('failed');

      // Another payout takes most of the wallet meanwhile: the replay cannot hold this one again.
      const other = await create(tenant, 150_000, 'systemic-b');
      await waitFor(async () => (await row(other)).status === 'reserved' || undefined, {
        ...PATIENCE,
        message: 'the second payout held',
      });
    } finally {
      await sandboxConfig({ credentialsRevoked: false });
    }
    // A dry run judges as the replay does (systemic code, absence proven at the provider) and
    // changes nothing: the wallet's cover is the replay's own judgement.
    const dry = await op('POST', `/v1/admin/payouts/${id}/replay?dry_run=true`);
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual({
      payout_id: id,
      status: 'failed',
      dry_run: true,
      would_replay: true,
      reason: null,
      detail: null,
    });
    expect((await row(id)).replays).toBe(0);
    const badFlag = await op('POST', `/v1/admin/payouts/${id}/replay?dry_run=yes`);
    expect(badFlag.status).toBe(400);
    expect(JSON.stringify(badFlag.body)).toContain('dry_run');

    const short = await op('POST', `/v1/admin/payouts/${id}/replay`);
    expect(short.status).toBe(409);
    expect(short.body.code).toBe('insufficient_funds');
    expect((await row(id)).status).toBe('failed');
    expect(await atSandbox(id)).toBe(0);

    const funded = await op('POST', `/v1/admin/tenants/${tenant.id}/fundings`, {
      currency: 'INR',
      amount: 100_000,
      reference: 'systemic-top-up',
    });
    expect(funded.status).toBe(201);
    const replay = await op('POST', `/v1/admin/payouts/${id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ payout_id: id, status: 'reserved', replayed: true, pending: false });

    await waitFor(async () => (await row(id)).status === 'processed' || undefined, {
      ...PATIENCE,
      message: 'the replayed payout processed',
    });
    // Once at the provider, with the idempotency key it always had.
    expect(await atSandbox(id)).toBe(1);
    const after = await row(id);
    expect(after.providerIdempotencyKey).toBe(id);
    expect(after.replays).toBe(1);

    // The first cycle's hold and release stay; the replay's hold and posting sit beside them.
    const keys = (
      await system.db.db
        .select({ key: ledgerTransactions.idempotencyKey })
        .from(ledgerTransactions)
        .where(eq(ledgerTransactions.payoutId, id))
        .orderBy(asc(ledgerTransactions.id))
    ).map((t) => t.key);
    expect(keys).toEqual([`${id}:hold`, `${id}:void`, `${id}:hold:replay1`, `${id}:post:replay1`]);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);

    const history = await system.db.db
      .select()
      .from(payoutEvents)
      .where(and(eq(payoutEvents.payoutId, id), eq(payoutEvents.source, 'operator')))
      .orderBy(asc(payoutEvents.id));
    expect(history.map((e) => [e.fromStatus, e.toStatus, e.applied, e.detail?.refused ?? null])).toEqual([
      ['failed', 'reserved', false, 'insufficient_funds'],
      ['failed', 'reserved', true, null],
    ]);
    const actions = await system.db.db
      .select({ result: operatorActions.result })
      .from(operatorActions)
      .where(and(eq(operatorActions.action, 'payout.replay'), eq(operatorActions.target, id)))
      .orderBy(asc(operatorActions.createdAt));
    expect(actions.map((a) => a.result?.outcome)).toEqual(['refused', 'applied']);

    // Processed now: final, no second replay; a dry run says so.
    const dryFinal = await op('POST', `/v1/admin/payouts/${id}/replay?dry_run=true`);
    expect(dryFinal.body).toMatchObject({ would_replay: false, reason: 'payout_not_replayable', status: 'processed' });
    const again = await op('POST', `/v1/admin/payouts/${id}/replay`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('payout_not_replayable');
  });

  test('the provider has it: refused, its state there reported, nothing sent again', async () => {
    const tenant = await createFundedTenant(system, 'systemic-there', 1_000_000);
    // The provider keeps the payout in progress while the engine records the systemic failure.
    await sandboxConfig({ progressDelayMs: 3_600_000 });
    try {
      const id = await create(tenant, 50_000, 'there-a');
      await waitFor(async () => (await row(id)).providerPayoutId ?? undefined, {
        ...PATIENCE,
        message: 'the payout at the provider',
      });
      await failSystemically(id);
      // The dry run asks the provider too, and records nothing: no history line, no operator action.
      const dry = await op('POST', `/v1/admin/payouts/${id}/replay?dry_run=true`);
      expect(dry.status).toBe(200);
      expect(dry.body).toMatchObject({ dry_run: true, would_replay: false, reason: 'payout_at_provider' });
      const logged = await system.db.db
        .select()
        .from(operatorActions)
        .where(and(eq(operatorActions.action, 'payout.replay'), eq(operatorActions.target, id)));
      expect(logged).toEqual([]);
      const replay = await op('POST', `/v1/admin/payouts/${id}/replay`);
      expect(replay.status).toBe(409);
      expect(replay.body.code).toBe('payout_at_provider');
      expect(await atSandbox(id)).toBe(1);
      const now = await row(id);
      expect(now.status).toBe('failed');
      expect(now.replays).toBe(0);
      // The provider's answer is in the history, not applied (a failed payout moves only by a replay).
      await waitFor(
        async () => {
          const seen = await system.db.db
            .select()
            .from(payoutEvents)
            .where(and(eq(payoutEvents.payoutId, id), eq(payoutEvents.source, 'operator')));
          return seen.find((e) => !e.applied && e.fromStatus === 'failed') ?? undefined;
        },
        { ...PATIENCE, message: "the provider's answer in the history" },
      );
      const [action] = await system.db.db
        .select({ result: operatorActions.result })
        .from(operatorActions)
        .where(and(eq(operatorActions.action, 'payout.replay'), eq(operatorActions.target, id)));
      expect(action?.result).toMatchObject({ outcome: 'refused', reason: 'payout_at_provider' });
      expect((await verifyLedger(system.db.db)).problems).toEqual([]);
    } finally {
      await sandboxConfig({ progressDelayMs: 300 });
    }
  });

  test('any other failure is final: 409, nothing asked, nothing changed', async () => {
    const poor = await createFundedTenant(system, 'systemic-poor', 10_000);
    const id = await create(poor, 50_000, 'poor-a');
    await waitFor(async () => (await row(id)).status === 'failed' || undefined, {
      ...PATIENCE,
      message: 'the payout failed for want of funds',
    });
    expect((await row(id)).failureCode).toBe('insufficient_funds');
    const dry = await op('POST', `/v1/admin/payouts/${id}/replay?dry_run=true`);
    expect(dry.body).toMatchObject({ would_replay: false, reason: 'failure_not_systemic' });
    expect(dry.body.detail).toContain('insufficient_funds');
    const replay = await op('POST', `/v1/admin/payouts/${id}/replay`);
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('failure_not_systemic');
    expect(replay.body.detail).toContain('insufficient_funds');
    const after = await row(id);
    expect(after.status).toBe('failed');
    expect(after.replays).toBe(0);
  });
});
