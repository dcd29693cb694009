import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { must, waitFor } from '@payouts/testing';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../../apps/cli/src/cli.ts';
import {
  apiFetch,
  client,
  createFundedTenant,
  inrPayout,
  startTestSystem,
  type TestSystem,
} from '../support/system.ts';

/**
 * Outbound webhooks to a tenant's endpoint (docs/webhooks.md), against a real receiver on this
 * machine that checks every signature with the standardwebhooks library, as a client would.
 * The retry schedule's base is a few milliseconds here, so retries come at once.
 */
interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read payloads loosely and assert on them
  payload: any;
  answered: number;
}

class Receiver {
  readonly received: Received[] = [];
  /** The status to answer each request with; 200 unless a test says otherwise. */
  answer: (r: Omit<Received, 'answered'>) => number = () => 200;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const self = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const r = {
          id: String(req.headers['webhook-id']),
          timestamp: String(req.headers['webhook-timestamp']),
          signature: String(req.headers['webhook-signature']),
          body,
          payload: JSON.parse(body),
        };
        const status = self.answer(r);
        self.received.push({ ...r, answered: status });
        const respond = () => res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
        if (self.held) self.held.push(respond);
        else respond();
      });
    });
    return self;
  }

  /** Answers kept back while held (see `hold`). */
  private held: Array<() => void> | null = null;

  /** From now on, keep each answer back until `release`: the deliverer waits inside its HTTP call. */
  hold(): void {
    this.held ??= [];
  }

  /** How many answers are kept back. */
  heldBack(): number {
    return this.held?.length ?? 0;
  }

  /** Sends the answers kept back, and answers at once again. */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const respond of held) respond();
  }

  /** What arrived about one subject (a payout or batch id), in arrival order. */
  about(subjectId: string): Received[] {
    return this.received.filter((r) => r.payload.data?.id === subjectId);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** The operator CLI, in-process, over this system's API. */
async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_OPERATOR_KEY: system.operatorKey },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

function headersOf(r: Received) {
  return { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature };
}

function verifies(secret: string, r: Received): boolean {
  try {
    new Webhook(secret).verify(r.body, headersOf(r));
    return true;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return false;
    throw error;
  }
}

let system: TestSystem;
const receivers: Receiver[] = [];
let tenants = 0;

beforeAll(async () => {
  system = await startTestSystem({
    env: { WEBHOOK_POLL_INTERVAL_MS: '50', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_TIMEOUT_MS: '3000' },
  });
});
afterAll(async () => {
  await system?.stop();
  for (const r of receivers) await r.close();
});

/** A fresh tenant with one endpoint pointing at a fresh receiver. */
async function setup(endpoint: Record<string, unknown> = {}) {
  const tenant = await createFundedTenant(system, `hooks-${++tenants}-${Date.now()}`);
  const receiver = await Receiver.start();
  receivers.push(receiver);
  const res = await tenant.api(
    'POST',
    '/v1/webhook-endpoints',
    { url: receiver.url, ...endpoint },
    { 'idempotency-key': `we-${Math.random()}` },
  );
  expect(res.status).toBe(201);
  return { tenant, receiver, endpoint: res.body as { id: string; secret: string } };
}

async function payout(api: Awaited<ReturnType<typeof createFundedTenant>>['api'], overrides = {}) {
  const res = await api('POST', '/v1/payouts', inrPayout(overrides), { 'idempotency-key': `p-${Math.random()}` });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

async function settled(api: Awaited<ReturnType<typeof createFundedTenant>>['api'], id: string, status: string) {
  return waitFor(
    async () => {
      const res = await api('GET', `/v1/payouts/${id}`);
      return res.body.status === status ? res.body : undefined;
    },
    { message: `payout ${id} to reach ${status}` },
  );
}

async function deliveries(
  api: Awaited<ReturnType<typeof createFundedTenant>>['api'],
  endpointId: string,
  query = '',
): Promise<
  {
    id: string;
    status: string;
    attempts: number;
    event_type: string;
    subject_id: string;
    last_status_code: number | null;
  }[]
> {
  const res = await api('GET', `/v1/webhook-endpoints/${endpointId}/deliveries?limit=100${query}`);
  expect(res.status).toBe(200);
  return res.body.data;
}

describe('events of a payout', () => {
  test('arrive in version order, signed, each the state at its version; the last equals GET /v1/payouts/{id}', async () => {
    const { tenant, receiver, endpoint } = await setup();
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    const id = await payout(tenant.api);
    const final = await settled(tenant.api, id, 'processed');
    const got = await waitFor(() => {
      const about = receiver.about(id);
      return about.some((r) => r.payload.type === 'payout.processed') ? about : undefined;
    });

    for (const r of got) expect(verifies(endpoint.secret, r)).toBe(true);
    // One event per transition, versions 1, 2, 3… in arrival order; each names its own state.
    expect(got.map((r) => r.payload.data.version)).toEqual(got.map((_, i) => i + 1));
    for (const r of got) {
      expect(r.payload.type).toBe(`payout.${r.payload.data.status}`);
      expect(r.id).toMatch(/^msg_/);
      expect(Date.parse(r.payload.timestamp)).not.toBeNaN();
    }
    const last = must(got.at(-1), 'the last event');
    expect(must(got[0], 'the first event').payload.type).toBe('payout.reserved');
    expect(last.payload.type).toBe('payout.processed');
    expect(last.payload.data).toEqual(final);
    expect(new Set(got.map((r) => r.id)).size).toBe(got.length);

    const recorded = await waitFor(async () => {
      const list = await deliveries(tenant.api, endpoint.id);
      return list.length === got.length && list.every((d) => d.status === 'succeeded') ? list : undefined;
    });
    expect(recorded.every((d) => d.attempts === 1 && d.last_status_code === 200 && d.subject_id === id)).toBe(true);
  });

  test('a failed payout is sent with fees and tax 0: what its wallet was charged, as GET says', async () => {
    const { tenant, receiver } = await setup({ enabled_events: ['payout.failed'] });
    const id = await payout(tenant.api, {
      beneficiary: { name: 'Fail Case', account_number: '999900010001', bank_code: 'HDFC0001234' },
    });
    const final = await settled(tenant.api, id, 'failed');
    const event = await waitFor(() => receiver.about(id)[0]);
    expect(event.payload.type).toBe('payout.failed');
    expect(event.payload.data).toMatchObject({ fees: 0, tax: 0 });
    expect(event.payload.data).toEqual(final);
  });

  test('a 500 is retried, and the next version waits until the earlier one is through', async () => {
    const { tenant, receiver, endpoint } = await setup();
    let first = true;
    receiver.answer = () => {
      if (!first) return 200;
      first = false;
      return 500;
    };
    const id = await payout(tenant.api);
    await settled(tenant.api, id, 'processed');
    const got = await waitFor(() => {
      const about = receiver.about(id);
      return about.some((r) => r.payload.type === 'payout.processed') ? about : undefined;
    });
    // The first attempt of version 1 failed; its retry came before any later version.
    const attempt = must(got[0], 'the first attempt');
    const retry = must(got[1], 'the retry');
    expect(attempt.answered).toBe(500);
    expect(retry.id).toBe(attempt.id);
    expect(retry.answered).toBe(200);
    expect(got.slice(1).map((r) => r.payload.data.version)).toEqual(got.slice(1).map((_, i) => i + 1));

    const reserved = await waitFor(async () =>
      (await deliveries(tenant.api, endpoint.id)).find(
        (d) => d.event_type === 'payout.reserved' && d.status === 'succeeded',
      ),
    );
    expect(reserved.attempts).toBe(2);
    expect(reserved.last_status_code).toBe(200);
  });

  test('a 400 fails for good without a retry; an operator replay (CLI) sends it again', async () => {
    const { tenant, receiver, endpoint } = await setup({ enabled_events: ['payout.processed'] });
    receiver.answer = () => 400;
    const id = await payout(tenant.api);
    await settled(tenant.api, id, 'processed');
    const failed = await waitFor(async () =>
      (await deliveries(tenant.api, endpoint.id, '&status=failed')).find((d) => d.subject_id === id),
    );
    expect(failed).toMatchObject({ event_type: 'payout.processed', attempts: 1, last_status_code: 400 });
    // Only the event type asked for, and only once: a failed delivery is never claimed again.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.about(id)).toHaveLength(1);
    expect((await deliveries(tenant.api, endpoint.id)).map((d) => d.event_type)).toEqual(['payout.processed']);

    const op = client(system.api.url, system.operatorKey);
    const listed = await op('GET', `/v1/admin/webhook-deliveries?status=failed&tenant_id=${tenant.id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((d: { id: string }) => d.id)).toEqual([failed.id]);
    expect(listed.body.data[0].tenant_id).toBe(tenant.id);

    const refused = await tenant.api('POST', `/v1/admin/webhook-deliveries/${failed.id}/replay`);
    expect(refused.status).toBe(403);

    const listedByCli = await cli(['webhooks', 'deliveries', '--status', 'failed', '--tenant', tenant.id]);
    expect(listedByCli.code).toBe(0);
    expect(listedByCli.stdout).toContain(failed.id);
    expect(listedByCli.stdout).toContain('HTTP 400');
    expect((await cli(['webhooks', 'replay', 'po_not_a_delivery'])).code).toBe(2);

    receiver.answer = () => 204;
    const replay = await cli(['webhooks', 'replay', failed.id, '--json']);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ id: failed.id, status: 'pending', attempts: 0 });
    const done = await waitFor(async () =>
      (await deliveries(tenant.api, endpoint.id, '&status=succeeded')).find((d) => d.id === failed.id),
    );
    expect(done.attempts).toBe(1);
    expect(done.last_status_code).toBe(204);
    const again = receiver.about(id);
    expect(again).toHaveLength(2);
    const original = must(again[0], 'the original delivery');
    const replayed = must(again[1], 'the replayed delivery');
    expect(replayed.id).toBe(original.id);
    expect(replayed.body).toBe(original.body);
    expect(verifies(endpoint.secret, replayed)).toBe(true);

    const actions = await op('GET', `/v1/admin/operator-actions?target=${failed.id}`);
    expect(actions.body.data).toEqual([
      expect.objectContaining({
        action: 'webhook_delivery.replay',
        result: { previous_status: 'failed', previous_attempts: 1 },
      }),
    ]);

    const unknown = await op('POST', '/v1/admin/webhook-deliveries/whd_01JDA8Z6B9Y4X3W2V1T0S9R8Q7/replay');
    expect(unknown.status).toBe(404);
  });
});

describe('secret rotation', () => {
  test('while the old secret overlaps both verify; with no overlap only the new one does', async () => {
    const { tenant, receiver, endpoint } = await setup({ enabled_events: ['payout.processed'] });
    const missingKey = await tenant.api('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {});
    expect(missingKey.status).toBe(400);

    const rotated = await tenant.api(
      'POST',
      `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      { expires_in_seconds: 3600 },
      { 'idempotency-key': 'rotate-1' },
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at)).toBeGreaterThan(Date.now());
    // A retry of the same rotation replays its answer instead of rotating again.
    const retried = await tenant.api(
      'POST',
      `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      { expires_in_seconds: 3600 },
      { 'idempotency-key': 'rotate-1' },
    );
    expect(retried.body.secret).toBe(rotated.body.secret);
    const shown = await tenant.api('GET', `/v1/webhook-endpoints/${endpoint.id}`);
    expect(shown.body.secret).toBeUndefined();
    expect(shown.body.previous_secret_expires_at).toBe(rotated.body.previous_secret_expires_at);

    const during = await payout(tenant.api);
    await settled(tenant.api, during, 'processed');
    const overlapping = await waitFor(() =>
      receiver.about(during).length === 1 ? receiver.about(during)[0] : undefined,
    );
    expect(overlapping.signature.split(' ')).toHaveLength(2);
    expect(verifies(endpoint.secret, overlapping)).toBe(true);
    expect(verifies(rotated.body.secret, overlapping)).toBe(true);

    const cut = await tenant.api(
      'POST',
      `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      { expires_in_seconds: 0 },
      { 'idempotency-key': 'rotate-2' },
    );
    expect(cut.status).toBe(200);
    expect(cut.body.previous_secret_expires_at).toBeNull();
    const after = await payout(tenant.api);
    await settled(tenant.api, after, 'processed');
    const single = await waitFor(() => (receiver.about(after).length === 1 ? receiver.about(after)[0] : undefined));
    expect(verifies(cut.body.secret, single)).toBe(true);
    expect(verifies(rotated.body.secret, single)).toBe(false);
    expect(verifies(endpoint.secret, single)).toBe(false);
  });
});

describe('endpoints through the API', () => {
  test("another tenant's endpoint is a 404 everywhere, and not listed", async () => {
    const { endpoint } = await setup();
    const other = await createFundedTenant(system, `hooks-other-${Date.now()}`);
    const path = `/v1/webhook-endpoints/${endpoint.id}`;
    expect((await other.api('GET', path)).status).toBe(404);
    expect((await other.api('PATCH', path, { description: 'mine now' })).status).toBe(404);
    expect((await other.api('DELETE', path)).status).toBe(404);
    expect((await other.api('GET', `${path}/deliveries`)).status).toBe(404);
    expect(
      (await other.api('POST', `${path}/rotate-secret`, {}, { 'idempotency-key': `r-${Math.random()}` })).status,
    ).toBe(404);
    const list = await other.api('GET', '/v1/webhook-endpoints');
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([]);
  });

  test('bad input is a problem naming the field, and nothing is written', async () => {
    const tenant = await createFundedTenant(system, `hooks-bad-${Date.now()}`);
    const post = (body: unknown) =>
      tenant.api('POST', '/v1/webhook-endpoints', body, { 'idempotency-key': `bad-${Math.random()}` });
    const cases: [unknown, string][] = [
      [{ url: 'not a url' }, 'url'],
      [{ url: 'http://example.com/hooks' }, 'url'],
      [{ url: 'https://user:pw@example.com/hooks' }, 'url'],
      [
        { url: 'https://example.com/hooks', enabled_events: ['payout.processed', 'payout.exploded'] },
        'enabled_events.1',
      ],
      [{ url: 'https://example.com/hooks', enabled_events: [] }, 'enabled_events'],
      [{ url: 'https://example.com/hooks', colour: 'blue' }, 'colour'],
      [{}, 'url'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    // Text Postgres cannot store is refused before any rule is judged: 400 naming the field.
    for (const [body, field] of [
      [{ url: 'https://example.com/ho\u0000oks' }, 'url'],
      [{ url: 'https://example.com/hooks', description: 'a\u0000b' }, 'description'],
      [{ url: 'https://example.com/hooks', description: 'a\ud800b' }, 'description'],
    ] as const) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('invalid_text');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    const noKey = await tenant.api('POST', '/v1/webhook-endpoints', { url: 'https://example.com/hooks' });
    expect(noKey.status).toBe(400);
    expect(noKey.body.errors[0].field).toBe('Idempotency-Key');
    expect((await tenant.api('GET', '/v1/webhook-endpoints')).body.data).toEqual([]);

    const ok = await post({ url: 'https://example.com/hooks', description: 'ledger sync' });
    expect(ok.status).toBe(201);
    const patch = await tenant.api('PATCH', `/v1/webhook-endpoints/${ok.body.id}`, { enabled_events: ['batch.done'] });
    expect(patch.status).toBe(422);
    expect(patch.body.errors[0].field).toBe('enabled_events.0');
    const empty = await tenant.api('PATCH', `/v1/webhook-endpoints/${ok.body.id}`, {});
    expect(empty.status).toBe(422);
    const unchanged = await tenant.api('GET', `/v1/webhook-endpoints/${ok.body.id}`);
    expect(unchanged.body).toMatchObject({ enabled_events: null, description: 'ledger sync', disabled: false });
    const badQuery = await tenant.api('GET', `/v1/webhook-endpoints/${ok.body.id}/deliveries?status=lost`);
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.errors[0].field).toBe('status');
  });

  test('a disabled endpoint gets nothing; enabled again, it gets what happens next', async () => {
    const { tenant, receiver, endpoint } = await setup({ enabled_events: ['payout.processed'] });
    const disabled = await tenant.api('DELETE', `/v1/webhook-endpoints/${endpoint.id}`);
    expect(disabled.status).toBe(200);
    expect(disabled.body.disabled).toBe(true);
    const quiet = await payout(tenant.api);
    await settled(tenant.api, quiet, 'processed');
    expect(await deliveries(tenant.api, endpoint.id)).toEqual([]);

    const enabled = await tenant.api('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { disabled: false });
    expect(enabled.body.disabled).toBe(false);
    const heard = await payout(tenant.api);
    await settled(tenant.api, heard, 'processed');
    await waitFor(() => receiver.about(heard).length === 1);
    expect(receiver.about(quiet)).toEqual([]);
  });
});

describe('disabling an endpoint', () => {
  test('ends its pending deliveries at once as cancelled (PATCH and DELETE); an operator replays one once enabled again', async () => {
    const { tenant, receiver, endpoint } = await setup();
    const second = await Receiver.start();
    receivers.push(second);
    const other = await tenant.api(
      'POST',
      '/v1/webhook-endpoints',
      { url: second.url },
      { 'idempotency-key': `we-${Math.random()}` },
    );
    expect(other.status).toBe(201);
    // Both receivers are down: the first version of the payout is retried, the later ones wait.
    receiver.answer = () => 503;
    second.answer = () => 503;
    const id = await payout(tenant.api);
    await settled(tenant.api, id, 'processed');
    for (const endpointId of [endpoint.id, other.body.id as string]) {
      await waitFor(async () => {
        const list = await deliveries(tenant.api, endpointId, '&status=pending');
        return list.some((d) => d.event_type === 'payout.processed') && list.some((d) => d.attempts > 0);
      });
    }

    // The deliverer records an answer under the delivery's row lock, and a disable skips a row held
    // that way (the deliverer's next sweep ends it). So that the disable's own transaction meets
    // every pending delivery unheld, both endpoints keep their next answer back: the deliverer is
    // then inside its HTTP call, recording nothing.
    receiver.hold();
    second.hold();
    await waitFor(() => receiver.heldBack() > 0 && second.heldBack() > 0);
    const patched = await tenant.api('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { disabled: true });
    expect(patched.status).toBe(200);
    const deleted = await tenant.api('DELETE', `/v1/webhook-endpoints/${other.body.id}`);
    expect(deleted.status).toBe(200);
    for (const endpointId of [endpoint.id, other.body.id as string]) {
      // At once: in the answer's own transaction, not as the deliverer gets round to it.
      expect(await deliveries(tenant.api, endpointId, '&status=pending')).toEqual([]);
      const cancelled = await deliveries(tenant.api, endpointId, '&status=cancelled');
      expect(cancelled.map((d) => d.event_type)).toContain('payout.reserved');
      expect(cancelled.map((d) => d.event_type)).toContain('payout.processed');
      expect(cancelled.every((d) => d.subject_id === id)).toBe(true);
    }
    // The answers kept back (503) arrive after the cancellation, which they do not undo (below).
    receiver.release();
    second.release();
    const op = client(system.api.url, system.operatorKey);
    const listed = await op('GET', `/v1/admin/webhook-deliveries?status=cancelled&endpoint_id=${endpoint.id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.every((d: { last_error: string }) => d.last_error === 'the endpoint was disabled')).toBe(
      true,
    );
    const processed = must(
      (await deliveries(tenant.api, endpoint.id, '&status=cancelled')).find((d) => d.event_type === 'payout.processed'),
      'the cancelled payout.processed delivery',
    );
    expect((await op('POST', `/v1/admin/webhook-deliveries/${processed.id}/replay`)).status).toBe(409);

    receiver.answer = () => 200;
    const before = receiver.about(id).length;
    expect((await tenant.api('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { disabled: false })).status).toBe(200);
    const replayed = await op('POST', `/v1/admin/webhook-deliveries/${processed.id}/replay`);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ id: processed.id, status: 'pending', attempts: 0 });
    await waitFor(async () =>
      (await deliveries(tenant.api, endpoint.id, '&status=succeeded')).some((d) => d.id === processed.id),
    );
    expect(
      receiver
        .about(id)
        .slice(before)
        .map((r) => r.payload.type),
    ).toEqual(['payout.processed']);
  });
});

test('the OpenAPI document lists the webhook routes and the payout version', async () => {
  const doc = (await apiFetch(`${system.api.url}/openapi.json`).then((r) => r.json())) as {
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
  };
  expect(Object.keys(doc.paths['/v1/webhook-endpoints/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
  expect(doc.paths['/v1/webhook-endpoints/{id}/rotate-secret']?.post).toBeDefined();
  expect(doc.paths['/v1/admin/webhook-deliveries/{id}/replay']?.post).toBeDefined();
  expect(doc.components.schemas.Payout?.properties?.version).toBeDefined();
  const status = doc.components.schemas.WebhookDelivery?.properties?.status as { enum?: string[] } | undefined;
  expect(status?.enum).toEqual(['pending', 'succeeded', 'failed', 'cancelled']);
});

describe('batches', () => {
  test('batch.completed arrives once, when every payout is final, equal to GET /v1/payout-batches/{id}', async () => {
    const { tenant, receiver, endpoint } = await setup({ enabled_events: ['batch.completed'] });
    const items = [
      inrPayout({ reference_id: 'run-1' }),
      inrPayout({ reference_id: 'run-2', beneficiary: { ...inrPayout().beneficiary, account_number: '123456780001' } }),
      inrPayout({ reference_id: 'run-3', beneficiary: { ...inrPayout().beneficiary, account_number: '123456789876' } }),
    ];
    const upload = await tenant.api(
      'POST',
      '/v1/payout-batches',
      { items },
      { 'idempotency-key': `b-${Math.random()}` },
    );
    expect(upload.status).toBe(202);
    const batchId = upload.body.id as string;

    const event = await waitFor(() => receiver.about(batchId)[0], {});
    expect(event.payload.type).toBe('batch.completed');
    expect(verifies(endpoint.secret, event)).toBe(true);
    const status = await tenant.api('GET', `/v1/payout-batches/${batchId}`);
    expect(status.body.status).toBe('completed');
    expect(event.payload.data).toEqual(status.body);
    expect(event.payload.data.counts).toEqual({ processed: 2, failed: 1 });

    // Once: no other delivery for the batch, even as late reports keep arriving.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.about(batchId)).toHaveLength(1);
    expect((await deliveries(tenant.api, endpoint.id)).map((d) => d.event_type)).toEqual(['batch.completed']);
  });
});
