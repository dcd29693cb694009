import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newId } from '@payouts/core';
import { rowsOf, tenants, webhookDeliveries, webhookEndpoints, webhookEvents } from '@payouts/db';
import { createLogger } from '@payouts/observability';
import { createTestDatabase, freePort, must, type TestDatabase, waitFor } from '@payouts/testing';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { webhookBacklog } from '../metrics.ts';
import { claimQuery, WebhookDeliverer, type WebhookDelivererOptions } from './deliverer.ts';

/**
 * One tenant's dead endpoints must not hold up another tenant's webhooks: thousands of pending
 * deliveries to 20 endpoints that answer 500 or refuse connections, beside one healthy endpoint
 * of another tenant. The backlog is written straight into Postgres, as the outbox leaves it.
 */
let db: TestDatabase;
let server: Server;
let base: string;
/** A port nothing listens on: connections are refused. */
let refused: string;
/** Per path, the webhook-ids received, in order. */
const received = new Map<string, string[]>();
const SECRET = `whsec_${Buffer.from('f'.repeat(32)).toString('base64')}`;
const silent = createLogger({ name: 'test', level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase();
  server = createServer((req, res) => {
    req.resume();
    const path = req.url ?? '';
    received.set(path, [...(received.get(path) ?? []), String(req.headers['webhook-id'])]);
    res.writeHead(path.startsWith('/dead') ? 500 : 200).end(path.startsWith('/dead') ? 'down' : 'ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  refused = `http://127.0.0.1:${await freePort()}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await db?.drop();
});
afterEach(async () => {
  await db.db.delete(webhookDeliveries);
  await db.db.delete(webhookEvents);
  await db.db.delete(webhookEndpoints);
  received.clear();
});

async function tenant(): Promise<string> {
  const id = newId('tenant');
  await db.db.insert(tenants).values({ id, name: 'fairness' });
  return id;
}

async function endpoint(tenantId: string, url: string, extra: Partial<typeof webhookEndpoints.$inferInsert> = {}) {
  const id = newId('webhookEndpoint');
  await db.db.insert(webhookEndpoints).values({ id, tenantId, url, secret: SECRET, ...extra });
  return id;
}

/**
 * `perEndpoint` pending deliveries to each endpoint, one payout each, due from `at` on (a
 * millisecond apart), in one statement. With `waiting`, each payout has a second version too,
 * waiting behind the first as the outbox writes it.
 */
async function backlog(endpoints: { id: string; tenantId: string }[], perEndpoint: number, at: Date, waiting = false) {
  const tag = Math.random().toString(36).slice(2, 8);
  const eps = JSON.stringify(endpoints.map((e, n) => ({ id: e.id, tenant_id: e.tenantId, n })));
  await db.db.execute(sql`
    with rows as (
      select x.id as endpoint_id, x.tenant_id, v, ${tag} || '_' || x.n || '_' || g as k,
        ${at.toISOString()}::timestamptz + g * interval '1 millisecond' as at
      from jsonb_to_recordset(${eps}::jsonb) as x(id text, tenant_id text, n int)
      cross join generate_series(1, ${perEndpoint}::int) g
      cross join generate_series(1, ${waiting ? 2 : 1}::int) v
    ), ev as (
      insert into webhook_events (id, tenant_id, type, subject_id, subject_version, payload, created_at)
      select 'msg_' || k || '_' || v, tenant_id, 'payout.processed', 'po_' || k, v,
        '{"type":"payout.processed","data":{}}'::jsonb, at
      from rows
    )
    insert into webhook_deliveries (id, event_id, endpoint_id, tenant_id, subject_id, subject_version, status, attempts,
      next_attempt_at, created_at, updated_at)
    select 'whd_' || k || '_' || v, 'msg_' || k || '_' || v, endpoint_id, tenant_id, 'po_' || k, v, 'pending', 0,
      case when v = 1 then at end, at, at
    from rows`);
}

/** One pending delivery, as the outbox writes it for a new payout. */
async function fresh(tenantId: string, endpointId: string): Promise<{ id: string; eventId: string }> {
  const eventId = newId('webhookEvent');
  const subjectId = newId('payout');
  await db.db.insert(webhookEvents).values({
    id: eventId,
    tenantId,
    type: 'payout.reserved',
    subjectId,
    subjectVersion: 1,
    payload: { type: 'payout.reserved', timestamp: new Date().toISOString(), data: {} },
  });
  const id = newId('webhookDelivery');
  await db.db.insert(webhookDeliveries).values({
    id,
    eventId,
    endpointId,
    tenantId,
    subjectId,
    subjectVersion: 1,
    status: 'pending',
    nextAttemptAt: new Date(),
  });
  return { id, eventId };
}

/** The defaults, but quick to poll; retries and circuits keep their production base (5 s). */
function deliverer(extra: Partial<WebhookDelivererOptions> = {}) {
  return new WebhookDeliverer({
    db: db.db,
    logger: silent,
    concurrency: 16,
    allowPrivateTargets: true,
    timeoutMs: 2000,
    pollIntervalMs: 50,
    retry: { baseMs: 5000, maxAttempts: 11 },
    ...extra,
  });
}

/** The dead tenant: 20 endpoints, half answering 500, half refusing the connection. */
async function deadTenant() {
  const tenantId = await tenant();
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) ids.push(await endpoint(tenantId, i % 2 ? `${base}/dead-${i}` : `${refused}/dead-${i}`));
  return { tenantId, ids };
}

async function pendingCount(endpointIds: string[]): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await db.db.execute(sql`select count(*)::int as n from webhook_deliveries
      where status = 'pending' and endpoint_id in (select jsonb_array_elements_text(${JSON.stringify(endpointIds)}::jsonb))`),
  );
  return must(row, 'row').n;
}

describe('one tenant cannot stall the others', () => {
  test("the healthy endpoint's delivery is in the first claim round, however old and large the dead backlog", async () => {
    const dead = await deadTenant();
    // 4,000 deliveries to the dead endpoints, all due for an hour: first in, first out would
    // send every one of them before anything newer.
    await backlog(
      dead.ids.map((id) => ({ id, tenantId: dead.tenantId })),
      200,
      new Date(Date.now() - 3600_000),
    );
    const healthyTenant = await tenant();
    const healthy = await endpoint(healthyTenant, `${base}/ok`);
    const { id } = await fresh(healthyTenant, healthy);

    const before = await webhookBacklog(db.db);
    expect(before.groups).toEqual([{ state: 'enabled', count: 4001, oldestAgeSeconds: expect.any(Number) }]);
    expect(must(before.groups[0], 'before.groups[0]').oldestAgeSeconds).toBeGreaterThan(3500);
    // Nothing was ever claimed: the oldest due delivery has waited the hour.
    expect(before.lagSeconds).toBeGreaterThan(3500);

    const first = await deliverer().claim(16);
    expect(first.map((c) => c.id)).toContain(id);
    // One from each endpoint rather than sixteen from the oldest one.
    expect(new Set(first.map((c) => c.endpoint_id)).size).toBe(16);
  });

  test('dead endpoints open their circuits after a few attempts each; a healthy tenant is served meanwhile', async () => {
    const dead = await deadTenant();
    await backlog(
      dead.ids.map((id) => ({ id, tenantId: dead.tenantId })),
      200,
      new Date(Date.now() - 60_000),
      true,
    );
    expect(await pendingCount(dead.ids)).toBe(8000);
    const running = deliverer().start();
    try {
      await waitFor(
        async () => {
          const open = await db.db
            .select({ id: webhookEndpoints.id })
            .from(webhookEndpoints)
            .where(and(inArray(webhookEndpoints.id, dead.ids), sql`circuit_open_until > now()`));
          return open.length === dead.ids.length;
        },
        { timeoutMs: 60_000, message: 'every dead endpoint to open its circuit' },
      );

      const healthyTenant = await tenant();
      const healthy = await endpoint(healthyTenant, `${base}/ok`);
      const { id, eventId } = await fresh(healthyTenant, healthy);
      running.nudge();
      await waitFor(() => received.get('/ok')?.includes(eventId), {
        timeoutMs: 30_000,
        message: "the healthy tenant's delivery to arrive",
      });
      const row = await waitFor(async () => {
        const [r] = await db.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
        return r?.status === 'pending' ? undefined : r;
      });
      expect(row).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 200 });

      // The backlog was not tried delivery by delivery: each dead endpoint got at most the
      // attempts that opened its circuit (5), those already in flight then (at most 8), and a
      // probe or three if this machine is slow enough for its circuit to come round (5 s, 30 s…).
      const attempts = rowsOf<{ endpoint_id: string; n: number }>(
        await db.db.execute(sql`select endpoint_id, sum(attempts)::int as n from webhook_deliveries
          where endpoint_id in (select jsonb_array_elements_text(${JSON.stringify(dead.ids)}::jsonb))
          group by endpoint_id`),
      );
      for (const a of attempts) expect(a.n, a.endpoint_id).toBeLessThanOrEqual(5 + 8 + 3);
      expect(await pendingCount(dead.ids)).toBe(8000);

      const metrics = await webhookBacklog(db.db);
      expect(metrics.groups).toEqual([{ state: 'circuit_open', count: 8000, oldestAgeSeconds: expect.any(Number) }]);
      expect(metrics.lagSeconds).toBeLessThan(60);
    } finally {
      await running.close(1000);
    }
  }, 120_000);

  test('an open circuit is probed with one delivery; once it answers, the rest follow', async () => {
    const tenantId = await tenant();
    const recovering = await endpoint(tenantId, `${base}/back`, {
      consecutiveFailures: 5,
      circuitOpenUntil: new Date(Date.now() - 1000),
    });
    await backlog([{ id: recovering, tenantId }], 30, new Date(Date.now() - 600_000));

    const idle = deliverer();
    const probe = await idle.claim(16);
    expect(probe).toHaveLength(1);
    expect(must(probe[0], 'probe[0]').probe).toBe(true);
    // While the probe is out, its circuit stays open: nothing else is claimed from it.
    expect(await idle.claim(16)).toEqual([]);
    const [during] = await db.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, recovering));
    expect(must(must(during, 'during').circuitOpenUntil, 'during.circuitOpenUntil').getTime()).toBeGreaterThan(
      Date.now(),
    );

    // A deliverer whose lease ran out… here, the probe is simply claimed again by a fresh one.
    await db.db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: new Date(Date.now() - 1000) })
      .where(eq(webhookDeliveries.id, must(probe[0], 'probe[0]').id));
    await db.db
      .update(webhookEndpoints)
      .set({ circuitOpenUntil: new Date(Date.now() - 1000) })
      .where(eq(webhookEndpoints.id, recovering));
    const running = deliverer().start();
    try {
      await waitFor(async () => (await pendingCount([recovering])) === 0, {
        timeoutMs: 30_000,
        message: 'the backlog to drain once the probe succeeded',
      });
      expect(received.get('/back')).toHaveLength(30);
      const [after] = await db.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, recovering));
      expect(after).toMatchObject({ consecutiveFailures: 0, circuitOpenUntil: null });
    } finally {
      await running.close(1000);
    }
  });

  test('a failed probe opens the circuit again, for longer', async () => {
    const tenantId = await tenant();
    const still = await endpoint(tenantId, `${base}/dead-still`, {
      consecutiveFailures: 5,
      circuitOpenUntil: new Date(Date.now() - 1000),
    });
    await backlog([{ id: still, tenantId }], 10, new Date(Date.now() - 600_000));
    const running = deliverer({ random: () => 0.5 }).start();
    try {
      const row = await waitFor(
        async () => {
          const [r] = await db.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, still));
          return must(r, 'r').consecutiveFailures === 6 ? r : undefined;
        },
        { message: 'the probe to fail' },
      );
      // The second step of the circuit: 30 s at a 5 s base (±20 %), not the first's 5 s.
      const openFor = must(must(row, 'row').circuitOpenUntil, 'row.circuitOpenUntil').getTime() - Date.now();
      expect(openFor).toBeGreaterThan(20_000);
      expect(received.get('/dead-still')).toHaveLength(1);
    } finally {
      await running.close(1000);
    }
  });
});

describe('version order, disabled endpoints', () => {
  test('a waiting version gets its time when the one before it is done, and arrives after it', async () => {
    const tenantId = await tenant();
    const target = await endpoint(tenantId, `${base}/ordered`);
    await backlog([{ id: target, tenantId }], 5, new Date(Date.now() - 1000), true);
    const running = deliverer().start();
    try {
      await waitFor(async () => (await pendingCount([target])) === 0, { message: 'both versions of each payout' });
    } finally {
      await running.close(1000);
    }
    const got = must(received.get('/ordered'), 'received.get("/ordered")');
    expect(got).toHaveLength(10);
    for (const id of got.filter((m) => m.endsWith('_2'))) {
      expect(got.indexOf(id)).toBeGreaterThan(got.indexOf(id.replace(/_2$/, '_1')));
    }
  });

  test('a waiting delivery with nothing before it (left by an older deliverer) is mended', async () => {
    const tenantId = await tenant();
    const target = await endpoint(tenantId, `${base}/mended`);
    await backlog([{ id: target, tenantId }], 3, new Date(Date.now() - 1000), true);
    // As a reconciler before version chains left them: written without their subject, and
    // version 1 delivered without handing over to version 2.
    await db.db.update(webhookDeliveries).set({ subjectId: null, subjectVersion: null });
    await db.db
      .update(webhookDeliveries)
      .set({ status: 'succeeded', nextAttemptAt: null })
      .where(and(eq(webhookDeliveries.endpointId, target), sql`next_attempt_at is not null`));
    const idle = deliverer();
    expect(await idle.claim(16)).toEqual([]);
    expect(await idle.repairChains()).toBe(3);
    expect(await idle.claim(16)).toHaveLength(3);
  });

  test("a disabled endpoint's pending deliveries are never claimed, and end as cancelled", async () => {
    const tenantId = await tenant();
    const off = await endpoint(tenantId, `${base}/off`, { disabled: true });
    await backlog([{ id: off, tenantId }], 50, new Date(Date.now() - 1000), true);
    expect((await webhookBacklog(db.db)).groups).toEqual([
      { state: 'disabled', count: 100, oldestAgeSeconds: expect.any(Number) },
    ]);
    const idle = deliverer();
    expect(await idle.claim(16)).toEqual([]);
    expect(await idle.cancelForDisabled()).toBe(100);
    const rows = await db.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, off));
    expect(rows.every((r) => r.status === 'cancelled' && r.lastError === 'the endpoint was disabled')).toBe(true);
    expect(received.get('/off')).toBeUndefined();
    expect((await webhookBacklog(db.db)).groups).toEqual([]);
  });
});

test('the claim reads the rows it takes, not the backlog: an index-driven plan at 12,000 pending', async () => {
  const dead = await deadTenant();
  await backlog(
    dead.ids.map((id) => ({ id, tenantId: dead.tenantId })),
    300,
    new Date(Date.now() - 3600_000),
    true,
  );
  const healthyTenant = await tenant();
  await fresh(healthyTenant, await endpoint(healthyTenant, `${base}/ok`));
  await db.db.execute(sql`analyze webhook_deliveries, webhook_endpoints, webhook_events`);

  interface PlanNode {
    'Node Type': string;
    'Relation Name'?: string;
    'Index Name'?: string;
    'Actual Rows': number;
    'Actual Loops': number;
    'Rows Removed by Filter'?: number;
    Plans?: PlanNode[];
  }
  const nodes: PlanNode[] = [];
  const walk = (n: PlanNode) => {
    nodes.push(n);
    for (const c of n.Plans ?? []) walk(c);
  };
  await db.db
    .transaction(async (tx) => {
      const [row] = rowsOf<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        await tx.execute(
          sql`explain (analyze, format json) ${claimQuery({
            limit: 16,
            now: new Date(),
            leaseUntil: new Date(Date.now() + 40_000),
            inFlight: {},
            endpointConcurrency: 8,
          })}`,
        ),
      );
      walk(must(row, 'row')['QUERY PLAN'][0].Plan);
      tx.rollback();
    })
    .catch((error: Error) => {
      if (!/rollback/i.test(error.message)) throw error;
    });

  const deliveries = nodes.filter((n) => n['Relation Name'] === 'webhook_deliveries');
  expect(deliveries.length).toBeGreaterThan(0);
  expect(deliveries.map((n) => n['Node Type'])).not.toContain('Seq Scan');
  // Rows read from webhook_deliveries, every loop counted: a few per endpoint, not 12,001.
  const read = deliveries.reduce(
    (sum, n) => sum + n['Actual Rows'] * n['Actual Loops'] + (n['Rows Removed by Filter'] ?? 0),
    0,
  );
  expect(read).toBeLessThan(500);
});
