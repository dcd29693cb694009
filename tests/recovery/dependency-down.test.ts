import { type RunningApi, readApiEnv, startApi } from '@payouts/api';
import { type DatabaseHandle, openDatabase } from '@payouts/db';
import { createLogger } from '@payouts/observability';
import { freePort, testQueuePrefix, testRedisUrl } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inrPayout } from '../support/system.ts';

/**
 * docs/architecture.md#guarantees: with Postgres unreachable the API answers 503 with a clear problem and a
 * Retry-After — not a 500 — so a client retries the same request, and nothing half-done is left.
 * The API here talks to a real postgres driver pointed at a port where nothing listens.
 */
let api: RunningApi;
let handle: DatabaseHandle;

beforeAll(async () => {
  const url = `postgres://postgres@127.0.0.1:${await freePort()}/test`;
  handle = await openDatabase(url, { max: 2 });
  api = await startApi({
    env: readApiEnv({ DATABASE_URL: url, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: testQueuePrefix(), PORT: '0' }),
    db: handle.db,
    logger: createLogger({ name: 'api', level: 'silent' }),
    host: '127.0.0.1',
  });
});
afterAll(async () => {
  await api?.close();
  await handle?.close();
});

describe('Postgres unreachable', () => {
  test.each([
    ['POST', '/v1/payouts', inrPayout()],
    ['GET', '/v1/payouts', undefined],
    ['GET', '/v1/balances', undefined],
  ] as const)('%s %s answers 503 service_unavailable with Retry-After', async (method, path, body) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        authorization: 'Bearer sk_test_0123456789abcdef0123456789abcdef',
        'content-type': 'application/json',
        'idempotency-key': 'down-1',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ status: 503, code: 'service_unavailable' });
  });

  test('/readyz says not ready; /healthz (the process itself) still answers', async () => {
    expect((await fetch(`${api.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  });
});
