import { PROVIDER_IDS } from '@payouts/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as druoFixtures from '../test/druo/fixtures.ts';
import * as examplePayFixtures from '../test/example/fixtures.ts';
import { examplePay } from '../test/example/registration.ts';
import { fakeHttp, json } from '../test/http.ts';
import * as krayonFixtures from '../test/krayon/fixtures.ts';
import { errorOf, rejection } from '../test/provider-error.ts';
import * as razorpayxFixtures from '../test/razorpayx/fixtures.ts';
import * as thaiFixtures from '../test/thai-gateway/fixtures.ts';
import type { CanonicalPayout, HttpResponse } from './contract/index.ts';
import { druo } from './druo/registration.ts';
import type { ProviderRegistration } from './kit/index.ts';
import { krayon } from './krayon/registration.ts';
import { razorpayx } from './razorpayx/registration.ts';
import {
  createAdapters,
  DEFAULT_ROUTES,
  PROVIDERS,
  providerEnv,
  providerWorkerEnv,
  RECHECK_PROVIDERS,
  sandboxProviderEnv,
  WEBHOOK_PROVIDERS,
  workerLimits,
} from './registry.ts';
import { thaiGateway } from './thai-gateway/registration.ts';

/*
 * The contract every provider registration keeps, run over each: what the engine derives from it
 * (variables, adapter, capabilities) and the rules the kit enforces for it (unsupported
 * capabilities, validation before submit, the shared status layer). Example Pay is a provider that
 * exists only in test fixtures: its folder and its line below are all it took to come under contract.
 */

interface Subject {
  readonly registration: ProviderRegistration<string>;
  /** A payout the provider's own rules accept. */
  pagePayout(overrides?: Partial<CanonicalPayout>): CanonicalPayout;
}

const SUBJECTS: readonly Subject[] = [
  { registration: razorpayx, pagePayout: razorpayxFixtures.pagePayout },
  { registration: krayon, pagePayout: krayonFixtures.pagePayout },
  { registration: thaiGateway, pagePayout: thaiFixtures.pagePayout },
  { registration: druo, pagePayout: druoFixtures.pagePayout },
  { registration: examplePay, pagePayout: examplePayFixtures.pagePayout },
];
const REGISTRATIONS = SUBJECTS.map((s) => s.registration);

const SANDBOX = 'http://127.0.0.1:3100';

/** The adapter the engine would build from an empty environment, answering from a script. */
function adapterOf(registration: ProviderRegistration<string>, ...answers: Array<Partial<HttpResponse> | Error>) {
  const env = z.object(registration.env(SANDBOX)).parse({});
  const http = fakeHttp(...answers);
  return { adapter: registration.fromEnv(env, { timeoutMs: 1000, http }), http };
}

const notJson = { status: 200, headers: {}, body: 'not json' };

describe.each(SUBJECTS)('$registration.id', ({ registration, pagePayout }) => {
  it('names every variable with its prefix, and its base URL defaults to the sandbox', () => {
    const names = Object.keys(registration.env(SANDBOX));
    expect(names.every((n) => n.startsWith(`${registration.envPrefix}_`))).toBe(true);
    expect(registration.envPrefix).toBe(registration.id.toUpperCase().replaceAll('-', '_'));
    const parsed = z.object(registration.env(SANDBOX)).parse({});
    expect(parsed[registration.baseUrlEnv]).toBe(`${SANDBOX}/${registration.id}`);
  });

  it('builds the adapter it registers, with the same id and capabilities', () => {
    const { adapter } = adapterOf(registration);
    expect(adapter.id).toBe(registration.id);
    expect([...adapter.capabilities].sort()).toEqual([...registration.capabilities].sort());
    expect(adapter.capabilities.has('submit')).toBe(true);
  });

  it('is re-checked exactly when it sends no webhooks', () => {
    expect(registration.webhooks).toBe(registration.capabilities.has('webhooks'));
    expect(registration.recheck).toBe(!registration.webhooks);
    expect(registration.worker.concurrency).toBeGreaterThanOrEqual(1);
    expect(registration.worker.ratePerSecond).toBeGreaterThanOrEqual(1);
  });

  it('answers unsupported for each capability it does not declare, without a request', async () => {
    const { adapter, http } = adapterOf(registration);
    const calls = {
      lookup_by_id: () => adapter.lookupById('x'),
      lookup_by_reference: () => adapter.lookupByReference(pagePayout()),
      cancel: () => adapter.cancel('x'),
      balance: () => adapter.getBalance(),
    } as const;
    for (const [capability, call] of Object.entries(calls)) {
      if (registration.capabilities.has(capability as keyof typeof calls)) continue;
      const error = await errorOf(call());
      expect(error).toMatchObject({ kind: 'unsupported', providerCode: 'UNSUPPORTED' });
      expect(error.message).toBe(`${registration.id} does not support ${capability}`);
    }
    if (!registration.webhooks) {
      expect(rejection(() => adapter.verifyWebhook(Buffer.from('{}'), {}))).toMatchObject({ kind: 'unsupported' });
    }
    expect(http.requests).toHaveLength(0);
  });

  it('accepts its page payout, and refuses one its rules refuse before any request', async () => {
    const { adapter, http } = adapterOf(registration);
    expect(adapter.validate(pagePayout())).toEqual([]);
    const invalid = pagePayout({ amount: 0n });
    const issues = adapter.validate(invalid);
    expect(issues.length).toBeGreaterThan(0);
    const error = await errorOf(adapter.submit(invalid));
    expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'VALIDATION_FAILED', field: issues[0]?.path });
    expect(http.requests).toHaveLength(0);
  });

  describe('a create, answered', () => {
    it.each([
      ['429 with Retry-After', json(429, '', { 'retry-after': '2' }), { kind: 'rate_limited', retryAfterMs: 2000 }],
      ['503 (it may have been committed)', json(503, ''), { kind: 'outcome_unknown', httpStatus: 503 }],
      ['302 (redirects are not followed)', json(302, ''), { kind: 'outcome_unknown', httpStatus: 302 }],
      ['401', json(401, ''), { kind: 'auth', httpStatus: 401 }],
      ['200 with a body it cannot read', notJson, { kind: 'outcome_unknown', providerCode: 'UNEXPECTED_RESPONSE' }],
    ])('%s', async (_name, answer, expected) => {
      const { adapter, http } = adapterOf(registration, answer);
      expect(await errorOf(adapter.submit(pagePayout()))).toMatchObject(expected);
      expect(http.requests).toHaveLength(1);
      expect(http.requests[0]?.url.startsWith(`${SANDBOX}/${registration.id}`)).toBe(true);
    });
  });

  describe.runIf(registration.capabilities.has('lookup_by_id'))('a lookup by id, answered', () => {
    it.each([
      ['503 (a read changed nothing)', json(503, ''), { kind: 'unavailable', httpStatus: 503 }],
      ['302', json(302, ''), { kind: 'unavailable', httpStatus: 302 }],
      ['404', json(404, ''), { kind: 'not_found', httpStatus: 404 }],
      ['200 with a body it cannot read', notJson, { kind: 'unavailable', providerCode: 'UNEXPECTED_RESPONSE' }],
    ])('%s', async (_name, answer, expected) => {
      const { adapter } = adapterOf(registration, answer);
      expect(await errorOf(adapter.lookupById('p_1'))).toMatchObject(expected);
    });
  });

  describe.runIf(registration.capabilities.has('lookup_by_reference'))('a lookup by reference, answered', () => {
    it.each([
      ['503', json(503, ''), { kind: 'unavailable', httpStatus: 503 }],
      ['200 with a body it cannot read', notJson, { kind: 'unavailable', providerCode: 'UNEXPECTED_RESPONSE' }],
    ])('%s', async (_name, answer, expected) => {
      const { adapter } = adapterOf(registration, answer);
      expect(await errorOf(adapter.lookupByReference(pagePayout()))).toMatchObject(expected);
    });
  });
});

describe('the list of registrations', () => {
  it('is the public API list of provider ids, and every shipped provider is under contract above', () => {
    expect(PROVIDERS.map((p) => p.id)).toEqual([...PROVIDER_IDS]);
    for (const provider of PROVIDERS) expect(REGISTRATIONS).toContain(provider);
  });

  it('is all the engine needs: one more registration gets its variables, worker limits and adapter', () => {
    const env = {
      ...z.object(providerWorkerEnv(REGISTRATIONS)).parse({}),
      ...z.object(providerEnv(3100, REGISTRATIONS)).parse({}),
    };
    expect(env).toMatchObject({
      EXAMPLE_PAY_BASE_URL: `${SANDBOX}/example-pay`,
      EXAMPLE_PAY_API_KEY: 'example_sandbox_key',
      EXAMPLE_PAY_CONCURRENCY: 5,
      EXAMPLE_PAY_RATE_PER_SECOND: 2,
    });
    expect(workerLimits(env, examplePay)).toEqual({ concurrency: 5, ratePerSecond: 2 });
    const adapters = createAdapters({ ...env, PROVIDER_TIMEOUT_MS: 1000 }, REGISTRATIONS);
    expect([...adapters.keys()]).toEqual(REGISTRATIONS.map((r) => r.id));
    expect(adapters.get('example-pay')?.currencies).toEqual(['USD']);
  });

  it('gives the shipped providers the variables, defaults and limits they always had', () => {
    const env = z.object({ ...providerEnv(), ...providerWorkerEnv() }).parse({});
    expect(env).toEqual({
      RAZORPAYX_BASE_URL: `${SANDBOX}/razorpayx`,
      RAZORPAYX_KEY_ID: 'rzp_test_sandbox',
      RAZORPAYX_KEY_SECRET: 'sandbox_secret',
      RAZORPAYX_ACCOUNT_NUMBER: '7878780080316316',
      RAZORPAYX_WEBHOOK_SECRET: 'sandbox_webhook_secret',
      KRAYON_BASE_URL: `${SANDBOX}/krayon`,
      KRAYON_API_TOKEN: 'krayon_sandbox_token',
      // A new setting: where Krayon takes its fee, on top as the adapter always assumed.
      KRAYON_FEE_MODE: 'on_top',
      THAI_GATEWAY_BASE_URL: `${SANDBOX}/thai-gateway`,
      THAI_GATEWAY_API_KEY: 'thai_sandbox_key',
      THAI_GATEWAY_API_SECRET: 'thai_sandbox_secret',
      // A new setting (the page's contradictory amount example), with the reading the adapter always had.
      THAI_GATEWAY_AMOUNT_UNIT: 'baht',
      DRUO_BASE_URL: `${SANDBOX}/druo`,
      DRUO_ACCESS_TOKEN: 'druo_sandbox_token',
      DRUO_TENANT_ID: 'ten_0521aadc-5fbd-4b3c-af0a-a4f4b8d6f20a',
      PROVIDER_TIMEOUT_MS: 10_000,
      RAZORPAYX_CONCURRENCY: 50,
      RAZORPAYX_RATE_PER_SECOND: 10,
      KRAYON_CONCURRENCY: 20,
      KRAYON_RATE_PER_SECOND: 10,
      THAI_GATEWAY_CONCURRENCY: 20,
      THAI_GATEWAY_RATE_PER_SECOND: 10,
      DRUO_CONCURRENCY: 20,
      DRUO_RATE_PER_SECOND: 10,
    });
    expect(z.object(providerEnv(4000)).parse({}).KRAYON_BASE_URL).toBe('http://127.0.0.1:4000/krayon');
  });

  it('derives the default routes, the re-check list and the webhook senders as they always were', () => {
    expect(DEFAULT_ROUTES).toEqual({ INR: 'razorpayx', THB: 'thai-gateway', USD: 'druo', COP: 'druo' });
    expect(RECHECK_PROVIDERS).toEqual(['krayon', 'druo']);
    expect(WEBHOOK_PROVIDERS).toEqual(['razorpayx', 'thai-gateway']);
  });

  it('points every provider at a running sandbox, with the rate it is given', () => {
    const url = 'http://127.0.0.1:4321';
    expect(sandboxProviderEnv(url)).toEqual({
      RAZORPAYX_BASE_URL: `${url}/razorpayx`,
      KRAYON_BASE_URL: `${url}/krayon`,
      THAI_GATEWAY_BASE_URL: `${url}/thai-gateway`,
      DRUO_BASE_URL: `${url}/druo`,
    });
    expect(sandboxProviderEnv(url, 2000)).toMatchObject({
      RAZORPAYX_RATE_PER_SECOND: '2000',
      KRAYON_RATE_PER_SECOND: '2000',
      THAI_GATEWAY_RATE_PER_SECOND: '2000',
      DRUO_RATE_PER_SECOND: '2000',
    });
  });
});
