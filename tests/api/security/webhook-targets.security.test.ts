import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, startTestSystem, type TestSystem } from '../../support/system.ts';

/**
 * Server-side request forgery at registration: with private targets not allowed (production),
 * an endpoint that delivery would refuse is refused when it is registered or changed — a 422
 * naming `url`, and nothing written. The tests' own system allows private targets (its receivers
 * listen on 127.0.0.1); this file's does not.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' } });
  tenant = await createFundedTenant(system, 'ssrf');
});
afterAll(async () => {
  await system?.stop();
});

const create = (url: string, key = `we-${Math.random()}`) =>
  tenant.api('POST', '/v1/webhook-endpoints', { url }, { 'idempotency-key': key });

const PRIVATE_TARGETS = [
  'https://10.0.0.1/hook',
  'https://192.168.1.1/hook',
  'https://169.254.169.254/latest/meta-data',
  'https://100.64.0.1/hook',
  'https://127.0.0.1/hook',
  'https://0x7f.1/hook',
  'http://localhost:8080/hook', // a name: resolves to loopback
  'https://localhost/hook',
  'https://[::1]/hook',
  'https://[::ffff:192.168.1.1]/hook',
  'https://[::127.0.0.1]/hook',
  'https://[64:ff9b::10.0.0.1]/hook',
  'https://[64:ff9b::169.254.169.254]/hook',
  'https://[fd00::1]/hook',
];

describe('webhook endpoint targets', () => {
  test.each(PRIVATE_TARGETS)('registering %s is 422 naming url, and nothing is written', async (url) => {
    const res = await create(url);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual([{ field: 'url', message: expect.stringMatching(/^must be a public address/) }]);
    expect((await tenant.api('GET', '/v1/webhook-endpoints')).body.data).toEqual([]);
  });

  test('a public address is accepted, and changing it to a private one is refused (it keeps its url)', async () => {
    const created = await create('https://8.8.8.8/hook');
    expect(created.status).toBe(201);
    const nat64 = await create('https://[64:ff9b::8.8.8.8]/hook');
    expect(nat64.status).toBe(201);
    for (const url of PRIVATE_TARGETS) {
      const res = await tenant.api('PATCH', `/v1/webhook-endpoints/${created.body.id}`, { url });
      expect([res.status, res.body.errors?.[0]?.field]).toEqual([422, 'url']);
    }
    const unchanged = await tenant.api('GET', `/v1/webhook-endpoints/${created.body.id}`);
    expect(unchanged.body.url).toBe('https://8.8.8.8/hook');
    const changed = await tenant.api('PATCH', `/v1/webhook-endpoints/${created.body.id}`, {
      url: 'https://[2001:4860:4860::8888]/hook',
    });
    expect(changed.status).toBe(200);
    // Fields other than url are not judged by its target.
    const described = await tenant.api('PATCH', `/v1/webhook-endpoints/${nat64.body.id}`, { description: 'ok' });
    expect(described.status).toBe(200);
  });

  test('a retry of a registration replays its first answer', async () => {
    const first = await create('https://8.8.4.4/hook', 'ssrf-retry');
    const again = await create('https://8.8.4.4/hook', 'ssrf-retry');
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
  });
});
