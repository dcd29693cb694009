import { Writable } from 'node:stream';
import { newId } from '@payouts/core';
import { payouts } from '@payouts/db';
import { createLogger } from '@payouts/observability';
import { must, waitFor } from '@payouts/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, inrPayout, OPERATOR_KEY, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Every log line of a real payout's path — API, reconciler and worker, at debug level — captured
 * and searched: no bank account number, API key or secret in any of them, and the request id in
 * the lines of all three apps.
 */
class Capture extends Writable {
  readonly lines: string[] = [];
  private partial = '';
  override _write(chunk: Buffer | string, _encoding: string, done: () => void) {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((l) => l.length > 0));
    done();
  }
  get text() {
    return `${this.lines.join('\n')}\n${this.partial}`;
  }
  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

const ACCOUNT_NUMBER = '918273645509'; // distinctive; processed normally by the sandbox
const REQUEST_ID = 'req-redaction-7f3a9c';
const WEBHOOK_SECRET = 'whsec_c2VjcmV0LWZvci1sb2ctdGVzdA';
/** The providers' credentials as the test system configures them (the sandbox's defaults). */
const PROVIDER_SECRETS = [
  'sandbox_secret',
  'sandbox_webhook_secret',
  'krayon_sandbox_token',
  'thai_sandbox_secret',
  'druo_sandbox_token',
];

let system: TestSystem;
const capture = new Capture();

beforeAll(async () => {
  // With webhooks: the sandbox's signed webhooks (which name the beneficiary) pass through the API too.
  system = await startTestSystem({ logDestination: capture, env: { LOG_LEVEL: 'debug' }, webhooks: true });
});
afterAll(async () => {
  await system?.stop();
});

describe('logs', () => {
  test('carry the request id from the API through the reconciler to the worker, and no secret', async () => {
    const tenant = await createFundedTenant(system, 'logs');
    const res = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({ beneficiary: { name: 'Meera Iyer', account_number: ACCOUNT_NUMBER, bank_code: 'HDFC0001234' } }),
      { 'idempotency-key': 'log-1', 'x-request-id': REQUEST_ID },
    );
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBe(REQUEST_ID);
    const id = res.body.id as string;
    // A request that fails validation echoes what it got in its problem, never in the logs.
    const bad = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({ amount: -1, beneficiary: { name: 'X', account_number: ACCOUNT_NUMBER, bank_code: 'HDFC0001234' } }),
      { 'idempotency-key': 'log-2' },
    );
    expect(bad.status).toBe(422);

    await waitFor(async () => (await tenant.api('GET', `/v1/payouts/${id}`)).body.status === 'processed', {
      message: 'the payout to be processed',
    });
    await waitFor(
      () =>
        capture.records().some((r) => r.app === 'worker' && r.requestId === REQUEST_ID && r.msg === 'provider call'),
      { message: "the worker's provider call logged with the request id" },
    );
    await waitFor(
      () => capture.records().some((r) => r.app === 'reconciler' && r.requestId === REQUEST_ID && r.payoutId === id),
      { message: "the reconciler's line for the payout with the request id" },
    );
    const records = capture.records();
    const apiLines = records.filter((r) => r.app === 'api' && r.requestId === REQUEST_ID);
    expect(apiLines.length).toBeGreaterThan(0);
    const workerLines = records.filter((r) => r.app === 'worker' && r.requestId === REQUEST_ID);
    expect(workerLines.some((r) => r.payoutId === id && r.operation === 'submit')).toBe(true);

    // Every line is one JSON object (parsed above); none holds a secret or the account number.
    const text = capture.text;
    expect(records.some((r) => r.app === 'api' && String(r.msg).includes('request completed'))).toBe(true);
    for (const secret of [ACCOUNT_NUMBER, tenant.key, OPERATOR_KEY, ...PROVIDER_SECRETS]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/sk_(test|live)_[A-Za-z0-9]{8,}/);
  });

  test('a database error on a request carrying a beneficiary is logged usefully, without the account number', async () => {
    // A constraint the insert breaks: Postgres refuses the row and quotes it whole in `detail`,
    // and drizzle spells the query's values out in its error's message, stack and `params`.
    await system.db.db.execute(
      sql`alter table payouts add constraint log_test_no_evil check (beneficiary->>'name' <> 'Evil Corp')`,
    );
    try {
      const tenant = await createFundedTenant(system, 'logs-db-error');
      const res = await tenant.api(
        'POST',
        '/v1/payouts',
        inrPayout({ beneficiary: { name: 'Evil Corp', account_number: ACCOUNT_NUMBER, bank_code: 'HDFC0001234' } }),
        { 'idempotency-key': 'log-db-error', 'x-request-id': 'req-db-error-5e1d' },
      );
      expect(res.status).toBe(500);
      const line = await waitFor(
        () => capture.records().find((r) => r.requestId === 'req-db-error-5e1d' && r.msg === 'unhandled error'),
        { message: 'the unhandled error to be logged' },
      );
      expect(capture.text).not.toContain(ACCOUNT_NUMBER);
      // Still worth reading: what failed, where, and why.
      const err = line.err as Record<string, unknown> & { cause: Record<string, unknown> };
      expect(err.type).toBe('DrizzleQueryError');
      expect(err.message).toMatch(/^Failed query: [\s\S]*insert into "payouts"[\s\S]*\nparams: \[redacted\]$/);
      expect(err.params).toBe('[redacted]');
      expect(err.stack).toMatch(/\n {4}at /);
      expect(err.cause).toMatchObject({
        type: 'PostgresError',
        code: '23514',
        constraint_name: 'log_test_no_evil',
        table_name: 'payouts',
      });
      // Postgres quotes the row (each value cut at 64 bytes, so here the number is cut off anyway).
      expect(err.cause.detail).toMatch(/^Failing row contains \(po_/);
    } finally {
      await system.db.db.execute(sql`alter table payouts drop constraint log_test_no_evil`);
    }
  });

  test('every error shape is redacted: driver errors, their causes, query parameters, under any key', async () => {
    const sink = new Capture();
    const logger = createLogger({ name: 'redaction', level: 'info', destination: sink });
    // A real driver error: a payout for a tenant that does not exist (a foreign key violation),
    // with the beneficiary among the query's values.
    const failed = await system.db.db
      .insert(payouts)
      .values({
        id: newId('payout'),
        tenantId: newId('tenant'),
        status: 'accepted',
        amount: 50_000n,
        currency: 'INR',
        provider: 'razorpayx',
        method: 'IMPS',
        purpose: 'payout',
        beneficiary: { name: 'Meera Iyer', account_number: ACCOUNT_NUMBER, bank_code: 'HDFC0001234' },
        providerIdempotencyKey: newId('payout'),
      })
      .then(
        () => null,
        (error: unknown) => error as Error & { cause?: Error },
      );
    expect(failed?.message).toContain(ACCOUNT_NUMBER); // the raw error does carry it
    logger.error({ err: failed }, 'insert failed');
    logger.error(must(failed, 'the insert error')); // the message taken from the error itself
    logger.warn({ error: failed, job: { name: 'x', failure: failed } }, 'under other keys');
    logger.error({ err: new Error('wrapped', { cause: failed }) }, 'a chain');
    logger.error({ err: new AggregateError([failed, new Error('second')], 'many') }, 'aggregated');
    // postgres.js in debug mode, and Postgres quoting the JSON it could not parse in `where`.
    const driver = Object.assign(new Error('invalid input syntax for type json'), {
      code: '22P02',
      parameters: ['po_1', ACCOUNT_NUMBER, { account_number: ACCOUNT_NUMBER }],
      query: 'insert into payouts (id, beneficiary) values ($1, $2)',
      where: `JSON data, line 1: {"name":"Meera","account_number":"${ACCOUNT_NUMBER}","x":"\ud800`,
      detail: `Failing row contains (po_1, {"account_number": "${ACCOUNT_NUMBER}"}).`,
    });
    logger.error({ err: driver, attempt: 1 }, 'driver');

    const text = sink.text;
    expect(text).not.toContain(ACCOUNT_NUMBER);
    const records = sink.records();
    expect(records).toHaveLength(6);
    // biome-ignore lint/suspicious/noExplicitAny: log lines under test
    const record = (i: number) => must(records[i], `log record ${i + 1}`) as Record<string, any>;
    const [first, second, third, fourth, fifth, sixth] = [
      record(0),
      record(1),
      record(2),
      record(3),
      record(4),
      record(5),
    ];
    expect(first.err).toMatchObject({ type: 'DrizzleQueryError', params: '[redacted]', cause: { code: '23503' } });
    expect(first.err.message).toMatch(/^Failed query: insert into "payouts"/);
    expect(second.msg).toMatch(/^Failed query: [\s\S]*params: \[redacted\]$/);
    expect(third.error).toMatchObject({ type: 'DrizzleQueryError', params: '[redacted]' });
    expect(third.job.failure).toMatchObject({ type: 'DrizzleQueryError', params: '[redacted]' });
    expect(fourth.err).toMatchObject({
      message: 'wrapped',
      cause: { type: 'DrizzleQueryError', cause: { code: '23503' } },
    });
    expect(fifth.err.errors).toEqual([
      expect.objectContaining({ type: 'DrizzleQueryError' }),
      expect.objectContaining({ message: 'second' }),
    ]);
    expect(sixth.err).toMatchObject({ code: '22P02', parameters: '[redacted]', query: driver.query });
    expect(sixth.err.where).toContain('"account_number":"[redacted]"');
  });

  test('structured fields and free text are both redacted', () => {
    const sink = new Capture();
    const logger = createLogger({ name: 'redaction', level: 'info', destination: sink });
    logger.info(
      {
        authorization: 'Bearer sk_live_abcdefghijklmnopqrstuvwxyz012345',
        req: { headers: { authorization: 'Basic b3BlcmF0b3I6c2VjcmV0LWtleQ==', cookie: 'session=abc' } },
        beneficiary: { account_number: '000111222333444' },
        payout: { beneficiary: { account_number: '555666777888999' } },
        config: { keySecret: 'ks-1', apiSecret: 'as-1', webhookSecret: 'ws-1', accessToken: 'at-1', apiToken: 'tk-1' },
        token: 'plain-token-value',
        err: { message: `upstream refused key sk_test_${'Q'.repeat(32)} and ${WEBHOOK_SECRET}` },
      },
      `calling with Authorization: Bearer op_${'z'.repeat(30)}`,
    );
    const text = sink.text;
    for (const secret of [
      'sk_live_abcdefghijklmnopqrstuvwxyz012345',
      'b3BlcmF0b3I6c2VjcmV0LWtleQ==',
      'session=abc',
      '000111222333444',
      '555666777888999',
      'ks-1',
      'as-1',
      'ws-1',
      'at-1',
      'tk-1',
      'plain-token-value',
      `sk_test_${'Q'.repeat(32)}`,
      WEBHOOK_SECRET,
      `op_${'z'.repeat(30)}`,
    ]) {
      expect(text).not.toContain(secret);
    }
    const [line] = sink.records();
    expect(line?.beneficiary).toEqual({ account_number: '[redacted]' });
    expect(String((line?.err as { message?: string } | undefined)?.message)).toContain('sk_[redacted]');
  });
});
