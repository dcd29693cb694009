import { request } from 'node:http';
import { payoutBatches, payouts } from '@payouts/db';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiFetch, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/** Body size limits: 1 MB of JSON on every route, 128 MB for a batch (JSON or CSV); over is 413 problem+json. */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'limits', 100_000_000);
});
afterAll(async () => {
  await system?.stop();
});

/** RazorpayX takes at most 14 metadata keys (one note is ours) of 256 characters. */
const bigMetadata = () => Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`k${i}`, 'm'.repeat(250)]));

describe('body size limits', () => {
  test('a JSON body over 1 MB is 413 body_too_large, problem+json naming the body; nothing written', async () => {
    const body = JSON.stringify(inrPayout({ description: 'x'.repeat(1_100_000) }));
    const res = await apiFetch(`${system.api.url}/v1/payouts`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tenant.key}`,
        'content-type': 'application/json',
        'idempotency-key': 'big-1',
      },
      body,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res.json()) as { code: string; errors: { field: string }[] };
    expect(problem.code).toBe('body_too_large');
    expect(problem.errors[0]?.field).toBe('body');
    expect(await system.db.db.select().from(payouts)).toEqual([]);
  });

  test('a JSON batch may be larger than 1 MB', async () => {
    const items = Array.from({ length: 650 }, (_, i) =>
      inrPayout({ reference_id: `limits-${i}`, metadata: bigMetadata() }),
    );
    const body = JSON.stringify({ items });
    expect(body.length).toBeGreaterThan(2_000_000);
    const res = await apiFetch(`${system.api.url}/v1/payout-batches`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tenant.key}`,
        'content-type': 'application/json',
        'idempotency-key': 'big-2',
      },
      body,
    });
    const answer = (await res.json()) as { rows: { accepted: number } };
    expect(res.status, JSON.stringify(answer).slice(0, 500)).toBe(202);
    expect(answer.rows.accepted).toBe(650);
  });

  test('a CSV batch that declares more than 128 MB is refused before it is read', async () => {
    const before = (await system.db.db.select().from(payoutBatches)).length;
    const answer = await new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
      const req = request(
        `${system.api.url}/v1/payout-batches`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${tenant.key}`,
            'content-type': 'text/csv',
            'idempotency-key': 'big-3',
            'content-length': String(129 * 1024 * 1024),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => {
            // We never send the 129 MB we announced: drop the connection once answered.
            req.destroy();
            resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: text });
          });
        },
      );
      req.on('error', reject);
      req.write('amount,currency\n');
    });
    expect(answer.status).toBe(413);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'body_too_large', errors: [{ field: 'body' }] });
    expect((await system.db.db.select().from(payoutBatches)).length).toBe(before);
  });
});
