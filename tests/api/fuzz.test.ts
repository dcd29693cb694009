import { MAX_AMOUNT, WEBHOOK_EVENT_TYPES } from '@payouts/core';
import {
  apiKeys,
  approvalDecisions,
  approvalRequests,
  beneficiaries,
  beneficiaryVersions,
  idempotencyKeys,
  ledgerEntries,
  ledgerTransactions,
  operatorActions,
  payoutBatches,
  payoutEvents,
  payouts,
  tenants,
  webhookEndpoints,
  webhookEvents,
} from '@payouts/db';
import { must } from '@payouts/testing';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createBeneficiarySchema } from '../../apps/api/src/beneficiary-schemas.ts';
import { createPayoutSchema } from '../../apps/api/src/schemas.ts';
import { apiFetch, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Property-based fuzzing of every input of the public API (docs/architecture.md#guarantees, bad input): generated
 * bodies (near-valid payouts mutated field by field, arbitrary JSON, malformed text), headers
 * (Idempotency-Key, Content-Type, Content-Encoding), query strings and path ids, and JSON batches.
 * Every answer must be below 500; every 4xx must be problem+json, and a validation answer must
 * name fields that exist in the request or the schema; and nothing may be written except by the
 * requests that were answered 2xx (the reconciler and workers are stopped, so the counts move
 * only by the API's own writes).
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let batchId: string;

const TABLES = {
  payouts,
  payout_events: payoutEvents,
  payout_batches: payoutBatches,
  idempotency_keys: idempotencyKeys,
  ledger_transactions: ledgerTransactions,
  ledger_entries: ledgerEntries,
  operator_actions: operatorActions,
  webhook_events: webhookEvents,
  webhook_endpoints: webhookEndpoints,
  tenants,
  api_keys: apiKeys,
  approval_requests: approvalRequests,
  approval_decisions: approvalDecisions,
  beneficiaries,
  beneficiary_versions: beneficiaryVersions,
};
type Counts = Record<keyof typeof TABLES, number>;

async function counts(): Promise<Counts> {
  const out = {} as Counts;
  for (const [name, table] of Object.entries(TABLES)) {
    const row = must(
      (await system.db.db.select({ n: sql<number>`count(*)::int` }).from(table))[0],
      `the count of ${name}`,
    );
    out[name as keyof Counts] = row.n;
  }
  return out;
}

/** What each kind of request may write when it is answered 2xx; a 4xx may write nothing. */
const accepted = {
  payouts: 0,
  batches: 0,
  batchPayouts: 0,
  endpoints: 0,
  tenants: 0,
  keys: 0,
  beneficiaries: 0,
  /** Versions made by a PATCH that changed the account. */
  beneficiaryVersions: 0,
};

const SCHEMA_FIELDS = [...Object.keys(createPayoutSchema.shape), ...Object.keys(createBeneficiarySchema.shape)];
const HEADER_FIELDS = ['Idempotency-Key', 'Content-Type', 'Authorization'];

interface Answer {
  status: number;
  contentType: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: a response body under test
  body: any;
  /** Answered from an Idempotency-Key record: the first answer again, nothing new written. */
  replayed: boolean;
}

async function send(
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string>; key?: string } = {},
): Promise<Answer> {
  const res = await apiFetch(`${system.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${init.key ?? tenant.key}`, ...init.headers },
    body: init.body,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body,
    replayed: res.headers.get('idempotent-replayed') === 'true',
  };
}

let unique = 0;
const idemKey = () => `fuzz-${process.pid}-${++unique}`;

/** The judgement every answer gets. `sentFields`: the request's own top-level field names. */
function judge(answer: Answer, context: unknown, sentFields: string[] = []): void {
  const why = () =>
    `${answer.status} ${JSON.stringify(answer.body).slice(0, 500)} for ${JSON.stringify(context).slice(0, 500)}`;
  if (answer.status >= 500) throw new Error(`5xx: ${why()}`);
  if (answer.status < 400) return;
  if (!answer.contentType?.startsWith('application/problem+json')) throw new Error(`not problem+json: ${why()}`);
  const b = answer.body;
  if (typeof b !== 'object' || b === null || b.status !== answer.status || typeof b.code !== 'string') {
    throw new Error(`not a problem: ${why()}`);
  }
  if ([400, 413, 415, 422, 431].includes(answer.status)) {
    const fields: unknown[] = Array.isArray(b.errors) ? b.errors.map((e: { field: unknown }) => e.field) : [];
    if (fields.length === 0 || fields.some((f) => typeof f !== 'string' || f.length === 0)) {
      throw new Error(`a ${answer.status} that names no field: ${why()}`);
    }
    if (b.code === 'validation_failed') {
      const sent = sentFields.map((f) => (f === '' ? '""' : f));
      const known = new Set(['body', ...SCHEMA_FIELDS, ...sent, ...HEADER_FIELDS]);
      const stray = (fields as string[]).filter(
        (f) => !known.has(f) && !known.has(must(f.split(/[.[]/)[0], `the head of ${f}`)),
      );
      if (stray.length > 0) throw new Error(`fields not in the request: ${stray.join(', ')}: ${why()}`);
    }
  }
}

/**
 * Whether a request's JSON text holds what must be refused before any rule is judged (400): a lone
 * surrogate or NUL (JSON.stringify escapes both; a surrogate pair is written as is) or a
 * `__proto__` key. Judged on the text sent, independently of how the API finds them.
 */
function hostileJson(text: string): boolean {
  return /\\u0000|\\ud[89a-f][0-9a-f]{2}|"__proto__":/i.test(text);
}

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) is sent as the three bytes
 * UTF-8 would give it (`%ED%A0%80`): invalid UTF-8, as a hostile client can send it.
 */
function percentEncode(value: string): string {
  return value.replace(/[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g, (c) => {
    const unit = c.charCodeAt(0);
    if (c.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    }
    return encodeURIComponent(c);
  });
}

// ---- generators ---------------------------------------------------------------------------------

/** Text Postgres cannot store: lone surrogates (high, low, at either end) and NUL. */
const unstorable = fc.constantFrom(
  'Evil\ud800Corp',
  '\udc00',
  'ends high \ud83d',
  '\ude00\ud83d',
  'a\u0000b',
  '\u0000',
);

const junk: fc.Arbitrary<unknown> = fc.oneof(
  unstorable,
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 0.5, -1, 99, 1e300, Number.MAX_SAFE_INTEGER + 2, 2 ** 63),
  fc.constantFrom(MAX_AMOUNT, MAX_AMOUNT + 1, Number.MAX_SAFE_INTEGER, 2 ** 53, 2 ** 64),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\u202e', '😀', 'NaN', '-1', '1e400', '<script>', "'; drop table payouts;--"),
  fc.constantFrom('x'.repeat(300), 'é'.repeat(5000), '9'.repeat(400)),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

const PATHS = [
  'amount',
  'currency',
  'provider',
  'method',
  'purpose',
  'reference_id',
  'narration',
  'description',
  'beneficiary',
  'beneficiary.name',
  'beneficiary.account_number',
  'beneficiary.bank_code',
  'beneficiary.email',
  'beneficiary.phone',
  'beneficiary.country',
  'beneficiary.address',
  'beneficiary.address.city',
  'beneficiary.provider_account_id',
  'beneficiary_id',
  'queue_if_low_balance',
  'rail_fallback',
  'scheduled_for',
  'metadata',
  'metadata.note',
  'colour',
  'beneficiary.iban',
  '__proto__',
  'constructor',
  'metadata.__proto__',
  'metadata.constructor',
  'beneficiary.address.__proto__',
  'metadata.k\ud800',
  'beneficiary.n\u0000',
];

type Mutation = { path: string; op: 'set'; value: unknown } | { path: string; op: 'delete' };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ path: fc.constantFrom(...PATHS), op: fc.constant('set' as const), value: junk }),
  },
  { weight: 1, arbitrary: fc.record({ path: fc.constantFrom(...PATHS), op: fc.constant('delete' as const) }) },
);

/** A valid INR payout with one to three fields changed to something wrong (or removed). */
function mutated(mutations: Mutation[]): Record<string, unknown> {
  const body = structuredClone(inrPayout({ reference_id: `fz${unique}` })) as Record<string, unknown>;
  for (const m of mutations) {
    const parts = m.path.split('.');
    let target = body as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) {
      if (typeof target[p] !== 'object' || target[p] === null || Array.isArray(target[p])) target[p] = {};
      target = target[p] as Record<string, unknown>;
    }
    const last = must(parts.at(-1), `the last part of ${m.path}`);
    if (m.op === 'delete') delete target[last];
    else Object.defineProperty(target, last, { value: m.value, enumerable: true, writable: true, configurable: true });
  }
  return body;
}

async function postPayout(body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const answer = await send('POST', '/v1/payouts', {
    body,
    headers: { 'content-type': 'application/json', 'idempotency-key': idemKey(), ...headers },
  });
  if (answer.status === 202 && !answer.replayed) accepted.payouts++;
  return answer;
}

// ---- the properties -------------------------------------------------------------------------------

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'fuzz');
  const batch = await tenant.api(
    'POST',
    '/v1/payout-batches',
    { items: [inrPayout({ reference_id: 'fz-batch' })] },
    {
      'idempotency-key': 'fz-batch',
    },
  );
  expect(batch.status).toBe(202);
  batchId = batch.body.id;
  // Nothing moves but what the API itself writes.
  await system.stopProcessing();
});
afterAll(async () => {
  await system?.stop();
});

describe('fuzzing the API', () => {
  let before: Counts;
  beforeAll(async () => {
    before = await counts();
  });

  test('near-valid payouts, mutated field by field: no 5xx, problems name fields', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const body = mutated(mutations);
        const text = JSON.stringify(body);
        const answer = await postPayout(text);
        judge(answer, mutations, Object.keys(body));
        if (hostileJson(text)) expect(answer.status, text).toBe(400);
      }),
      { numRuns: 700 },
    );
  });

  test('arbitrary JSON and malformed text as a payout body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.constantFrom(
            '{"amount": 5',
            '{"__proto__": {"admin": true}, "amount": 500}',
            '{"amount": 1e999}',
            '[]',
            '""',
            '{"amount": 50000, "amount": "x"}',
            `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`,
            '\ufeff{}',
          ),
        ),
        async (text) => {
          const answer = await postPayout(text);
          let fields: string[] = [];
          try {
            const parsed = JSON.parse(text);
            if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) fields = Object.keys(parsed);
          } catch {}
          judge(answer, text, fields);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('headers: Idempotency-Key, Content-Type and Content-Encoding variants', async () => {
    const headerValue = fc.string({
      unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c === 0x7f ? 0x20 : c)),
      maxLength: 300,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          key: fc.option(fc.oneof(headerValue, fc.constantFrom('', ' ', 'a'.repeat(255), 'a'.repeat(256))), {
            nil: undefined,
          }),
          type: fc.option(
            fc.oneof(
              fc.constantFrom(
                'application/json',
                'application/json; charset=utf-8',
                'application/json; charset=latin1',
                'application/json; charset=utf-16',
                'application/json; charset=bogus',
                'APPLICATION/JSON',
                'application/merge-patch+json',
                'application/*',
                'text/plain',
                'text/csv',
                'multipart/form-data; boundary=x',
                'application/x-www-form-urlencoded',
                '',
              ),
              headerValue,
            ),
            { nil: undefined },
          ),
          encoding: fc.option(fc.constantFrom('identity', 'gzip', 'deflate', 'br', 'x-unknown'), { nil: undefined }),
          valid: fc.boolean(),
        }),
        async (h) => {
          const headers: Record<string, string> = {};
          if (h.key !== undefined) headers['idempotency-key'] = h.key;
          if (h.type !== undefined) headers['content-type'] = h.type;
          if (h.encoding !== undefined) headers['content-encoding'] = h.encoding;
          const body = JSON.stringify(h.valid ? inrPayout({ reference_id: `fh${unique}` }) : { amount: 'x' });
          const answer = await send('POST', '/v1/payouts', { body, headers });
          if (answer.status === 202 && !answer.replayed) accepted.payouts++;
          judge(answer, h, h.valid ? Object.keys(inrPayout()) : ['amount']);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('query strings and path ids of the read routes', async () => {
    const queryKey = fc.oneof(
      fc.constantFrom(
        'status',
        'provider',
        'batch_id',
        'reference_id',
        'currency',
        'method',
        'created_from',
        'created_to',
        'updated_from',
        'updated_to',
        'amount_min',
        'amount_max',
        'limit',
        'cursor',
        'after_row',
        'older_than',
        'state',
        'reason',
        'target',
        'limit[]',
        'status[x]',
      ),
      fc.string({ maxLength: 10 }),
    );
    const queryValue = fc.oneof(
      junk.map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))),
      fc.constantFrom(
        'processed',
        'razorpayx',
        '0',
        '500',
        '501',
        '-1',
        '1.5',
        'bm90LWFuLWlk',
        'cG9fMDFKREE4WjZCOVk0WDNXMlYxVDBTOVI4UTc',
        'failed,processed',
        'processed,,failed',
        'INR',
        'IMPS',
        '2026-03-01T00:00:00Z',
        '2026-03-01T00:00:00+05:30',
        '2026-03-01',
        '9999-99-99T99:99:99Z',
        '1000000000000000',
        '1000000000000001',
        '99999999999999999999',
      ),
    );
    const raw = fc.constantFrom('%', '%zz', '%E0%A4%A', '&&&', '=', '==x', '?', '#frag', '%00', '+');
    const route = fc.constantFrom(
      { path: '/v1/payouts', operator: false },
      { path: '/v1/payouts/export.csv', operator: false },
      { path: '/v1/settings', operator: false },
      { path: '/v1/balances', operator: false },
      { path: `/v1/payout-batches/{batch}/payouts`, operator: false },
      { path: `/v1/payout-batches/{batch}`, operator: false },
      { path: '/v1/admin/dead-letters', operator: true },
      { path: '/v1/admin/operator-actions', operator: true },
    );
    await fc.assert(
      fc.asyncProperty(
        route,
        fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 }),
        fc.option(raw, { nil: undefined }),
        async (r, pairs, extra) => {
          const qs = pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
          const path = `${r.path.replace('{batch}', batchId)}?${qs}${extra ?? ''}`;
          judge(await send('GET', path, { key: r.operator ? system.operatorKey : tenant.key }), path, [
            ...pairs.map(([k]) => k),
          ]);
        },
      ),
      { numRuns: 400 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/v1/payouts/',
          '/v1/payouts/{}/events',
          '/v1/payout-batches/',
          '/v1/payout-batches/{}/results.csv',
        ),
        fc.oneof(
          fc.string({ maxLength: 40 }).map(encodeURIComponent),
          raw,
          fc.constantFrom('po_', 'po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7', '..', '%2e%2e'),
        ),
        async (template, id) => {
          const path = template.includes('{}') ? template.replace('{}', id) : `${template}${id}`;
          judge(await send('GET', path), path);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('JSON batches: mutated items and junk options', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(mutation, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 4 }),
        fc.option(junk, { nil: undefined }),
        fc.option(fc.oneof(junk, fc.constantFrom('all_or_nothing', 'accept_valid')), { nil: undefined }),
        fc.option(fc.dictionary(fc.string({ maxLength: 6 }), junk, { maxKeys: 2 }), { nil: undefined }),
        async (items, onInsufficient, mode, extra) => {
          const body: Record<string, unknown> = { ...extra, items: items.map((m) => mutated(m)) };
          if (mode !== undefined) body.mode = mode;
          if (onInsufficient !== undefined) body.on_insufficient_funds = onInsufficient;
          const text = JSON.stringify(body);
          const answer = await send('POST', '/v1/payout-batches', {
            body: text,
            headers: { 'content-type': 'application/json', 'idempotency-key': idemKey() },
          });
          if (answer.status === 202 && !answer.replayed) {
            accepted.batches++;
            accepted.batchPayouts += answer.body.rows.accepted;
          }
          judge(answer, body, ['items', 'rows', 'mode', 'on_insufficient_funds', 'currency', ...Object.keys(body)]);
          if (hostileJson(text)) expect(answer.status, text).toBe(400);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('scheduled_for: generated times, zones and texts, on payouts and on JSON and CSV runs', async () => {
    const DAY = 24 * 3600_000;
    const MARGIN = 60_000; // around "now" and "90 days", where the clock moves between here and the API (a busy machine: a minute)
    const zones = { Z: 0, '+05:30': 5.5 * 3600_000, '-03:00': -3 * 3600_000 } as const;
    const at = (ms: number, zone: keyof typeof zones) =>
      new Date(ms + zones[zone]).toISOString().replace('Z', zone === 'Z' ? 'Z' : zone);
    const when = fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: -10 * DAY, max: 100 * DAY }).map((ms) => ({ ms })) },
      { weight: 1, arbitrary: junk.map((value) => ({ value })) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(
            '2030-02-30T00:00:00Z',
            '2030-01-01T00:00:00',
            '2030-01-01',
            '2030-01-01T24:00:00Z',
            '2030-01-01T00:00:00+25:00',
            'tomorrow',
            '',
            ' ',
          )
          .map((value) => ({ value })),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        when,
        fc.constantFrom(...(Object.keys(zones) as (keyof typeof zones)[])),
        fc.constantFrom('payout', 'json_run', 'csv_run'),
        async (w, zone, target) => {
          const value = 'ms' in w ? at(Date.now() + w.ms, zone) : w.value;
          // true: must be accepted; false: must be refused naming scheduled_for; null: either (near a limit).
          const valid =
            'ms' in w
              ? w.ms > MARGIN && w.ms < 90 * DAY - MARGIN
                ? true
                : w.ms < -MARGIN || w.ms > 90 * DAY + MARGIN
                  ? false
                  : null
              : false;
          let answer: Answer;
          let text = '';
          if (target === 'payout') {
            text = JSON.stringify(inrPayout({ reference_id: `fz-s${unique}-${idemKey()}`, scheduled_for: value }));
            answer = await postPayout(text);
          } else if (target === 'json_run') {
            text = JSON.stringify({ items: [inrPayout({ amount: 1000 })], scheduled_for: value });
            answer = await send('POST', '/v1/payout-batches', {
              body: text,
              headers: { 'content-type': 'application/json', 'idempotency-key': idemKey() },
            });
          } else {
            const query = typeof value === 'string' ? value : JSON.stringify(value ?? null);
            answer = await send('POST', `/v1/payout-batches?scheduled_for=${percentEncode(query)}`, {
              body: 'amount,currency,method,purpose,beneficiary_name,beneficiary_account_number,beneficiary_bank_code\n1000,INR,IMPS,salary,Asha Rao,123456789012,HDFC0001234\n',
              headers: { 'content-type': 'text/csv', 'idempotency-key': idemKey() },
            });
            text = query;
          }
          if (target !== 'payout' && answer.status === 202 && !answer.replayed) {
            accepted.batches++;
            accepted.batchPayouts += answer.body.rows.accepted;
          }
          judge(answer, { target, value }, ['scheduled_for', 'items']);
          if (target !== 'csv_run' && hostileJson(text)) {
            expect(answer.status, text).toBe(400);
            return;
          }
          if (valid === true) {
            expect(answer.status, `${target} ${text}`).toBe(202);
            expect(answer.body.status).toBe('scheduled');
            expect(answer.body.scheduled_for).toBe(new Date(value as string).toISOString());
          } else if (valid === false && answer.status === 431) {
            // A query string longer than the server reads in a request head (16 KB) is refused with
            // 431 before any route sees it: only a CSV run carries scheduled_for in its URL.
            expect(target).toBe('csv_run');
            expect(percentEncode(text).length).toBeGreaterThan(8_000);
          } else if (valid === false && answer.status !== 400) {
            expect(answer.status, `${target} ${text}`).toBe(422);
            expect(answer.body.errors.map((e: { field: string }) => e.field)).toEqual(['scheduled_for']);
          } else if (valid === false) {
            // 400: a query string Postgres could not store (NUL, a lone surrogate), refused before any rule.
            expect(target).toBe('csv_run');
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  test('webhook endpoints: generated create and update bodies', async () => {
    const url = fc.oneof(
      junk,
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.constantFrom(
        'http://example.com/hook', // http is for localhost only
        'https://user:pass@example.com/hook',
        'javascript:alert(1)',
        'ftp://example.com/x',
        'https://10.0.0.1/hook',
        'https://[::1]/hook',
        'https://example.com/\u0000',
        `https://example.com/${'a'.repeat(5000)}`,
        'https://hooks.example.com/payouts',
      ),
    );
    const events = fc.oneof(junk, fc.array(fc.oneof(fc.constantFrom(...WEBHOOK_EVENT_TYPES), junk), { maxLength: 4 }));
    const body = fc.record(
      {
        url,
        description: fc.oneof(junk, fc.string({ maxLength: 300 })),
        enabled_events: events,
        disabled: junk,
        extra: junk,
      },
      { requiredKeys: [] },
    );
    const created = await send('POST', '/v1/webhook-endpoints', {
      body: JSON.stringify({ url: 'https://hooks.example.com/fuzz' }),
      headers: { 'content-type': 'application/json', 'idempotency-key': idemKey() },
    });
    expect(created.status).toBe(201);
    accepted.endpoints++;
    const fields = ['url', 'description', 'enabled_events', 'disabled', 'expires_in_seconds'];
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (b, create) => {
        const answer = create
          ? await send('POST', '/v1/webhook-endpoints', {
              body: JSON.stringify(b),
              headers: { 'content-type': 'application/json', 'idempotency-key': idemKey() },
            })
          : await send('PATCH', `/v1/webhook-endpoints/${created.body.id}`, {
              body: JSON.stringify(b),
              headers: { 'content-type': 'application/json' },
            });
        if (create && answer.status === 201) accepted.endpoints++;
        judge(answer, b, [...fields, ...Object.keys(b)]);
      }),
      // Few creates succeed (a tenant has at most 20 endpoints; then 409, also judged).
      { numRuns: 300 },
    );
  });

  test('saved beneficiaries: generated create and update bodies', async () => {
    const valid = () => ({
      type: 'employee',
      name: 'Asha Rao',
      email: 'asha@example.com',
      bank_account: { account_number: '123456789012', bank_code: 'HDFC0001234' },
      reference_id: `fz-ben-${unique}`,
    });
    const paths = [
      'type',
      'name',
      'first_name',
      'email',
      'phone',
      'country',
      'address',
      'address.line1',
      'bank_account',
      'bank_account.account_number',
      'bank_account.bank_code',
      'bank_account.iban',
      'upi_address',
      'provider_accounts',
      'provider_accounts.druo',
      'provider_accounts.paypal',
      'reference_id',
      'metadata',
      'metadata.k',
      'colour',
      '__proto__',
    ];
    const change = fc.record({ path: fc.constantFrom(...paths), value: fc.option(junk, { nil: undefined }) });
    const apply = (base: Record<string, unknown>, changes: { path: string; value: unknown }[]) => {
      const body = structuredClone(base);
      for (const c of changes) {
        const parts = c.path.split('.');
        let target = body;
        for (const p of parts.slice(0, -1)) {
          if (typeof target[p] !== 'object' || target[p] === null || Array.isArray(target[p])) target[p] = {};
          target = target[p] as Record<string, unknown>;
        }
        const last = must(parts.at(-1), `the last part of ${c.path}`);
        if (c.value === undefined) delete target[last];
        else
          Object.defineProperty(target, last, { value: c.value, enumerable: true, writable: true, configurable: true });
      }
      return body;
    };
    const created = await send('POST', '/v1/beneficiaries', {
      body: JSON.stringify(valid()),
      headers: { 'content-type': 'application/json', 'idempotency-key': idemKey() },
    });
    expect(created.status).toBe(201);
    accepted.beneficiaries++;
    let version = created.body.version as number;
    await fc.assert(
      fc.asyncProperty(fc.array(change, { minLength: 1, maxLength: 3 }), fc.boolean(), async (changes, create) => {
        const body = apply(create ? valid() : {}, changes);
        const text = JSON.stringify(body);
        const answer = create
          ? await send('POST', '/v1/beneficiaries', {
              body: text,
              headers: { 'content-type': 'application/json', 'idempotency-key': idemKey() },
            })
          : await send('PATCH', `/v1/beneficiaries/${created.body.id}`, {
              body: text,
              headers: { 'content-type': 'application/json' },
            });
        if (create && answer.status === 201 && !answer.replayed) accepted.beneficiaries++;
        if (!create && answer.status === 200 && answer.body.version !== version) {
          accepted.beneficiaryVersions++;
          version = answer.body.version;
        }
        judge(answer, body, Object.keys(body));
        if (hostileJson(text)) expect(answer.status, text).toBe(400);
      }),
      { numRuns: 300 },
    );
    // A payout naming a saved beneficiary: both, neither, unknown or junk ids are 4xx naming a field.
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(junk, fc.constant(created.body.id), fc.constant('ben_01JDA8Z6B9Y4X3W2V1T0S9R8Q7')),
        fc.boolean(),
        async (id, inline) => {
          const body: Record<string, unknown> = {
            ...inrPayout({ reference_id: `fz-bid-${unique}` }),
            beneficiary_id: id,
          };
          if (!inline) delete body.beneficiary;
          const answer = await postPayout(JSON.stringify(body));
          judge(answer, body, Object.keys(body));
          if (inline) expect(answer.status).toBeGreaterThanOrEqual(400);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('settings: generated bodies', async () => {
    const body = fc.oneof(
      junk,
      fc.record(
        {
          duplicate_reference_guard: fc.oneof(junk, fc.boolean()),
          beneficiary_cooling_off_hours: fc.oneof(junk, fc.integer({ min: -5, max: 800 })),
          payout_purposes: fc.oneof(junk, fc.array(fc.oneof(fc.string({ maxLength: 70 }), junk), { maxLength: 3 })),
          rail_fallback: fc.oneof(junk, fc.boolean()),
          extra: junk,
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const answer = await send('PATCH', '/v1/settings', {
          body: JSON.stringify(b),
          headers: { 'content-type': 'application/json' },
        });
        const sent = typeof b === 'object' && b !== null && !Array.isArray(b) ? Object.keys(b) : [];
        judge(answer, b, [
          'duplicate_reference_guard',
          'beneficiary_cooling_off_hours',
          'payout_purposes',
          'rail_fallback',
          ...sent,
        ]);
      }),
      { numRuns: 150 },
    );
    // Whatever the run left it at, the guard is on again for the tests after this one.
    const on = await send('PATCH', '/v1/settings', {
      body: JSON.stringify({
        duplicate_reference_guard: true,
        beneficiary_cooling_off_hours: 0,
        payout_purposes: [],
        rail_fallback: false,
      }),
      headers: { 'content-type': 'application/json' },
    });
    expect(on.body).toEqual({
      object: 'settings',
      duplicate_reference_guard: true,
      beneficiary_cooling_off_hours: 0,
      payout_purposes: [],
      rail_fallback: false,
    });
  });

  test('approvals: generated policies and rejection bodies', async () => {
    const rule = fc.record(
      {
        kind: fc.oneof(junk, fc.constantFrom('payout', 'batch')),
        min_amount: fc.oneof(
          junk,
          fc.dictionary(
            fc.oneof(fc.constantFrom('INR', 'THB', 'USD', 'COP'), fc.string()),
            fc.oneof(junk, fc.integer()),
          ),
        ),
        approvals_required: fc.oneof(junk, fc.constantFrom(0, 1, 2, 3)),
        extra: junk,
      },
      { requiredKeys: [] },
    );
    const policy = fc.oneof(
      junk,
      fc.record(
        {
          rules: fc.oneof(junk, fc.array(rule, { maxLength: 3 })),
          expires_after_hours: fc.oneof(junk, fc.integer({ min: -5, max: 3000 }), fc.double()),
          extra: junk,
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(policy, async (b) => {
        const answer = await send('PUT', '/v1/approval-policy', {
          body: JSON.stringify(b),
          headers: { 'content-type': 'application/json' },
        });
        const sent = typeof b === 'object' && b !== null && !Array.isArray(b) ? Object.keys(b) : [];
        judge(answer, b, ['rules', 'expires_after_hours', ...sent]);
      }),
      { numRuns: 200 },
    );
    // Whatever the run left, no policy for the tests after this one.
    expect(
      (
        await send('PUT', '/v1/approval-policy', {
          body: JSON.stringify({ rules: [] }),
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(200);

    const reason = fc.oneof(
      junk,
      fc.record({ reason: fc.oneof(junk, fc.string({ maxLength: 600 })), extra: junk }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(
        reason,
        fc.constantFrom('payouts/po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7', `payout-batches/${batchId}`),
        async (b, subject) => {
          const answer = await send('POST', `/v1/${subject}/reject`, {
            body: JSON.stringify(b),
            headers: { 'content-type': 'application/json' },
          });
          const sent = typeof b === 'object' && b !== null && !Array.isArray(b) ? Object.keys(b) : [];
          judge(answer, b, ['reason', ...sent]);
          expect(answer.status, JSON.stringify(b)).not.toBe(200);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('amounts around the limit (10^15 minor units): payouts, JSON and CSV batch rows, fundings', async () => {
    // Over the limit is always a 4xx naming amount; at or under it a payout is accepted. No
    // amount may be a 5xx, or leave a balance or a total that JSON cannot carry exactly.
    const near = fc.oneof(
      fc.bigInt({ min: BigInt(MAX_AMOUNT) - 3n, max: BigInt(MAX_AMOUNT) + 3n }),
      fc.bigInt({ min: BigInt(MAX_AMOUNT), max: 2n ** 70n }),
      fc.constantFrom(BigInt(Number.MAX_SAFE_INTEGER), 2n ** 53n, 2n ** 63n - 1n, 2n ** 64n, 10n ** 400n),
    );
    const over = (a: bigint) => a > BigInt(MAX_AMOUNT);
    const names = (answer: Answer) => (answer.body.errors ?? []).map((e: { field: string }) => e.field);
    await fc.assert(
      fc.asyncProperty(near, fc.constantFrom('payout', 'json-batch', 'csv-batch', 'funding'), async (amount, where) => {
        // The amount as a client writes it: JSON text of any length, not a rounded double.
        const digits = amount.toString();
        if (where === 'payout') {
          // NEFT has no rail limit (IMPS stops at ₹5,00,000): only the engine's own limit applies.
          const body = JSON.stringify(inrPayout({ reference_id: `fa${unique}`, method: 'NEFT', amount: 0 })).replace(
            '"amount":0',
            `"amount":${digits}`,
          );
          const answer = await postPayout(body);
          judge(answer, digits, Object.keys(inrPayout()));
          if (over(amount)) expect(names(answer)).toEqual(['amount']);
          else expect(answer.status).toBe(202);
        } else if (where === 'json-batch') {
          const reference = `fb${unique}`;
          const item = JSON.stringify(inrPayout({ reference_id: reference, method: 'NEFT', amount: 0 })).replace(
            '"amount":0',
            `"amount":${digits}`,
          );
          const answer = await send('POST', '/v1/payout-batches', {
            body: `{"items":[${item}],"on_insufficient_funds":"queue"}`,
            headers: { 'content-type': 'application/json', 'idempotency-key': idemKey() },
          });
          if (answer.status === 202 && !answer.replayed) {
            accepted.batches++;
            accepted.batchPayouts += answer.body.rows.accepted;
          }
          judge(answer, digits, ['items', 'rows', 'currency']);
          if (over(amount))
            expect(answer.body.row_errors).toEqual([
              { row: 1, field: 'amount', message: expect.any(String), reference_id: reference },
            ]);
          else expect(answer.status).toBe(202);
        } else if (where === 'csv-batch') {
          const reference = `fc${unique}`;
          const csv = `amount,currency,method,purpose,reference_id,beneficiary_name,beneficiary_account_number,beneficiary_bank_code\n${digits},INR,NEFT,refund,${reference},Asha Rao,123456789012,HDFC0001234\n`;
          const answer = await send('POST', '/v1/payout-batches?on_insufficient_funds=queue', {
            body: csv,
            headers: { 'content-type': 'text/csv', 'idempotency-key': idemKey() },
          });
          if (answer.status === 202 && !answer.replayed) {
            accepted.batches++;
            accepted.batchPayouts += answer.body.rows.accepted;
          }
          judge(answer, digits, ['rows', 'currency']);
          if (over(amount))
            expect(answer.body.row_errors).toEqual([
              { row: 1, field: 'amount', message: expect.any(String), reference_id: reference },
            ]);
          else expect(answer.status).toBe(202);
        } else if (over(amount)) {
          // Fundings under the limit would wait for the (stopped) reconciler; over it, none is queued.
          const answer = await send('POST', `/v1/admin/tenants/${tenant.id}/fundings`, {
            key: system.operatorKey,
            body: `{"currency":"INR","amount":${digits},"reference":"fuzz-${unique}"}`,
            headers: { 'content-type': 'application/json' },
          });
          judge(answer, digits, ['currency', 'amount', 'reference']);
          expect(names(answer)).toEqual(['amount']);
        }
      }),
      { numRuns: 120 },
    );
  });

  test('operator bodies: tenant names and keys with lone surrogates, NUL and __proto__', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(junk, fc.string({ maxLength: 40 }), unstorable),
        fc.option(fc.constantFrom('__proto__', 'constructor', 'n\ud800', 'n\u0000', '', 'colour'), { nil: undefined }),
        junk,
        async (name, key, value) => {
          const body: Record<string, unknown> = { name };
          if (key !== undefined) {
            Object.defineProperty(body, key, { value, enumerable: true, writable: true, configurable: true });
          }
          const text = JSON.stringify(body);
          const answer = await send('POST', '/v1/admin/tenants', {
            key: system.operatorKey,
            body: text,
            headers: { 'content-type': 'application/json', 'idempotency-key': idemKey() },
          });
          if (answer.status === 201 && !answer.replayed) accepted.tenants++;
          judge(answer, body, Object.keys(body));
          if (hostileJson(text)) expect(answer.status, text).toBe(400);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('operator bodies: issuing an API key with generated modes, roles and labels', async () => {
    const body = fc.record(
      {
        mode: fc.oneof(junk, fc.constantFrom('test', 'live')),
        role: fc.oneof(junk, fc.constantFrom('admin', 'maker', 'approver', 'viewer', 'operator', 'tenant', 'Admin')),
        label: fc.oneof(junk, unstorable, fc.string({ maxLength: 120 })),
        extra: junk,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const text = JSON.stringify(b);
        const answer = await send('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, {
          key: system.operatorKey,
          body: text,
          headers: { 'content-type': 'application/json' },
        });
        if (answer.status === 201) accepted.keys++;
        judge(answer, b, [...Object.keys(b), 'mode', 'role', 'label']);
        if (hostileJson(text)) expect(answer.status, text).toBe(400);
        if (answer.status === 201) expect(['admin', 'maker', 'approver', 'viewer']).toContain(answer.body.role);
      }),
      { numRuns: 200 },
    );
  });

  test('what fuzzing found, pinned: NUL characters, empty keys, over-long URLs', async () => {
    // Each was a 500 (Postgres refuses U+0000 in text and jsonb) or a problem naming no field.
    const nulName = mutated([{ path: 'beneficiary.name', op: 'set', value: 'A\u0000' }]);
    judge(await postPayout(JSON.stringify(nulName)), 'NUL in a name', Object.keys(nulName));
    const nulMeta = mutated([{ path: 'metadata', op: 'set', value: { 'k\u0000': 'v' } }]);
    judge(await postPayout(JSON.stringify(nulMeta)), 'NUL in a metadata key', Object.keys(nulMeta));
    const emptyKey = await postPayout('{"":1}');
    judge(emptyKey, 'an empty key', ['']);
    expect(emptyKey.body.errors.map((e: { field: string }) => e.field)).toContain('""');
    for (const path of [
      '/v1/payouts?reference_id=%00',
      `/v1/payout-batches/${batchId}/payouts?status=%00`,
      '/v1/admin/operator-actions?target=%00',
      '/v1/admin/dead-letters?reason=a%00',
      `/v1/payouts?status=${'x'.repeat(20_000)}`,
    ]) {
      const answer = await send('GET', path, { key: path.startsWith('/v1/admin') ? system.operatorKey : tenant.key });
      judge(answer, path);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
    }
    const replays = await send('POST', '/v1/admin/replays', {
      key: system.operatorKey,
      body: JSON.stringify({ dry_run: true, filters: { reason: '\u0000' } }),
      headers: { 'content-type': 'application/json' },
    });
    judge(replays, 'NUL in a replay filter', ['filters', 'dry_run']);
    expect(replays.status).toBe(400);
    expect(replays.body.errors.map((e: { field: string }) => e.field)).toEqual(['filters.reason']);
  });

  test('nothing was written but what the 2xx answers created', async () => {
    const after = await counts();
    const created = accepted.payouts + accepted.batchPayouts;
    expect(after).toEqual({
      ...before,
      payouts: before.payouts + created,
      payout_events: before.payout_events + created,
      payout_batches: before.payout_batches + accepted.batches,
      idempotency_keys:
        before.idempotency_keys +
        accepted.payouts +
        accepted.batches +
        accepted.endpoints +
        accepted.tenants +
        accepted.beneficiaries,
      beneficiaries: before.beneficiaries + accepted.beneficiaries,
      beneficiary_versions: before.beneficiary_versions + accepted.beneficiaries + accepted.beneficiaryVersions,
      webhook_endpoints: before.webhook_endpoints + accepted.endpoints,
      // A tenant and its audit entry are written together (with its idempotency record), or neither.
      tenants: before.tenants + accepted.tenants,
      // A key and its audit entry are written together, or neither.
      api_keys: before.api_keys + accepted.keys,
      operator_actions: before.operator_actions + accepted.tenants + accepted.keys,
    });
  });
});
