import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newId } from '@payouts/core';
import { tenants, webhookDeliveries, webhookEndpoints, webhookEvents } from '@payouts/db';
import { createLogger } from '@payouts/observability';
import { createTestDatabase, must, type TestDatabase, waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WebhookDeliverer } from './deliverer.ts';

/**
 * The deliverer against a real Postgres and a real HTTP receiver, with a schedule short enough to
 * reach its end: what it records when an endpoint keeps failing or does not answer at all.
 */
let db: TestDatabase;
let server: Server;
let url: string;
let requests = 0;
/** Per path: how the receiver answers (`hang` never does). */
const behaviour = new Map<string, number | 'hang'>();

beforeAll(async () => {
  db = await createTestDatabase();
  server = createServer((req, res) => {
    requests++;
    req.resume();
    const how = behaviour.get(req.url ?? '') ?? 200;
    if (how === 'hang') return;
    res.writeHead(how, how === 429 ? { 'retry-after': '60' } : {}).end('busy');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await db?.drop();
});

async function pendingDelivery(path: string) {
  const tenantId = newId('tenant');
  await db.db.insert(tenants).values({ id: tenantId, name: 'deliverer' });
  const endpointId = newId('webhookEndpoint');
  await db.db.insert(webhookEndpoints).values({
    id: endpointId,
    tenantId,
    url: `${url}${path}`,
    secret: `whsec_${Buffer.from('k'.repeat(32)).toString('base64')}`,
  });
  const eventId = newId('webhookEvent');
  await db.db.insert(webhookEvents).values({
    id: eventId,
    tenantId,
    type: 'payout.processed',
    subjectId: newId('payout'),
    subjectVersion: 1,
    payload: { type: 'payout.processed', timestamp: new Date().toISOString(), data: {} },
  });
  const id = newId('webhookDelivery');
  await db.db
    .insert(webhookDeliveries)
    .values({ id, eventId, endpointId, tenantId, status: 'pending', nextAttemptAt: new Date() });
  return id;
}

function deliverer(settings: { maxAttempts: number; timeoutMs?: number; allowPrivateTargets?: boolean }) {
  return new WebhookDeliverer({
    db: db.db,
    logger: createLogger({ name: 'test', level: 'silent' }),
    concurrency: 4,
    // The receiver here is on 127.0.0.1.
    allowPrivateTargets: settings.allowPrivateTargets ?? true,
    timeoutMs: settings.timeoutMs ?? 2000,
    pollIntervalMs: 20,
    retry: { baseMs: 1, maxAttempts: settings.maxAttempts },
  }).start();
}

async function deliveryRow(id: string) {
  const [row] = await db.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
  return must(row, 'row');
}

test('an endpoint that keeps answering 503 is tried maxAttempts times, then the delivery is failed', async () => {
  behaviour.set('/busy', 503);
  const id = await pendingDelivery('/busy');
  const before = requests;
  const running = deliverer({ maxAttempts: 3 });
  try {
    const row = await waitFor(async () => {
      const r = await deliveryRow(id);
      return r.status === 'failed' ? r : undefined;
    });
    expect(row).toMatchObject({ attempts: 3, lastStatusCode: 503, lastError: 'HTTP 503: busy' });
    expect(requests - before).toBe(3);
  } finally {
    await running.close(1000);
  }
});

test('no answer within the timeout counts as a failed attempt to retry, with the reason recorded', async () => {
  behaviour.set('/silent', 'hang');
  const id = await pendingDelivery('/silent');
  const running = deliverer({ maxAttempts: 2, timeoutMs: 200 });
  try {
    const row = await waitFor(async () => {
      const r = await deliveryRow(id);
      return r.status === 'failed' ? r : undefined;
    });
    expect(row).toMatchObject({ attempts: 2, lastStatusCode: null, lastError: 'no answer within 200 ms' });
  } finally {
    await running.close(1000);
  }
});

test('a private target is refused for good, without a request, unless private targets are allowed', async () => {
  behaviour.set('/inside', 200);
  const id = await pendingDelivery('/inside');
  const before = requests;
  const running = deliverer({ maxAttempts: 5, allowPrivateTargets: false });
  try {
    const row = await waitFor(async () => {
      const r = await deliveryRow(id);
      return r.status === 'failed' ? r : undefined;
    });
    expect(row).toMatchObject({
      attempts: 1,
      lastStatusCode: null,
      lastError: 'refused: target address 127.0.0.1 is private',
    });
    expect(requests - before).toBe(0);
  } finally {
    await running.close(1000);
  }
});

test('a Retry-After from the receiver pushes the next attempt out that far', async () => {
  behaviour.set('/slow-down', 429);
  const id = await pendingDelivery('/slow-down');
  const running = deliverer({ maxAttempts: 5 });
  try {
    const row = await waitFor(async () => {
      const r = await deliveryRow(id);
      return r.attempts === 1 && r.lastStatusCode === 429 && r.status === 'pending' ? r : undefined;
    });
    // The schedule alone would retry after 1 ms (base 1 ms here); the receiver asked for 60 s.
    expect(
      must(row.nextAttemptAt, 'row.nextAttemptAt').getTime() - must(row.lastAttemptAt, 'row.lastAttemptAt').getTime(),
    ).toBeGreaterThanOrEqual(59_000);
  } finally {
    await running.close(1000);
  }
});
