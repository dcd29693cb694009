import { payouts } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { waitFor } from '@payouts/testing';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Provider downtimes pause that provider's submissions for the modes they cover: the payouts wait
 * in `queued` (`queued_reason: provider_downtime`), never sent, and go on when the downtime ends —
 * declared by an operator, or announced by RazorpayX's `payout.downtime.*` webhooks (sent here by
 * the sandbox's admin API).
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let op: ReturnType<typeof client>;

beforeAll(async () => {
  system = await startTestSystem({ webhooks: true });
  tenant = await createFundedTenant(system, 'downtime', 50_000_000);
  op = client(system.api.url, system.operatorKey);
});
afterAll(async () => {
  await system?.stop();
});

async function createMany(n: number, tag: string, method = 'IMPS') {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({
        amount: 10_000 + i,
        method,
        beneficiary: { name: 'Divya Nair', account_number: `6600${tag}${1000 + i}`, bank_code: 'HDFC0001234' },
      }),
      { 'idempotency-key': `${tag}-${method}-${i}` },
    );
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
  return ids;
}
const rows = (ids: string[]) =>
  system.db.db
    .select({ id: payouts.id, status: payouts.status, queuedReason: payouts.queuedReason })
    .from(payouts)
    .where(inArray(payouts.id, ids));
const allIn = (ids: string[], want: (r: { status: string; queuedReason: string | null }) => boolean, message: string) =>
  waitFor(
    async () => {
      const now = await rows(ids);
      return now.length === ids.length && now.every(want) ? true : undefined;
    },
    { intervalMs: 100, message },
  );
async function atSandbox() {
  const list = (await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts`).then((r) => r.json())) as {
    data: { idempotency_key: string }[];
  };
  return list.data.map((p) => p.idempotency_key);
}
const waiting = (r: { status: string; queuedReason: string | null }) =>
  r.status === 'queued' && r.queuedReason === 'provider_downtime';

describe('a downtime declared by an operator', () => {
  test('holds the payouts on its modes in queued, unsent; other modes go on; ending it releases them all once', async () => {
    const declared = await op(
      'POST',
      '/v1/admin/providers/razorpayx/downtime',
      {
        modes: ['IMPS'],
        starts_at: new Date(Date.now() - 60_000).toISOString(),
        ends_at: null,
      },
      { 'idempotency-key': 'op-declared' },
    );
    expect(declared.status).toBe(201);
    expect(declared.body).toMatchObject({ provider: 'razorpayx', modes: ['IMPS'], source: 'operator', active: true });

    const held = await createMany(6, 'op');
    const neft = await createMany(1, 'op', 'NEFT');
    await allIn(held, waiting, 'IMPS payouts waiting for the downtime');
    await allIn(neft, (r) => r.status === 'processed', 'the NEFT payout processed meanwhile');
    const sent = await atSandbox();
    for (const id of held) expect(sent).not.toContain(id);
    expect((await tenant.api('GET', `/v1/payouts/${held[0]}`)).body.queued_reason).toBe('provider_downtime');

    const active = await op('GET', '/v1/admin/providers/razorpayx/downtimes?active=true');
    expect(active.body.data.map((d: { id: string }) => d.id)).toContain(declared.body.id);

    const ended = await op('POST', `/v1/admin/providers/razorpayx/downtimes/${declared.body.id}/end`);
    expect(ended.status).toBe(200);
    expect(ended.body.released).toBe(6);
    expect(ended.body.downtime.active).toBe(false);
    await allIn(held, (r) => r.status === 'processed', 'every held payout processed after the downtime');
    const after = await atSandbox();
    for (const id of held) expect(after.filter((k) => k === id)).toHaveLength(1);
    // Ending it again changes nothing and says so.
    const again = await op('POST', `/v1/admin/providers/razorpayx/downtimes/${declared.body.id}/end`);
    expect(again.body).toMatchObject({ released: 0, downtime: { active: false } });
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('a mode the provider does not offer, or an end before the start, is a 422 naming the field', async () => {
    const mode = await op(
      'POST',
      '/v1/admin/providers/razorpayx/downtime',
      {
        modes: ['IMPS', 'SWIFT'],
        starts_at: '2030-01-01T00:00:00Z',
        ends_at: null,
      },
      { 'idempotency-key': 'op-mode' },
    );
    expect(mode.status).toBe(422);
    expect(mode.body.errors[0].field).toBe('modes.1');
    const ends = await op(
      'POST',
      '/v1/admin/providers/razorpayx/downtime',
      {
        modes: ['IMPS'],
        starts_at: '2030-01-01T00:00:00Z',
        ends_at: '2029-01-01T00:00:00Z',
      },
      { 'idempotency-key': 'op-ends' },
    );
    expect(ends.status).toBe(422);
    expect(ends.body.errors[0].field).toBe('ends_at');
  });
});

describe('a payout waiting for a downtime', () => {
  test('was never sent, so the client may cancel it: the hold is released and the provider never sees it', async () => {
    const declared = await op(
      'POST',
      '/v1/admin/providers/razorpayx/downtime',
      {
        modes: ['IMPS'],
        starts_at: new Date(Date.now() - 1_000).toISOString(),
        ends_at: null,
      },
      { 'idempotency-key': 'cx-declared' },
    );
    const [id] = await createMany(1, 'cx');
    if (!id) throw new Error('no payout');
    await allIn([id], waiting, 'the payout waiting for the downtime');
    const cancelled = await tenant.api('POST', `/v1/payouts/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await op('POST', `/v1/admin/providers/razorpayx/downtimes/${declared.body.id}/end`);
    expect(await atSandbox()).not.toContain(id);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });
});

describe('a downtime RazorpayX announces', () => {
  const announce = (status: 'started' | 'resolved') =>
    fetch(`${system.sandbox.url}/_admin/razorpayx/downtimes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'poutd_e2e_1', mode: 'IMPS', status }),
    }).then((r) => r.json() as Promise<{ sent: boolean }>);

  test('payout.downtime.started pauses IMPS; payout.downtime.resolved resumes every waiting payout', async () => {
    expect((await announce('started')).sent).toBe(true);
    await waitFor(
      async () => {
        const res = await op('GET', '/v1/admin/providers/razorpayx/downtimes?active=true');
        return res.body.data.some((d: { external_id: string | null }) => d.external_id === 'poutd_e2e_1') || undefined;
      },
      { message: 'the announced downtime recorded' },
    );
    const held = await createMany(4, 'wh');
    await allIn(held, waiting, 'payouts waiting for the announced downtime');

    expect((await announce('resolved')).sent).toBe(true);
    await allIn(held, (r) => r.status === 'processed', 'every payout processed after the resolution');
    const sent = await atSandbox();
    for (const id of held) expect(sent.filter((k) => k === id)).toHaveLength(1);
    const all = await op('GET', '/v1/admin/providers/razorpayx/downtimes');
    expect(all.body.data.find((d: { external_id: string | null }) => d.external_id === 'poutd_e2e_1')).toMatchObject({
      source: 'webhook',
      active: false,
    });
  });
});

describe('a declaration retried after its answer was lost', () => {
  test('declares one downtime: ending the one it answered releases every payout that waited', async () => {
    const body = { modes: ['IMPS'], starts_at: new Date(Date.now() - 1_000).toISOString(), ends_at: null };
    const key = { 'idempotency-key': 'rt-declared' };
    const first = await op('POST', '/v1/admin/providers/razorpayx/downtime', body, key);
    expect(first.status).toBe(201);
    // Its declarer never saw that answer (a timeout, a 5xx after the commit): the same request again,
    // as a client must retry it.
    const retried = await op('POST', '/v1/admin/providers/razorpayx/downtime', body, key);
    expect(retried.status).toBe(201);
    const held = await createMany(3, 'rt');
    await allIn(held, waiting, 'payouts waiting for the downtime');

    // The declarer ends the downtime it was answered with, the only one it knows of: nothing may
    // be left down, and every payout that waited goes on.
    const ended = await op('POST', `/v1/admin/providers/razorpayx/downtimes/${retried.body.id}/end`);
    expect(ended.status).toBe(200);
    await allIn(held, (r) => r.status === 'processed', 'every held payout processed after the downtime ended');
    expect((await op('GET', '/v1/admin/providers/razorpayx/downtimes?active=true')).body.data).toEqual([]);
    expect(retried.body.id).toBe(first.body.id);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    const sent = await atSandbox();
    for (const id of held) expect(sent.filter((k) => k === id)).toHaveLength(1);
  });

  test('without an Idempotency-Key it is a 400 naming the header, and nothing is declared', async () => {
    const before = (await op('GET', '/v1/admin/providers/razorpayx/downtimes')).body.data.length;
    const res = await op('POST', '/v1/admin/providers/razorpayx/downtime', {
      modes: ['IMPS'],
      starts_at: '2030-01-01T00:00:00Z',
      ends_at: null,
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('idempotency_key_missing');
    expect(res.body.errors[0].field).toBe('Idempotency-Key');
    expect((await op('GET', '/v1/admin/providers/razorpayx/downtimes')).body.data).toHaveLength(before);
  });
});
