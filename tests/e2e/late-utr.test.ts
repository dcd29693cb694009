import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@payouts/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Every change is told: RazorpayX often gives the UTR after a payout is processed, in a
 * `payout.updated` webhook. The payout then shows it, its history says so, and the client's own
 * endpoint gets `payout.updated` with the payout at its new version (refund teams show the UTR to
 * their customers).
 */
let system: TestSystem;
let receiver: Server;
// biome-ignore lint/suspicious/noExplicitAny: payloads are read loosely and asserted on
const received: any[] = [];

beforeAll(async () => {
  system = await startTestSystem({ webhooks: true });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString()));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await system?.stop();
});

test('a UTR given after processed: on the payout, in its history, and sent as payout.updated', async () => {
  const tenant = await createFundedTenant(system, 'late-utr');
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  const endpoint = await tenant.api('POST', '/v1/webhook-endpoints', { url }, { 'idempotency-key': 'late-utr-we' });
  expect(endpoint.status).toBe(201);
  const created = await tenant.api('POST', '/v1/payouts', inrPayout({ reference_id: 'refund-late-utr' }), {
    'idempotency-key': 'late-utr-1',
  });
  expect(created.status).toBe(202);
  const id = created.body.id as string;
  const processed = await waitFor(
    async () => {
      const res = await tenant.api('GET', `/v1/payouts/${id}`);
      return res.body.status === 'processed' ? res.body : undefined;
    },
    { message: 'the payout to be processed' },
  );

  const given = await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts/${processed.provider_payout_id}/utr`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ utr: 'LATEUTR0000042' }),
  });
  expect(given.status).toBe(200);

  const updated = await waitFor(
    async () => {
      const res = await tenant.api('GET', `/v1/payouts/${id}`);
      return res.body.utr === 'LATEUTR0000042' ? res.body : undefined;
    },
    { message: 'the late UTR to reach the payout' },
  );
  expect(updated).toMatchObject({ status: 'processed', version: processed.version + 1 });

  const history = await tenant.api('GET', `/v1/payouts/${id}/events`);
  expect(history.body.data.at(-1)).toMatchObject({
    from_status: 'processed',
    to_status: 'processed',
    applied: true,
    detail: { updated: { utr: 'LATEUTR0000042' } },
  });

  const told = await waitFor(() => received.find((e) => e.type === 'payout.updated' && e.data.id === id) ?? undefined, {
    message: 'payout.updated at the endpoint',
  });
  expect(told.data).toEqual(updated);
  // Told once, however many times the provider said it (a webhook and a poll both may).
  expect(received.filter((e) => e.type === 'payout.updated' && e.data.id === id)).toHaveLength(1);
});
