import { Writable } from 'node:stream';
import { createLogger } from '@payouts/observability';
import { waitFor } from '@payouts/testing';
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
