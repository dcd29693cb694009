import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { AdminClient, JsonResponse } from '../../test/common/test-support.ts';
import { accountEnding, payoutBody as druoBody, startDruo } from '../../test/druo/test-support.ts';
import { startKrayon, toAccount, withdrawalBody } from '../../test/krayon/test-support.ts';
import { payoutBody as razorpayxBody, startRazorpayX } from '../../test/razorpayx/test-support.ts';
import { startThaiGateway, withdrawBody } from '../../test/thai-gateway/test-support.ts';
import type { RunningSandbox } from '../server.ts';
import { DEFAULT_PROVIDER_CONFIG, type ProviderConfigPatch } from './config.ts';
import { type Random, seededRandom } from './random.ts';

/*
 * The fault knobs and the admin API belong to the common runtime, so one suite runs them against
 * every simulator. A provider differs only in what the adapter object below says: its bodies, its
 * error envelopes, how it resolves a create that got no answer, and what its admin list shows.
 */

type Body = Record<string, unknown>;

/** One running simulator, seen through what the shared tests need of it. */
interface Subject {
  readonly sandbox: RunningSandbox;
  readonly admin: AdminClient;
  /** A valid create body, fresh each time (references and keys unique where the provider needs it). */
  body(overrides?: Body): Body;
  create(body: Body, options?: { unauthenticated?: boolean; signal?: AbortSignal }): Promise<JsonResponse<unknown>>;
  /** Creates and insists it was accepted; the provider's id. */
  created(body: Body): Promise<string>;
  /** A lookup of an id the provider never issued. */
  getUnknown(): Promise<JsonResponse<unknown>>;
  balance(): Promise<number>;
  waitForSuccess(id: string): Promise<unknown>;
  /** The admin entry of the payout behind a hung create of `body`. */
  hungEntry(body: Body): Body;
  /** After a hung create: how this provider lets the engine find (or not duplicate) the payout. */
  resolveHung(body: Body, id: string): Promise<void>;
  /** Creates three payouts; what the admin list must show for each, in order. */
  createThree(): Promise<Array<{ id: string; reference: string; key: string | null }>>;
}

interface ProviderCase {
  readonly id: string;
  start(options?: { random?: Random; config?: ProviderConfigPatch }): Promise<Subject>;
  /** The status of an accepted create. */
  readonly accepted: number;
  /** What a 503 and a 429 from the fault knobs look like in this provider's error envelope. */
  readonly unavailableBody: Body;
  readonly rateLimitedBody: Body;
  /** A body whose payout fails (and refunds) when its progress runs. */
  failing(subject: Subject): Body;
  /** A payout that succeeds, and what it takes off the balance (amount and fee). */
  witness(subject: Subject): { body: Body; cost: number };
  /** Progress delays for "reset cancels progress": the witness's is longer, so it settles last. */
  readonly delays: readonly [number, number];
  /** A body with a reference of its own, for the hung create. */
  hungBody(): Body;
  /** What the admin list shows about the first of them. */
  firstEntry(ids: string[]): Body;
  /** The simulator's own id, as mounted in the sandbox. */
  simulatorId(sandbox: RunningSandbox): string;
}

const druo: ProviderCase = {
  id: 'druo',
  async start(options = {}) {
    const client = await startDruo({ random: options.random, druo: { config: options.config ?? {} } });
    const subject: Subject = {
      sandbox: client.sandbox,
      admin: client.admin,
      body: (overrides) => druoBody(overrides),
      create: (body, o = {}) => client.create(body, { auth: o.unauthenticated ? null : undefined, signal: o.signal }),
      created: async (body) => (await client.created(body)).uuid,
      getUnknown: () => client.get('trx_00000000-0000-0000-0000-000000000000'),
      balance: async () => client.balance('USD'),
      waitForSuccess: (id) => client.waitForStatus(id, 'SUCCESSFUL'),
      hungEntry: (body) => ({ reference: body.primary_reference, idempotency_key: null }),
      async resolveHung(body, id) {
        const [entry] = await client.admin.payouts();
        expect(entry?.status).not.toBe('DECLINED');
        expect(client.balance('USD')).toBe(DEFAULT_PROVIDER_CONFIG.balance - 20400);
        const found = await client.list({ primary_reference: String(body.primary_reference) });
        expect(found.body.payouts.map((p) => p.uuid)).toEqual([id]);
        // Without an idempotency key, resubmitting instead of looking up pays twice.
        expect((await client.create(body)).status).toBe(200);
        const sameReference = (await client.admin.payouts()).filter((p) => p.reference === body.primary_reference);
        expect(sameReference).toHaveLength(2);
      },
      async createThree() {
        const created = [];
        for (let i = 0; i < 3; i++) {
          const payout = await client.created(druoBody({ primary_reference: 'same-ref' }));
          created.push({ id: payout.uuid, reference: 'same-ref', key: null });
        }
        return created;
      },
    };
    return subject;
  },
  accepted: 200,
  unavailableBody: { error: { code: 'SERVICE_UNAVAILABLE' } },
  rateLimitedBody: { error: { code: 'RATE_LIMITED' } },
  failing: () => druoBody({ destination_account_id: accountEnding('0001') }),
  witness: () => ({ body: druoBody({ amount: 5000 }), cost: 5000 + 100 }),
  delays: [50, 80],
  hungBody: () => druoBody({ primary_reference: 'po_hung_1' }),
  firstEntry: (ids) => ({
    amount: 20000,
    currency: 'USD',
    created_at: expect.any(Number),
    payout: { uuid: ids[0], type: 'PAYOUT' },
  }),
  simulatorId: (sandbox) => sandbox.state.druo.id,
};

const krayon: ProviderCase = {
  id: 'krayon',
  async start(options = {}) {
    const client = await startKrayon({ random: options.random, krayon: { config: options.config ?? {} } });
    const subject: Subject = {
      sandbox: client.sandbox,
      admin: client.admin,
      body: (overrides) => withdrawalBody(overrides),
      create: (body, o = {}) => client.create(body, { auth: o.unauthenticated ? null : undefined, signal: o.signal }),
      created: async (body) => (await client.created(body)).id,
      getUnknown: () => client.get('0'.repeat(32)),
      balance: () => client.admin.balance(),
      waitForSuccess: (id) => client.waitForStatus(id, 'COMPLETED'),
      hungEntry: (body) => ({ reference: body.reference_id, idempotency_key: null }),
      async resolveHung(body, id) {
        expect(await client.admin.balance()).toBe(DEFAULT_PROVIDER_CONFIG.balance - 50500);
        const found = await client.list({ reference_id: String(body.reference_id) });
        expect(found.body.data.map((d) => d.id)).toEqual([id]);
        // A blind resubmission is refused, never a second withdrawal.
        const retry = await client.create(body);
        expect(retry.status).toBe(409);
        expect(retry.body.error.code).toBe('DUPLICATE_REFERENCE_ID');
        expect(await client.admin.payouts()).toHaveLength(1);
      },
      async createThree() {
        const created = [];
        for (const reference_id of ['po_a', 'po_b', 'po_c']) {
          const withdrawal = await client.created(withdrawalBody({ reference_id }));
          created.push({ id: withdrawal.id, reference: reference_id, key: null });
        }
        return created;
      },
    };
    return subject;
  },
  accepted: 200,
  unavailableBody: { error: { code: 'SERVICE_UNAVAILABLE', field: null } },
  rateLimitedBody: { error: { code: 'RATE_LIMITED' } },
  failing: () => toAccount('9876540001'),
  witness: () => ({ body: toAccount('1111111111', { amount: '100' }), cost: 10000 + 500 }),
  delays: [100, 150],
  hungBody: () => withdrawalBody({ reference_id: 'po_hung_1' }),
  firstEntry: (ids) => ({
    status: expect.stringMatching(/^(PENDING|PROCESSING|COMPLETED)$/),
    amount: 50000,
    currency: 'INR',
    created_at: expect.any(Number),
    payout: { id: ids[0], type: 'WITHDRAWAL', reference_id: 'po_a' },
  }),
  simulatorId: (sandbox) => sandbox.state.krayon.id,
};

const razorpayx: ProviderCase = {
  id: 'razorpayx',
  async start(options = {}) {
    const client = await startRazorpayX({ random: options.random, razorpayx: { config: options.config ?? {} } });
    // RazorpayX deduplicates by idempotency key, so each body keeps the key it was first sent with.
    const keys = new WeakMap<Body, string>();
    const keyOf = (body: Body) => {
      const key = keys.get(body) ?? randomUUID();
      keys.set(body, key);
      return key;
    };
    const subject: Subject = {
      sandbox: client.sandbox,
      admin: client.admin,
      body: (overrides) => razorpayxBody(overrides),
      create: (body, o = {}) =>
        client.create(body, { key: keyOf(body), auth: o.unauthenticated ? null : undefined, signal: o.signal }),
      created: async (body) => (await client.created(body, keyOf(body))).id,
      getUnknown: () => client.get('pout_00000000000000'),
      balance: () => client.admin.balance(),
      waitForSuccess: (id) => client.waitForStatus(id, 'processed'),
      hungEntry: (body) => ({ reference: body.reference_id, idempotency_key: keyOf(body) }),
      async resolveHung(body, id) {
        // A retry with the same key answers the payout that exists.
        const retry = await client.create(body, { key: keyOf(body) });
        expect(retry.status).toBe(200);
        expect(retry.body.id).toBe(id);
        expect(await client.admin.payouts()).toHaveLength(1);
      },
      async createThree() {
        const keys = [randomUUID(), randomUUID(), randomUUID()];
        const created = [];
        for (const key of keys) {
          const payout = await client.created(razorpayxBody({ reference_id: 'same-ref' }), key);
          created.push({ id: payout.id, reference: 'same-ref', key });
        }
        return created;
      },
    };
    return subject;
  },
  accepted: 200,
  unavailableBody: { error: { code: 'SERVER_ERROR' } },
  rateLimitedBody: { error: { code: 'BAD_REQUEST_ERROR' } },
  failing: () => razorpayxBody({ fund_account_id: 'fa_00000000000001' }),
  witness: () => ({ body: razorpayxBody({ amount: 50000 }), cost: 50000 + 590 }),
  delays: [100, 150],
  hungBody: () => razorpayxBody({ reference_id: 'hung-1' }),
  firstEntry: (ids) => ({ amount: 1000000, currency: 'INR', payout: { id: ids[0], entity: 'payout' } }),
  simulatorId: (sandbox) => sandbox.state.razorpayx.id,
};

const thaiGateway: ProviderCase = {
  id: 'thai-gateway',
  async start(options = {}) {
    const client = await startThaiGateway({ random: options.random, thaiGateway: { config: options.config ?? {} } });
    const subject: Subject = {
      sandbox: client.sandbox,
      admin: client.admin,
      body: (overrides) => withdrawBody(overrides),
      create: (body, o = {}) => client.create(body, { apiKey: o.unauthenticated ? null : undefined, signal: o.signal }),
      created: async (body) => (await client.created(body)).id,
      getUnknown: () => client.get('w_1'),
      balance: () => client.admin.balance(),
      waitForSuccess: (id) => client.waitForStatus(id, 'completed'),
      hungEntry: (body) => ({ reference: body.referenceId, idempotency_key: body.idempotencyKey }),
      async resolveHung(body, id) {
        // A retry with the same idempotency key answers the withdraw that exists.
        const retry = await client.create(body);
        expect(retry.status).toBe(201);
        expect(retry.body.data.id).toBe(id);
        expect(await client.admin.payouts()).toHaveLength(1);
        // A lookup by reference finds it too, which is how the engine resolves an unknown outcome.
        const found = await client.list({ referenceId: String(body.referenceId) });
        expect(found.body.data.map((w) => w.id)).toEqual([id]);
      },
      async createThree() {
        const created = [];
        for (let i = 0; i < 3; i++) {
          const body = withdrawBody();
          const withdraw = await client.created(body);
          created.push({ id: withdraw.id, reference: String(body.referenceId), key: String(body.idempotencyKey) });
        }
        return created;
      },
    };
    return subject;
  },
  accepted: 201,
  unavailableBody: { success: false, error: { code: 'SERVICE_UNAVAILABLE' } },
  rateLimitedBody: { success: false, error: { code: 'RATE_LIMITED' } },
  failing: () => withdrawBody({ customerBankAccountNumber: '9876540001' }),
  witness: () => ({ body: withdrawBody({ amount: '500.00' }), cost: 50000 }),
  delays: [100, 150],
  hungBody: () => withdrawBody({ referenceId: 'hung-1' }),
  firstEntry: (ids) => ({
    amount: 100000,
    currency: 'THB',
    created_at: expect.any(Number),
    payout: { id: ids[0], bankAccountNumber: '1234****7890' },
  }),
  simulatorId: (sandbox) => sandbox.state.thaiGateway.id,
};

describe.each([druo, krayon, razorpayx, thaiGateway].map((provider) => [provider.id, provider] as const))(
  '%s',
  (_id, provider) => {
    let subject: Subject;

    beforeAll(async () => {
      subject = await provider.start();
    });
    afterAll(() => subject.sandbox.close());
    beforeEach(async () => {
      await subject.admin.reset();
    });

    describe('fault injection', () => {
      test('a 5xx share answers 503 before anything is created, whatever the credentials', async () => {
        await subject.admin.patchConfig({ http5xxShare: 1 });
        const res = await subject.create(subject.body());
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject(provider.unavailableBody);
        expect((await subject.create(subject.body(), { unauthenticated: true })).status).toBe(503);
        expect((await subject.getUnknown()).status).toBe(503);
        expect(await subject.admin.payouts()).toHaveLength(0);
      });

      test('a 429 share answers with Retry-After and creates nothing', async () => {
        await subject.admin.patchConfig({ http429Share: 1, retryAfterSeconds: 7 });
        const res = await subject.create(subject.body());
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBe('7');
        expect(res.body).toMatchObject(provider.rateLimitedBody);
        expect(await subject.admin.payouts()).toHaveLength(0);

        await subject.admin.patchConfig({ http429Share: 0 });
        expect((await subject.create(subject.body())).status).toBe(provider.accepted);
      });

      test('timeout after commit: no answer, yet the payout exists and the provider lets the engine find it', async () => {
        await subject.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 20_000 });
        const body = provider.hungBody();
        await expect(subject.create(body, { signal: AbortSignal.timeout(300) })).rejects.toThrow();

        const payouts = await subject.admin.payouts();
        expect(payouts).toHaveLength(1);
        expect(payouts[0]).toMatchObject(subject.hungEntry(body));

        await subject.admin.patchConfig({ timeoutAfterCommitShare: 0 });
        await subject.resolveHung(body, String(payouts[0]?.id));
      });

      test('a late create: nothing exists while it waits, then it is processed though the client gave up', async () => {
        await subject.admin.patchConfig({ lateCreateShare: 1, hangMs: 3000 });
        await expect(subject.create(subject.body(), { signal: AbortSignal.timeout(100) })).rejects.toThrow();
        // The client has gone; the provider has not got to its request yet.
        expect(await subject.admin.payouts()).toHaveLength(0);
        const deadline = Date.now() + 30_000;
        while ((await subject.admin.payouts()).length === 0) {
          if (Date.now() > deadline) throw new Error('the late create was never processed');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(await subject.admin.payouts()).toHaveLength(1);
      });

      test('a held request is dropped after hangMs without an answer', async () => {
        await subject.admin.patchConfig({ timeoutAfterCommitShare: 1, hangMs: 50 });
        await expect(subject.create(subject.body())).rejects.toThrow();
        expect(await subject.admin.payouts()).toHaveLength(1);
      });

      test('latency delays the answer by at least latencyMs', async () => {
        await subject.admin.patchConfig({ latencyMs: 150 });
        const started = performance.now();
        const res = await subject.getUnknown();
        expect(res.status).toBe(404);
        expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      });

      test('a seeded random source makes fault injection repeatable', async () => {
        const statuses = async (seed: number) => {
          const seeded = await provider.start({ random: seededRandom(seed), config: { http5xxShare: 0.5 } });
          try {
            const seen: number[] = [];
            for (let i = 0; i < 12; i++) seen.push((await seeded.getUnknown()).status);
            return seen;
          } finally {
            await seeded.sandbox.close();
          }
        };
        const first = await statuses(42);
        expect(await statuses(42)).toEqual(first);
        expect(first).toContain(503);
        expect(first).toContain(404);
      });
    });

    describe('admin API', () => {
      test('config reads back patches, and reset restores the starting configuration and forgets payouts, keys and references', async () => {
        const start = (await subject.admin.config()).body;
        expect(start).toEqual({ ...DEFAULT_PROVIDER_CONFIG, progressDelayMs: 20 });

        const patched = await subject.admin.patchConfig({ latencyMs: 5, failureShare: 0.25 });
        expect(patched.status).toBe(200);
        expect(patched.body).toMatchObject({ latencyMs: 5, failureShare: 0.25, progressDelayMs: 20 });
        const used = subject.body();
        await subject.created(used);

        expect((await subject.admin.reset()).status).toBe(200);
        expect((await subject.admin.config()).body).toEqual(start);
        expect(await subject.admin.payouts()).toHaveLength(0);
        // Keys and references are forgotten too: the same body is accepted again, once.
        expect((await subject.create(used)).status).toBe(provider.accepted);
        expect(await subject.admin.payouts()).toHaveLength(1);
      });

      test('reset cancels progress scheduled before it', async () => {
        const [first, later] = provider.delays;
        await subject.admin.patchConfig({ progressDelayMs: first });
        await subject.created(provider.failing(subject));
        await subject.admin.reset();
        const before = await subject.balance();
        // Scheduled later with a longer delay: once it settles, the failure (and refund) from before
        // the reset would have run.
        await subject.admin.patchConfig({ progressDelayMs: later });
        const witness = provider.witness(subject);
        await subject.waitForSuccess(await subject.created(witness.body));
        expect(await subject.balance()).toBe(before - witness.cost);
      });

      test.each([
        [{ http5xxShare: 1.5 }],
        [{ latencyMs: -1 }],
        [{ balance: 10.5 }],
        [{ retryAfterSeconds: 'soon' }],
        [{ unknownKnob: 1 }],
        [[]],
      ])('PATCH config with %j is a 400 and changes nothing', async (patch) => {
        const before = (await subject.admin.config()).body;
        const res = await subject.admin.patchConfig(patch);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error: { code: 'invalid_request' } });
        expect((await subject.admin.config()).body).toEqual(before);
      });

      test.each([[-1], ['100'], [1.5], [undefined]])('a balance of %j is a 400', async (amount) => {
        const res = await subject.admin.setBalance(amount);
        expect(res.status).toBe(400);
      });

      test('the admin list counts every payout in creation order, with its reference and key', async () => {
        const created = await subject.createThree();
        const listed = await subject.admin.payouts();
        expect(listed.map((p) => [p.id, p.reference, p.idempotency_key])).toEqual(
          created.map((c) => [c.id, c.reference, c.key]),
        );
        expect(listed[0]).toMatchObject(provider.firstEntry(created.map((c) => c.id)));
      });

      test('the provider is listed on /healthz and mounted under its id', async () => {
        const res = await fetch(`${subject.sandbox.url}/healthz`);
        expect(((await res.json()) as { providers: string[] }).providers).toContain(provider.id);
        expect(provider.simulatorId(subject.sandbox)).toBe(provider.id);
      });
    });
  },
);

test('an unknown provider is a 404 on the admin API', async () => {
  const subject = await razorpayx.start();
  try {
    const res = await fetch(`${subject.sandbox.url}/_admin/paypal/config`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'unknown_provider' } });
  } finally {
    await subject.sandbox.close();
  }
});
