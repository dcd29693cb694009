/**
 * Payouts posted on their own that one hold batch reserves for a provider ride in one `submits`
 * job, and the first looks of payouts sent together in one `polls` job (docs/architecture.md,
 * "Jobs that carry many payouts"). The provider is DRUO, which has no idempotent create: a payout
 * submitted twice would be paid twice, and the sandbox would show two payouts for it.
 */
import { verifyLedger } from '@payouts/ledger';
import { createRedis, jobIds, redrive } from '@payouts/queue';
import { must, testRedisUrl, waitFor } from '@payouts/testing';
import { loadPayout } from '@payouts/worker';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { configureSandbox, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let events: QueueEvents;
/** Every job id added to DRUO's queue, in order. */
const added: string[] = [];

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'carried', { USD: 100_000_000 });
  events = new QueueEvents(system.queues.provider('druo').name, {
    connection: createRedis(testRedisUrl(), 'worker'),
    prefix: system.prefix,
  });
  events.on('added', ({ jobId }) => added.push(jobId));
  await events.waitUntilReady();
});
afterAll(async () => {
  await events?.close();
  await system?.stop();
});

const druo = (patch: Record<string, unknown>) => configureSandbox(system.sandbox.url, 'druo', patch);

async function post(n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await tenant.api(
      'POST',
      '/v1/payouts',
      {
        amount: 20_000 + i,
        currency: 'USD',
        method: 'bank_account',
        beneficiary: { provider_account_id: `acc_b7c41206-afb4-4954-a15c-dbcd59${String(1000 + i).padStart(6, '0')}` },
      },
      { 'idempotency-key': `${tag}-${i}` },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    ids.push(res.body.id);
  }
  return ids;
}

async function statuses(ids: string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await tenant.api('GET', `/v1/payouts/${id}`)).body.status as string));
}

/**
 * `n` payouts reserved while DRUO's queue is paused, then handed to it again as the reconciler
 * does after one hold batch, so they ride in exactly one `submits` job (however the reconciler's
 * batches happened to fall). The reconciler's jobs for them, and their index entries, are removed first.
 */
async function reservedTogether(n: number, tag: string): Promise<string[]> {
  await system.pauseProvider('druo');
  const ids = await post(n, tag);
  await waitFor(async () => (await statuses(ids)).every((s) => s === 'reserved') || undefined, {
    message: 'every payout reserved',
  });
  const queue = system.queues.provider('druo');
  await queue.drain(true);
  // Gone with their jobs: the index entries of the reconciler's own `submits` jobs.
  await system.queues.dropCarried('druo', 'submits', ids);
  await system.queues.submitAll(ids.map((payoutId) => ({ provider: 'druo' as const, payoutId })));
  return ids;
}

/** DRUO's own payouts for this payout of ours (its reference is our payout id). */
async function atDruo(id: string): Promise<unknown[]> {
  const res = await fetch(`${system.sandbox.url}/_admin/druo/payouts`);
  const list = (await res.json()) as { data: unknown[] };
  return list.data.filter((p) => JSON.stringify(p).includes(id));
}

describe('payouts that ride together', () => {
  test('one job submits them all, each once; an operator sees the job that carries a payout', async () => {
    const ids = await reservedTogether(12, 'together');
    const carrier = jobIds.submits(ids);
    expect(await system.queues.provider('druo').getJob(carrier)).toMatchObject({ name: 'submits' });

    // The dead-letter view names the job a payout waits in: the one that carries it, not "no job".
    const op = (path: string) =>
      fetch(`${system.api.url}${path}`, { headers: { authorization: `Bearer ${system.operatorKey}` } });
    const view = (await (await op('/v1/admin/dead-letters?provider=druo&older_than=0&limit=500')).json()) as {
      data: { payout_id: string; job: unknown; reason: string }[];
    };
    const listed = must(
      view.data.find((d) => d.payout_id === ids[5]),
      'the payout in the dead-letter view',
    );
    expect(listed.job).toMatchObject({ id: carrier, state: 'waiting' });
    expect(listed.reason).not.toMatch(/no_live_job/);

    const before = added.length;
    await system.queues.provider('druo').resume();
    await waitFor(async () => (await statuses(ids)).every((s) => s === 'processed') || undefined, {
      message: 'every payout processed',
    });
    for (const id of ids) expect(await atDruo(id)).toHaveLength(1);
    // None was submitted by a job of its own.
    expect(added.slice(before).filter((j) => j.startsWith('submit-'))).toEqual([]);
    // Done with them: the job's index of the payouts it carried is empty.
    expect((await system.queues.carriers('druo', 'submits', ids)).size).toBe(0);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('a payout that must wait leaves the job and goes on as its own job, with the same key', async () => {
    // Our credentials refused: the first submission parks the provider and every payout must wait.
    await druo({ credentialsRevoked: true });
    let ids: string[] = [];
    try {
      ids = await reservedTogether(6, 'parked');
      await system.queues.provider('druo').resume();
      // Each is handed on as its own `submit` job, waiting for the provider's next probe.
      await waitFor(
        async () => {
          const queue = system.queues.provider('druo');
          const own = await Promise.all(ids.map((id) => queue.getJob(jobIds.submit(id))));
          return own.every((job) => job !== undefined) || undefined;
        },
        { message: 'each payout in a job of its own' },
      );
      expect(await statuses(ids)).not.toContain('failed');
      expect((await system.queues.carriers('druo', 'submits', ids)).size).toBe(0);
    } finally {
      await druo({ credentialsRevoked: false });
    }
    await waitFor(async () => (await statuses(ids)).every((s) => s === 'processed') || undefined, {
      message: 'every payout processed once the credentials are accepted',
    });
    for (const id of ids) expect(await atDruo(id)).toHaveLength(1);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('a job lost with Redis is re-driven from Postgres: each payout once', async () => {
    const ids = await reservedTogether(8, 'flushed');
    // Redis loses everything: the `submits` job and its index. The sweeper's re-drive (here at
    // once, not after SWEEP_AFTER_MS) finds no job carrying them and gives each its own.
    await system.flushQueues();
    const rows = await Promise.all(ids.map((id) => loadPayout(system.db.db, id)));
    const driven = await redrive(
      system.queues,
      rows.map((r) => must(r, 'the payout row')),
    );
    expect(driven.sort()).toEqual([...ids].sort());
    await waitFor(async () => (await statuses(ids)).every((s) => s === 'processed') || undefined, {
      message: 'every payout processed after the re-drive',
    });
    for (const id of ids) expect(await atDruo(id)).toHaveLength(1);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });
});
