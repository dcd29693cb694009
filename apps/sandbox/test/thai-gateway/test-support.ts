import { createHmac, randomUUID } from 'node:crypto';
import { type RunningSandbox, type StartSandboxOptions, startSandbox } from '../../src/server.ts';
import type { ThaiGatewayErrorBody } from '../../src/thai-gateway/errors.ts';
import type { ThaiGatewayWithdraw, WithdrawStatus } from '../../src/thai-gateway/wire.ts';
import { AdminClient, type JsonResponse, requestJson, waitFor } from '../common/test-support.ts';

/*
 * Test helpers for the Thai gateway simulator: a running sandbox with fast progress and a client
 * that signs requests the way the page's example (and the engine's adapter) does.
 */

export const API_KEY = 'thai_test_key';
export const API_SECRET = 'thai_test_secret';

/** `sha256=<hex HMAC-SHA256(secret, "${timestamp}.${body}")>`, the page's example flow. */
export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * The page's example request, with a fresh referenceId and idempotencyKey per call (the page uses
 * `Date.now()` for both) and an account number that is always completed.
 */
export function withdrawBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const unique = randomUUID();
  return {
    amount: '1000.00',
    currency: 'THB',
    referenceId: `payout-${unique}`,
    destinationType: 'bank_account',
    customerBankAccountName: 'John Doe',
    customerBankAccountNumber: '1234567890',
    customerBankCode: '004',
    description: 'Payout for order #12345',
    metadata: { order_id: '12345' },
    idempotencyKey: `payout-12345-${unique}`,
    ...overrides,
  };
}

/** Either shape, so a test can read whichever the status says it got. */
export type Answer = JsonResponse<{
  success: boolean;
  data: ThaiGatewayWithdraw;
  error: ThaiGatewayErrorBody['error'];
}>;

export interface SignOptions {
  /** null leaves the header out. */
  apiKey?: string | null;
  secret?: string;
  /** Default: the client's clock. null leaves the header out. */
  timestamp?: string | null;
  /** Overrides the computed signature; null leaves the header out. */
  signature?: string | null;
}

export class ThaiGatewayTestClient {
  readonly base: string;
  readonly admin: AdminClient;

  constructor(
    readonly sandbox: RunningSandbox,
    /** The clock the sandbox runs on, so signatures fall inside its window. */
    readonly now: () => number = Date.now,
  ) {
    this.base = `${sandbox.url}/thai-gateway`;
    this.admin = new AdminClient(sandbox.url, 'thai-gateway');
  }

  headers(body: string, options: SignOptions = {}): Record<string, string> {
    const timestamp = options.timestamp === undefined ? String(this.now()) : options.timestamp;
    const headers: Record<string, string> = {};
    const apiKey = options.apiKey === undefined ? API_KEY : options.apiKey;
    if (apiKey !== null) headers['X-API-Key'] = apiKey;
    if (timestamp !== null) headers['X-Timestamp'] = timestamp;
    const signature =
      options.signature === undefined ? sign(options.secret ?? API_SECRET, timestamp ?? '', body) : options.signature;
    if (signature !== null) headers['X-Signature'] = signature;
    return headers;
  }

  /** Signs and sends `raw` when given (exact bytes), else `JSON.stringify(body)`. */
  create(body: unknown, options: SignOptions & { raw?: string; signal?: AbortSignal } = {}): Promise<Answer> {
    const text = options.raw ?? JSON.stringify(body);
    return requestJson(`${this.base}/api/v1/withdraws`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...this.headers(text, options) },
      body: text,
      signal: options.signal,
    });
  }

  get(id: string, options: SignOptions = {}): Promise<Answer> {
    return requestJson(`${this.base}/api/v1/withdraws/${id}`, { headers: this.headers('', options) });
  }

  list(query: Record<string, string>): Promise<JsonResponse<{ success: true; data: ThaiGatewayWithdraw[] }>> {
    return requestJson(`${this.base}/api/v1/withdraws?${new URLSearchParams(query)}`, { headers: this.headers('') });
  }

  /** Creates a withdraw and insists it was accepted. */
  async created(body: Record<string, unknown> = withdrawBody()): Promise<ThaiGatewayWithdraw> {
    const res = await this.create(body);
    if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.data;
  }

  waitForStatus(id: string, status: WithdrawStatus): Promise<ThaiGatewayWithdraw> {
    return waitFor(
      async () => {
        const { body } = await this.get(id);
        return body.data?.status === status ? body.data : undefined;
      },
      { what: `withdraw ${id} ${status}` },
    );
  }
}

/** Fast progress so waits stay short; every test still waits by polling, never by sleeping. */
export async function startThaiGateway(options: StartSandboxOptions = {}): Promise<ThaiGatewayTestClient> {
  const sandbox = await startSandbox({
    port: 0,
    host: '127.0.0.1',
    ...options,
    thaiGateway: {
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      ...options.thaiGateway,
      config: { progressDelayMs: 20, ...options.thaiGateway?.config },
    },
  });
  return new ThaiGatewayTestClient(sandbox, options.now);
}
