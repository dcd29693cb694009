import { randomUUID } from 'node:crypto';
import type { RazorpayXErrorBody } from '../../src/razorpayx/errors.ts';
import type { PayoutStatus, RazorpayXPayout } from '../../src/razorpayx/wire.ts';
import { type RunningSandbox, type StartSandboxOptions, startSandbox } from '../../src/server.ts';
import { AdminClient, type JsonResponse, requestJson, waitFor } from '../common/test-support.ts';

/*
 * Test helpers for the RazorpayX simulator: a running sandbox with fast progress and a client
 * that speaks the wire format the engine's adapter uses.
 */

export const KEY_ID = 'rzp_test_key';
export const KEY_SECRET = 'rzp_test_secret';
export const ACCOUNT_NUMBER = '7878780080316316';
export const BASIC_AUTH = `Basic ${Buffer.from(`${KEY_ID}:${KEY_SECRET}`).toString('base64')}`;

/** The page's own example request, with a fund account id that is always processed. */
export function payoutBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    account_number: ACCOUNT_NUMBER,
    fund_account_id: 'fa_00000000000042',
    amount: 1000000,
    currency: 'INR',
    mode: 'card',
    purpose: 'refund',
    queue_if_low_balance: true,
    reference_id: 'Acme Transaction ID 12345',
    narration: 'Acme Corp Fund Transfer',
    notes: { notes_key_1: 'Tea, Earl Grey, Hot', notes_key_2: 'Tea, Earl Grey… decaf.' },
    ...overrides,
  };
}

export function compositeFundAccount(accountNumber: string): Record<string, unknown> {
  return {
    account_type: 'bank_account',
    bank_account: { name: 'Gaurav Kumar', ifsc: 'HDFC0000053', account_number: accountNumber },
    contact: { name: 'Gaurav Kumar', email: 'gaurav@example.com', contact: '9876543210', type: 'vendor' },
  };
}

export type Answer = JsonResponse<RazorpayXPayout & RazorpayXErrorBody>;

export class RazorpayXTestClient {
  readonly base: string;
  readonly admin: AdminClient;

  constructor(readonly sandbox: RunningSandbox) {
    this.base = `${sandbox.url}/razorpayx`;
    this.admin = new AdminClient(sandbox.url, 'razorpayx');
  }

  create(
    body: unknown,
    options: { key?: string | null; auth?: string | null; raw?: string; signal?: AbortSignal } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const key = options.key === undefined ? randomUUID() : options.key;
    if (key !== null) headers['X-Payout-Idempotency'] = key;
    const auth = options.auth === undefined ? BASIC_AUTH : options.auth;
    if (auth !== null) headers.authorization = auth;
    return requestJson(`${this.base}/v1/payouts`, {
      method: 'POST',
      headers,
      body: options.raw ?? JSON.stringify(body),
      signal: options.signal,
    });
  }

  get(id: string): Promise<Answer> {
    return requestJson(`${this.base}/v1/payouts/${id}`, { headers: { authorization: BASIC_AUTH } });
  }

  list(
    query: Record<string, string>,
  ): Promise<JsonResponse<{ entity: string; count: number; items: RazorpayXPayout[] }>> {
    return requestJson(`${this.base}/v1/payouts?${new URLSearchParams(query)}`, {
      headers: { authorization: BASIC_AUTH },
    });
  }

  cancel(id: string): Promise<Answer> {
    return requestJson(`${this.base}/v1/payouts/${id}/cancel`, {
      method: 'POST',
      headers: { authorization: BASIC_AUTH },
    });
  }

  /** Creates a payout and insists it was accepted. */
  async created(body: unknown, key?: string): Promise<RazorpayXPayout> {
    const res = await this.create(body, { key });
    if (res.status !== 200) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  waitForStatus(id: string, status: PayoutStatus): Promise<RazorpayXPayout> {
    return waitFor(
      async () => {
        const { body } = await this.get(id);
        return body.status === status ? body : undefined;
      },
      { what: `payout ${id} ${status}` },
    );
  }
}

/** Fast progress so waits stay short; every test still waits by polling, never by sleeping. */
export async function startRazorpayX(options: StartSandboxOptions = {}): Promise<RazorpayXTestClient> {
  const sandbox = await startSandbox({
    port: 0,
    host: '127.0.0.1',
    ...options,
    razorpayx: {
      keyId: KEY_ID,
      keySecret: KEY_SECRET,
      accountNumber: ACCOUNT_NUMBER,
      ...options.razorpayx,
      config: { progressDelayMs: 20, ...options.razorpayx?.config },
    },
  });
  return new RazorpayXTestClient(sandbox);
}
