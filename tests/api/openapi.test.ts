import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, PROVIDER_EXAMPLES } from '@payouts/api';
import { must, waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DocumentedAnswers } from '../support/openapi.ts';
import { servedRoutes } from '../support/routes.ts';
import { createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * The OpenAPI document is whole: every route the app serves is in it (and nothing else), `/docs`
 * renders it from assets the API serves itself under a strict Content-Security-Policy, and its
 * per-provider examples are bodies the running system (with the sandbox) accepts and pays. That
 * every answer matches it is checked on every call the tests make (tests/support/openapi.ts).
 */
const ROOT = join(import.meta.dirname, '../..');
/** A third-party UI (bull-board) with routes of its own; operators reach it with their key. */
const NOT_IN_DOCUMENT = ['/admin/queues'];

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem();
});
afterAll(async () => {
  await system?.stop();
});

const doc = buildOpenApiDocument();
const documented = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
  Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
);

describe('the document', () => {
  test('holds every route the app serves, and only those', () => {
    const served = servedRoutes(system)
      .filter((r) => !NOT_IN_DOCUMENT.some((p) => r.path === p || r.path.startsWith(`${p}/`)))
      // Express spells a parameter `:id`, OpenAPI `{id}`.
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(served).toContain('POST /v1/payouts');
    expect(served).toContain('POST /v1/webhooks/{provider}');
    expect(
      served.filter((r) => !documented.includes(r)),
      'routes missing from the OpenAPI document (apps/api/src/openapi.ts)',
    ).toEqual([]);
    expect(
      documented.filter((r) => !served.includes(r)),
      'the document lists routes the app does not serve',
    ).toEqual([]);
  });

  test('names every answer a route behind an API key can give, problems included', () => {
    for (const entry of documented.filter((r) => r.includes(' /v1/') && !r.includes('/v1/webhooks/'))) {
      const [method, path] = entry.split(' ') as [string, string];
      const operations = must(doc.paths, 'doc.paths')[path] as Record<string, { responses: Record<string, unknown> }>;
      const { responses } = must(operations[method.toLowerCase()], `the ${entry} operation`);
      for (const status of ['400', '401', '403', '413', '429', '431', '500', '503']) {
        expect(responses, `${entry} lacks ${status}`).toHaveProperty(status);
      }
      if (method !== 'GET') expect(responses, `${entry} lacks 415`).toHaveProperty('415');
      if (path.includes('{')) expect(responses, `${entry} lacks 404`).toHaveProperty('404');
    }
  });

  test('the answer checker catches a drift: an undocumented field, status or content type', () => {
    const answers = new DocumentedAnswers(doc);
    const payout = {
      id: 'po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7',
      object: 'payout',
      status: 'accepted',
      amount: 100,
      currency: 'INR',
      provider: 'razorpayx',
      method: 'IMPS',
      purpose: null,
      reference_id: null,
      narration: null,
      description: null,
      batch_id: null,
      beneficiary: { name: 'Asha Rao', account_number: '1234****9012', bank_code: 'HDFC0001234' },
      beneficiary_id: null,
      beneficiary_version: null,
      beneficiary_type: null,
      queue_if_low_balance: false,
      rail_fallback: null,
      route: null,
      attempt: 1,
      metadata: {},
      fees: null,
      tax: null,
      provider_payout_id: null,
      utr: null,
      failure: null,
      queued_reason: null,
      scheduled_for: null,
      version: 1,
      created_at: '2026-12-05T00:00:00.000Z',
      updated_at: '2026-12-05T00:00:00.000Z',
    };
    const answer = { method: 'GET', url: `/v1/payouts/${payout.id}`, contentType: 'application/json' };
    expect(answers.problems({ ...answer, status: 200, body: payout })).toEqual([]);
    expect(answers.problems({ ...answer, status: 200, body: { ...payout, colour: 'red' } })).toEqual([
      expect.stringContaining('colour'),
    ]);
    expect(answers.problems({ ...answer, status: 200, body: { ...payout, amount: '100' } })).toEqual([
      expect.stringContaining('/amount'),
    ]);
    const create = { method: 'POST', url: '/v1/payouts', status: 202, contentType: 'application/json', body: payout };
    expect(answers.problems({ ...create, headers: new Headers({ 'Idempotent-Replayed': 'false' }) })).toEqual([]);
    expect(answers.problems({ ...create, headers: new Headers() })).toEqual([
      expect.stringContaining('header Idempotent-Replayed missing'),
    ]);
    expect(answers.problems({ ...answer, status: 418, body: payout })).toEqual([
      expect.stringContaining('status not documented'),
    ]);
    expect(answers.problems({ ...answer, status: 200, contentType: 'text/html', body: '' })).toEqual([
      expect.stringContaining('content type text/html'),
    ]);
    expect(answers.problems({ method: 'PUT', url: '/v1/nothing', status: 200, contentType: null, body: '' })).toEqual([
      expect.stringContaining('not in the document'),
    ]);
  });
});

describe('/docs', () => {
  test('is an interactive reference served with its assets by the API, under a strict CSP', async () => {
    const page = await fetch(`${system.api.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await page.text();
    // No inline script or style: the CSP would refuse it.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => must(m[1], 'm[1]'));
    expect(assets).toEqual(expect.arrayContaining([expect.stringMatching(/swagger-ui-bundle\.js$/)]));
    const bodies: Record<string, string> = {};
    for (const asset of assets.filter((a) => a.startsWith('/docs/'))) {
      const res = await fetch(`${system.api.url}${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type'), asset).toMatch(asset.endsWith('.css') ? /^text\/css/ : /javascript/);
      expect(res.headers.get('content-security-policy'), asset).toBe(csp);
      bodies[asset] = await res.text();
    }
    expect(Object.keys(bodies)).toHaveLength(3);
    // Nothing reaches for another origin: the reference works offline.
    expect(bodies['/docs/assets/init.js']).toContain("url: '../openapi.json'");
    expect(bodies['/docs/assets/init.js']).toContain('validatorUrl: null');
    expect(must(bodies['/docs/assets/swagger-ui-bundle.js'], 'the swagger-ui bundle').length).toBeGreaterThan(100_000);
    expect(bodies['/docs/assets/swagger-ui.css']).not.toMatch(/@import|url\(\s*["']?https?:/);
    // The document it loads (relative to the page) is the one served.
    const served = await fetch(new URL('../openapi.json', `${system.api.url}/docs`));
    expect(await served.json()).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  test('serves nothing else of the package', async () => {
    for (const path of [
      '/docs/assets/index.html',
      '/docs/assets/swagger-initializer.js',
      '/docs/assets/../package.json',
    ]) {
      expect((await fetch(`${system.api.url}${path}`)).status, path).toBe(404);
    }
  });
});

describe('the per-provider examples', () => {
  const providersDoc = readFileSync(join(ROOT, 'docs/providers.md'), 'utf8');

  test.each(Object.entries(PROVIDER_EXAMPLES))('%s: in the document and in docs/providers.md', (provider, example) => {
    const media = (
      must(doc.paths, 'doc.paths')['/v1/payouts'] as { post: { requestBody: { content: Record<string, unknown> } } }
    ).post.requestBody.content['application/json'] as { examples: Record<string, { value: unknown }> };
    expect(must(media.examples[provider], 'media.examples[provider]').value).toEqual(example.value);
    expect(providersDoc).toContain(JSON.stringify(example.value, null, 2));
  });

  test.each(Object.entries(PROVIDER_EXAMPLES))(
    '%s: the example is accepted by the running system and paid through the sandbox',
    async (provider, example) => {
      const tenant = await createFundedTenant(system, `example-${provider}`, {
        [example.value.currency as string]: 10_000_000,
      });
      const res = await tenant.api('POST', '/v1/payouts', example.value, { 'idempotency-key': `example-${provider}` });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.provider).toBe(provider);
      await waitFor(
        async () => {
          const now = await tenant.api('GET', `/v1/payouts/${res.body.id}`);
          return now.body.status === 'processed' || undefined;
        },
        { message: `the ${provider} example to be processed` },
      );
    },
  );
});
