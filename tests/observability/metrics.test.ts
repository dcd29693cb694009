import { readApiEnv, startApi } from '@payouts/api';
import { createLogger, serveMetrics } from '@payouts/observability';
import { testRedisUrl, waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';
import { parseExposition, type Sample, sample } from './exposition.ts';

/**
 * The metrics each app exposes, read the way Prometheus reads them (text format), after real
 * payouts went through the whole system.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let processedId: string;
let stuckId: string;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'metrics');
  const done = await tenant.api('POST', '/v1/payouts', inrPayout({ amount: 42_000 }), { 'idempotency-key': 'm-1' });
  expect(done.status).toBe(202);
  processedId = done.body.id;
  // Sandbox account numbers ending in 0003 stay in progress: a payout that is not finished.
  const stuck = await tenant.api(
    'POST',
    '/v1/payouts',
    inrPayout({
      amount: 43_000,
      beneficiary: { name: 'Ravi K', account_number: '55554444000003', bank_code: 'HDFC0001234' },
    }),
    { 'idempotency-key': 'm-2' },
  );
  expect(stuck.status).toBe(202);
  stuckId = stuck.body.id;
  await waitFor(async () => (await tenant.api('GET', `/v1/payouts/${processedId}`)).body.status === 'processed', {
    message: 'the first payout to be processed',
  });
  await waitFor(async () => (await tenant.api('GET', `/v1/payouts/${stuckId}`)).body.status === 'processing', {
    message: 'the second payout to be processing',
  });
});
afterAll(async () => {
  await system?.stop();
});

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text()).samples;
}

function noPayoutIds(samples: Sample[]) {
  for (const s of samples) for (const v of Object.values(s.labels)) expect(v).not.toMatch(/^(po|ten|key)_/);
}

describe('metrics', () => {
  test('the exposition reader refuses what Prometheus would refuse', () => {
    expect(() => parseExposition('payouts_x{a=b} 1')).toThrow(/bad label/);
    expect(() => parseExposition('payouts_x{a="b"}')).toThrow(/not a sample/);
    expect(() => parseExposition('payouts_x 1O')).toThrow(/not a number/);
    expect(parseExposition('# TYPE a counter\na{b="c"} 2\n').samples).toEqual([
      { name: 'a', labels: { b: 'c' }, value: 2 },
    ]);
  });

  test('the API serves GET /metrics: request durations by route pattern and status class, never raw URLs', async () => {
    const samples = await scrape(`${system.api.url}/metrics`);
    const posted = sample(samples, 'payouts_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/v1/payouts',
      status_class: '2xx',
    });
    expect(posted?.value).toBeGreaterThanOrEqual(2);
    expect(posted?.labels.app).toBe('api');
    const read = sample(samples, 'payouts_http_request_duration_seconds_count', {
      method: 'GET',
      route: '/v1/payouts/:id',
      status_class: '2xx',
    });
    expect(read?.value).toBeGreaterThanOrEqual(2);
    // Default Node metrics are there too.
    expect(sample(samples, 'process_resident_memory_bytes')?.value).toBeGreaterThan(0);
    noPayoutIds(samples);
    expect(samples.some((s) => s.labels.route?.includes(processedId))).toBe(false);

    await fetch(`${system.api.url}/v1/nothing-here/${processedId}`);
    const after = await scrape(`${system.api.url}/metrics`);
    expect(
      sample(after, 'payouts_http_request_duration_seconds_count', { route: 'unmatched', status_class: '4xx' })?.value,
    ).toBeGreaterThanOrEqual(1);
  });

  test('the worker counts provider calls by operation and outcome, and reports circuit and queue state', async () => {
    const samples = parseExposition(await system.workers.registry.metrics()).samples;
    const submits = sample(samples, 'payouts_provider_requests_total', {
      provider: 'razorpayx',
      operation: 'submit',
      outcome: 'ok',
    });
    expect(submits?.value).toBe(2);
    expect(
      sample(samples, 'payouts_provider_request_duration_seconds_count', { provider: 'razorpayx', operation: 'submit' })
        ?.value,
    ).toBe(2);
    expect(
      sample(samples, 'payouts_provider_requests_total', {
        provider: 'razorpayx',
        operation: 'lookup_by_id',
        outcome: 'ok',
      })?.value,
    ).toBeGreaterThanOrEqual(1);
    expect(sample(samples, 'payouts_circuit_state', { provider: 'razorpayx' })?.value).toBe(0);
    expect(sample(samples, 'payouts_provider_low_float', { provider: 'razorpayx' })?.value).toBe(0);
    // The stuck payout's poll job sits delayed between looks.
    expect(sample(samples, 'payouts_queue_jobs', { queue: 'provider-razorpayx', state: 'delayed' })).toBeDefined();
    expect(sample(samples, 'payouts_queue_oldest_waiting_age_seconds', { queue: 'provider-razorpayx' })).toBeDefined();
    noPayoutIds(samples);
  });

  test('the reconciler counts transitions, end-to-end times and ledger batches, and reads state from Postgres', async () => {
    const samples = parseExposition(await system.reconciler.registry.metrics()).samples;
    expect(sample(samples, 'payouts_transitions_total', { to_state: 'processed', provider: 'razorpayx' })?.value).toBe(
      1,
    );
    expect(
      sample(samples, 'payouts_transitions_total', { to_state: 'reserved', provider: 'razorpayx' })?.value,
    ).toBeGreaterThanOrEqual(2);
    expect(
      sample(samples, 'payouts_end_to_end_seconds_count', { provider: 'razorpayx', final_state: 'processed' })?.value,
    ).toBe(1);
    expect(
      sample(samples, 'payouts_end_to_end_seconds_bucket', {
        provider: 'razorpayx',
        final_state: 'processed',
        le: '+Inf',
      })?.value,
    ).toBe(1);
    // The fundings, the holds and every report went through group-committed batches.
    expect(sample(samples, 'payouts_ledger_batch_size_count')?.value).toBeGreaterThanOrEqual(3);
    expect(sample(samples, 'payouts_ledger_batch_size_sum')?.value).toBeGreaterThanOrEqual(5);
    expect(sample(samples, 'payouts_ledger_batch_duration_seconds_count', { result: 'committed' })?.value).toBe(
      sample(samples, 'payouts_ledger_batch_size_count')?.value,
    );
    expect(sample(samples, 'payouts_by_state', { state: 'processing', provider: 'razorpayx' })?.value).toBe(1);
    expect(sample(samples, 'payouts_by_state', { state: 'processed' })).toBeUndefined();
    expect(
      sample(samples, 'payouts_oldest_age_seconds', { state: 'processing', provider: 'razorpayx' })?.value,
    ).toBeGreaterThanOrEqual(0);
    expect(sample(samples, 'payouts_ledger_imbalance', { currency: 'INR' })?.value).toBe(0);
    expect(sample(samples, 'payouts_queue_jobs', { queue: 'reconciler', state: 'waiting' })).toBeDefined();
    expect(sample(samples, 'payouts_queue_jobs', { queue: 'provider-druo', state: 'waiting' })?.value).toBe(0);
    // No client webhook endpoints here: every endpoint state is reported, at zero.
    for (const state of ['enabled', 'circuit_open', 'disabled']) {
      expect(sample(samples, 'payouts_webhook_deliveries_pending', { state })?.value, state).toBe(0);
      expect(sample(samples, 'payouts_webhook_oldest_pending_age_seconds', { state })?.value, state).toBe(0);
    }
    expect(sample(samples, 'payouts_webhook_delivery_lag_seconds')?.value).toBe(0);
    noPayoutIds(samples);
  });

  test('with METRICS_TOKEN set, the API serves /metrics only to that bearer', async () => {
    const token = 'scrape-token-0123456789';
    const api = await startApi({
      env: readApiEnv({
        DATABASE_URL: system.db.url,
        REDIS_URL: testRedisUrl(),
        QUEUE_PREFIX: system.prefix,
        PORT: '0',
        METRICS_TOKEN: token,
      }),
      db: system.db.db,
      logger: createLogger({ name: 'metrics-token', level: 'silent' }),
      host: '127.0.0.1',
    });
    try {
      expect((await fetch(`${api.url}/metrics`)).status).toBe(401);
      expect(
        (await fetch(`${api.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status,
      ).toBe(401);
      const samples = await scrape(`${api.url}/metrics`, { authorization: `Bearer ${token}` });
      expect(samples.some((s) => s.name === 'payouts_http_request_duration_seconds_count')).toBe(true);
    } finally {
      await api.close();
    }
  });

  test('a worker or reconciler process serves its registry on a port of its own', async () => {
    const server = await serveMetrics(system.reconciler.registry, 0, '127.0.0.1');
    try {
      const samples = await scrape(server.url);
      expect(sample(samples, 'payouts_ledger_imbalance', { currency: 'INR' })?.value).toBe(0);
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('the queue dashboard at /admin/queues', () => {
  const basic = (password: string) => `Basic ${Buffer.from(`operator:${password}`).toString('base64')}`;

  test('opens for the operator key as an HTTP Basic password', async () => {
    const res = await fetch(`${system.api.url}/admin/queues`, {
      headers: { authorization: basic(system.operatorKey) },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/<html/i);
  });

  test('lists the reconciler queue and every provider queue (Bearer works too)', async () => {
    const res = await fetch(`${system.api.url}/admin/queues/api/queues`, {
      headers: { authorization: `Bearer ${system.operatorKey}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(
      ['provider-druo', 'provider-krayon', 'provider-razorpayx', 'provider-thai-gateway', 'reconciler'].sort(),
    );
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
  });

  test('without a key: 401 with a Basic challenge, so a browser asks for it', async () => {
    const res = await fetch(`${system.api.url}/admin/queues`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="queues"/);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  test('a wrong key is 401 and a tenant key is 403', async () => {
    const wrong = await fetch(`${system.api.url}/admin/queues`, {
      headers: { authorization: basic('not-a-real-key-at-all') },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    const tenantRes = await fetch(`${system.api.url}/admin/queues`, { headers: { authorization: basic(tenant.key) } });
    expect(tenantRes.status).toBe(403);
    const tenantApi = await fetch(`${system.api.url}/admin/queues/api/queues`, {
      headers: { authorization: `Bearer ${tenant.key}` },
    });
    expect(tenantApi.status).toBe(403);
  });
});
