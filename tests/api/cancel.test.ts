import type { Server } from 'node:http';
import { createApp } from '@payouts/api';
import { verifyLedger } from '@payouts/ledger';
import { createLogger } from '@payouts/observability';
import { createRedis, Queues, RECONCILER_QUEUE, type ReconcilerJobData, type ReconcilerJobName } from '@payouts/queue';
import { must, PATIENCE_MS, testRedisUrl, waitFor } from '@payouts/testing';
import { type JobsOptions, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ReconcilerClient } from '../../apps/api/src/reconciler-client.ts';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * A cancel answers what happened: `200` with the cancelled payout (also to a retry of a cancel that
 * took effect), `409 payout_not_cancellable` only for a payout that really cannot be cancelled. The
 * reconciler removes a job once it completes, so the API must not depend on reading it back.
 */
let system: TestSystem;
let op: ReturnType<typeof client>;

beforeAll(async () => {
  // The storm below asks 200 answers of one reconciler at once: on a busy machine that can take
  // longer than the API's default wait, and a 202 ("still running") would be right but not the
  // answer this test is about.
  system = await startTestSystem({ env: { RECONCILER_ANSWER_TIMEOUT_MS: String(PATIENCE_MS) } });
  op = client(system.api.url, system.operatorKey);
});
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await system?.stop();
});

async function queuedPayouts(tenant: Awaited<ReturnType<typeof createFundedTenant>>, count: number, round: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 50) {
    const created = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) =>
        tenant.api('POST', '/v1/payouts', inrPayout({ amount: 10_000, queue_if_low_balance: true }), {
          'idempotency-key': `cancel-${round}-${i + j}`,
        }),
      ),
    );
    for (const c of created) {
      expect(c.status).toBe(202);
      ids.push(c.body.id);
    }
  }
  await waitFor(
    async () => {
      const res = await tenant.api('GET', '/v1/payouts?status=queued&limit=100');
      const all = [];
      let page = res.body;
      all.push(...page.data);
      while (page.has_more) {
        page = (await tenant.api('GET', `/v1/payouts?status=queued&limit=100&cursor=${page.next_cursor}`)).body;
        all.push(...page.data);
      }
      return all.length >= ids.length || undefined;
    },
    { message: `${count} payouts to wait in queued` },
  );
  return ids;
}

function cancel(tenant: Awaited<ReturnType<typeof createFundedTenant>>, id: string, i: number) {
  return i % 2 === 0 ? tenant.api('POST', `/v1/payouts/${id}/cancel`) : op('POST', `/v1/admin/payouts/${id}/cancel`);
}

describe('cancel', () => {
  test('200 concurrent cancels, tenant and operator mixed, three rounds: every one 200, and so is every retry', {
    timeout: 180_000,
  }, async () => {
    const tenant = await createFundedTenant(system, 'cancels', 0);
    for (let round = 0; round < 3; round++) {
      const ids = await queuedPayouts(tenant, 200, round);
      // Every fourth payout is cancelled twice at once, by both kinds of caller: one applies, and
      // the other, refused by the reconciler for a payout already cancelled, answers the same.
      const twice = ids.filter((_, i) => i % 4 === 0);
      const all = await Promise.all([
        ...ids.map((id, i) => cancel(tenant, id, i)),
        ...twice.map((id, i) => cancel(tenant, id, i + 1)),
      ]);
      const answers = all.slice(0, ids.length);
      const unexpected = all.filter((a) => a.status !== 200 || a.body.status !== 'cancelled');
      expect(unexpected.map((a) => [a.status, a.body?.code, a.body?.detail])).toEqual([]);
      // A retry (the other kind of caller this time) answers the same: the cancel took effect.
      const retries = await Promise.all(ids.map((id, i) => cancel(tenant, id, i + 1)));
      const bad = retries.filter((a) => a.status !== 200 || a.body.status !== 'cancelled');
      expect(bad.map((a) => [a.status, a.body?.code, a.body?.detail])).toEqual([]);
      for (const [i, a] of answers.entries()) expect(a.body.id).toBe(ids[i]);
    }
    const report = await verifyLedger(system.db.db);
    expect(report.problems).toEqual([]);
  });

  test('a retry of a cancel that took effect answers 200 with the payout; a processed payout is 409', async () => {
    const tenant = await createFundedTenant(system, 'retries', 0);
    const [id] = await queuedPayouts(tenant, 1, 10);
    const first = await tenant.api('POST', `/v1/payouts/${id}/cancel`);
    expect(first.status).toBe(200);
    for (const again of [
      await tenant.api('POST', `/v1/payouts/${id}/cancel`),
      await op('POST', `/v1/admin/payouts/${id}/cancel`),
    ]) {
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
    }
    const actions = await op('GET', `/v1/admin/operator-actions?target=${id}`);
    expect(actions.body.data.map((a: { result: unknown }) => a.result)).toEqual([
      { outcome: 'unchanged', status: 'cancelled' },
    ]);

    const paid = await createFundedTenant(system, 'paid');
    const created = await paid.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'paid-1' });
    await waitFor(async () => (await paid.api('GET', `/v1/payouts/${created.body.id}`)).body.status === 'processed', {
      message: 'the payout to be processed',
    });
    for (const refused of [
      await paid.api('POST', `/v1/payouts/${created.body.id}/cancel`),
      await op('POST', `/v1/admin/payouts/${created.body.id}/cancel`),
    ]) {
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('payout_not_cancellable');
    }
  });
});

/**
 * Reconciler jobs handed back only once the reconciler has completed them and they are gone from
 * Redis: whoever waits on the job then comes after it finished — the race of 200 concurrent
 * cancels, made certain. `lose` instead removes the job before it can run (Redis lost it).
 */
class LateQueues extends Queues {
  lose = false;

  override async toReconciler<N extends ReconcilerJobName>(
    name: N,
    data: ReconcilerJobData<N>,
    opts: JobsOptions = {},
  ) {
    const job = await super.toReconciler(name, data, this.lose ? { ...opts, delay: 3_600_000 } : opts);
    const id = must(job.id, `the id of the ${name} job`);
    if (!this.lose) {
      await waitFor(async () => ['completed', 'unknown'].includes(await this.reconciler.getJobState(id)), {
        message: `the reconciler to complete ${id}`,
      });
    }
    await this.reconciler.remove(id);
    expect(await this.reconciler.getJobState(id)).toBe('unknown');
    return job;
  }
}

async function lateApi(options: { events: boolean }) {
  const queues = new LateQueues(system.redis, system.prefix);
  const events = new QueueEvents(RECONCILER_QUEUE, {
    connection: createRedis(testRedisUrl(), 'worker'),
    prefix: system.prefix,
    // Not reading its stream: every completion goes unheard.
    autorun: options.events,
  });
  const app = createApp({
    db: system.db.db,
    redis: system.redis,
    queues,
    reconciler: new ReconcilerClient(queues, events),
    logger: createLogger({ name: 'test', level: 'silent' }),
    adapters: new Map(),
    routes: {},
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  closers.push(
    () => new Promise((resolve) => server.close(resolve)),
    () => events.close(),
  );
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { queues, url };
}

describe('an API that comes to the job after the reconciler removed it', () => {
  for (const events of [true, false]) {
    test(`cancels and fundings answer what happened (${events ? 'its event heard' : 'no event heard'})`, async () => {
      const late = await lateApi({ events });
      const tenant = await createFundedTenant(system, `late-${events}`, 0);
      const lateTenant = client(late.url, tenant.key);
      const lateOp = client(late.url, system.operatorKey);
      const ids = await queuedPayouts(tenant, 4, events ? 20 : 21);

      for (const [i, id] of ids.entries()) {
        const res = await (i % 2 === 0
          ? lateTenant('POST', `/v1/payouts/${id}/cancel`)
          : lateOp('POST', `/v1/admin/payouts/${id}/cancel`));
        expect([res.status, res.body.code]).toEqual([200, undefined]);
        expect(res.body.status).toBe('cancelled');
      }

      const funding = await lateOp('POST', `/v1/admin/tenants/${tenant.id}/fundings`, {
        currency: 'INR',
        amount: 5_000,
        reference: `late-${events}`,
      });
      // The answer (funded by this call) is kept with the job, or, once the job is gone, still
      // told apart from a lost funding: 202 until a retry says which.
      expect(funding.status).toBe(events ? 201 : 202);
      const again = await op('POST', `/v1/admin/tenants/${tenant.id}/fundings`, {
        currency: 'INR',
        amount: 5_000,
        reference: `late-${events}`,
      });
      expect([again.status, again.body.funded, again.body.balance]).toEqual([
        200,
        false,
        { available: 5_000, held: 0 },
      ]);
    });
  }

  test('a cancel whose job Redis lost before it ran is 503 with nothing changed; its retry cancels', async () => {
    const late = await lateApi({ events: true });
    const tenant = await createFundedTenant(system, 'lost', 0);
    const [id] = await queuedPayouts(tenant, 1, 30);
    late.queues.lose = true;
    const lost = await client(late.url, tenant.key)('POST', `/v1/payouts/${id}/cancel`);
    expect([lost.status, lost.body.code]).toEqual([503, 'service_unavailable']);
    expect((await tenant.api('GET', `/v1/payouts/${id}`)).body.status).toBe('queued');
    const retry = await tenant.api('POST', `/v1/payouts/${id}/cancel`);
    expect([retry.status, retry.body.status]).toEqual([200, 'cancelled']);
  });
});
