import { operatorActions } from '@payouts/db';
import { must, waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Operators find what is stuck, with its reason, and re-drive it; a replay can never create a
 * second payout at the provider. Every operator action is recorded with who and when.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let op: ReturnType<typeof client>;

beforeAll(async () => {
  // A provider deadline of 1.5 s so a payout that stays in progress needs attention quickly.
  system = await startTestSystem({ env: { POLL_DEADLINE_MS: '1500' } });
  tenant = await createFundedTenant(system, 'ops', { INR: 10_000_000, THB: 10_000_000 });
  op = client(system.api.url, system.operatorKey);
});
afterAll(async () => {
  await system?.stop();
});

async function status(id: string) {
  return (await tenant.api('GET', `/v1/payouts/${id}`)).body;
}
async function settle(id: string, want: string) {
  return waitFor(async () => ((await status(id)).status === want ? status(id) : undefined), {
    message: `${id} → ${want}`,
  });
}
async function sandbox(path: string, method = 'GET', body?: unknown) {
  const res = await fetch(`${system.sandbox.url}/_admin${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await res.json()) as { data: { idempotency_key: string | null; reference: string | null }[] };
}

describe('dead letters and replay', () => {
  test('a payout past its provider deadline is listed with its reason, and a replay settles it once the provider has', async () => {
    // 0003: the sandbox keeps it processing until told otherwise.
    const res = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({ beneficiary: { name: 'Stuck', account_number: '999900030003', bank_code: 'HDFC0001234' } }),
      {
        'idempotency-key': 'stuck-1',
      },
    );
    const stuck = await settle(res.body.id, 'needs_attention');

    const letters = await op('GET', '/v1/admin/dead-letters?older_than=0');
    const entry = letters.body.data.find((d: { payout_id: string }) => d.payout_id === stuck.id);
    expect(entry).toMatchObject({
      status: 'needs_attention',
      provider: 'razorpayx',
      reason: expect.stringContaining('needs_attention'),
    });
    expect(entry.submission_attempts).toBe(1);

    const dry = await op('POST', '/v1/admin/replays', {
      filters: { state: 'needs_attention', older_than: 0 },
      dry_run: true,
    });
    expect(dry.body).toMatchObject({ dry_run: true, replayed: 0 });
    expect(dry.body.payouts.map((p: { payout_id: string }) => p.payout_id)).toContain(stuck.id);
    expect((await status(stuck.id)).status).toBe('needs_attention'); // a dry run changes nothing
    const dryOne = await op('POST', `/v1/admin/payouts/${stuck.id}/replay?dry_run=true`);
    expect(dryOne.status).toBe(200);
    expect(dryOne.body).toEqual({
      payout_id: stuck.id,
      status: 'needs_attention',
      dry_run: true,
      would_replay: true,
      reason: null,
      detail: null,
    });
    expect((await status(stuck.id)).status).toBe('needs_attention');

    // The bank settles it; an operator replays it: one look, and it is processed.
    await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts/${stuck.provider_payout_id}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'processed' }),
    });
    const replay = await op('POST', `/v1/admin/payouts/${stuck.id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ payout_id: stuck.id, replayed: true });
    await settle(stuck.id, 'processed');
    const atProvider = await sandbox('/razorpayx/payouts');
    expect(atProvider.data.filter((p) => p.idempotency_key === stuck.id)).toHaveLength(1);

    const actions = await op('GET', `/v1/admin/operator-actions?target=${stuck.id}`);
    expect(actions.body.data).toEqual([
      expect.objectContaining({
        action: 'payout.replay',
        target: stuck.id,
        actor: expect.stringMatching(/^key_/),
        created_at: expect.any(String),
      }),
    ]);
  });

  test('a final payout is not replayable', async () => {
    const res = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'final-1' });
    await settle(res.body.id, 'processed');
    const replay = await op('POST', `/v1/admin/payouts/${res.body.id}/replay`);
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('payout_not_replayable');
  });

  test('a bulk replay names its payouts (a filter, or all: true) and is a dry run unless told otherwise', async () => {
    const recorded = async () =>
      (await system.db.db.select().from(operatorActions).where(eq(operatorActions.action, 'payouts.replay'))).length;
    const before = await recorded();
    for (const body of [{}, { filters: {} }, { all: false }, { dry_run: false }, { all: false, limit: 5 }]) {
      const res = await op('POST', '/v1/admin/replays', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('replay_filters_missing');
      expect(res.body.errors).toEqual([{ field: 'filters', message: expect.stringContaining('"all": true') }]);
    }

    const res = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({ beneficiary: { name: 'Stuck', account_number: '999900040003', bank_code: 'HDFC0001234' } }),
      { 'idempotency-key': 'stuck-dry-1' },
    );
    const stuck = await settle(res.body.id, 'needs_attention');

    const filtered = await op('POST', '/v1/admin/replays', { filters: { state: 'needs_attention', older_than: 0 } });
    const everything = await op('POST', '/v1/admin/replays', { all: true });
    for (const answer of [filtered, everything]) {
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ dry_run: true, replayed: 0 });
      expect(answer.body.payouts.map((p: { payout_id: string }) => p.payout_id)).toContain(stuck.id);
    }
    // Dry runs: nothing re-driven, so nothing recorded (a real bulk replay is recorded).
    expect(await recorded()).toBe(before);

    const doc = (await fetch(`${system.api.url}/openapi.json`).then((r) => r.json())) as {
      components: { schemas: Record<string, { properties: Record<string, { default?: unknown }> }> };
      paths: Record<string, unknown>;
    };
    expect(doc.paths['/v1/admin/replays']).toBeDefined();
    expect(doc.components.schemas.ReplayRequest?.properties).toMatchObject({ all: {}, dry_run: { default: true } });
  });

  test('operator routes refuse tenant keys, and replays validate their filters', async () => {
    expect((await tenant.api('GET', '/v1/admin/dead-letters')).status).toBe(403);
    expect((await tenant.api('POST', '/v1/admin/replays', { dry_run: true })).status).toBe(403);
    const bad = await op('POST', '/v1/admin/replays', { filters: { state: 'stuck' }, dry_run: true });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('filters.state');
  });
});

describe('operator cancel', () => {
  test("cancels any tenant's payout that waits for funds, and is recorded; refuses one at the provider", async () => {
    const poor = await createFundedTenant(system, 'poor-ops', 0);
    const waiting = await poor.api('POST', '/v1/payouts', inrPayout({ queue_if_low_balance: true }), {
      'idempotency-key': 'wait-1',
    });
    await waitFor(
      async () => (await poor.api('GET', `/v1/payouts/${waiting.body.id}`)).body.status === 'queued' || undefined,
    );
    const cancelled = await op('POST', `/v1/admin/payouts/${waiting.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const history = await poor.api('GET', `/v1/payouts/${waiting.body.id}/events`);
    expect(history.body.data.at(-1)).toMatchObject({ to_status: 'cancelled', source: 'operator', applied: true });

    const done = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'done-1' });
    await settle(done.body.id, 'processed');
    expect((await op('POST', `/v1/admin/payouts/${done.body.id}/cancel`)).status).toBe(409);
  });
});

describe("a provider's float", () => {
  test('payouts parked on an empty float are released in order when an operator says the provider was funded', async () => {
    await fetch(`${system.sandbox.url}/_admin/thai-gateway/balance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 0 }),
    });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await tenant.api(
        'POST',
        '/v1/payouts',
        {
          amount: 10_000 + i,
          currency: 'THB',
          method: 'bank_account',
          beneficiary: { name: 'John Doe', account_number: `12345678${i}5`, bank_code: '004' },
        },
        { 'idempotency-key': `float-${i}` },
      );
      ids.push(res.body.id);
    }
    for (const id of ids) await settle(id, 'queued');
    expect((await status(must(ids[0], 'the first payout'))).queued_reason).toBe('provider_low_balance');

    await fetch(`${system.sandbox.url}/_admin/thai-gateway/balance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 1_000_000_000 }),
    });
    const funded = await op('POST', '/v1/admin/providers/thai-gateway/funded');
    expect(funded.status).toBe(200);
    expect(funded.body).toMatchObject({ provider: 'thai-gateway', was_low: true });
    for (const id of ids) await settle(id, 'processed');
    const atProvider = await sandbox('/thai-gateway/payouts');
    for (const id of ids) expect(atProvider.data.filter((p) => p.reference === id)).toHaveLength(1);
    expect((await op('POST', '/v1/admin/providers/nowhere/funded')).status).toBe(404);
  });
});
