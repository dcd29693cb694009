import type { DruoErrorBody } from '../../src/druo/errors.ts';
import type { DruoSimulator } from '../../src/druo/simulator.ts';
import type { DruoCurrency, DruoTransaction, PayoutStatus } from '../../src/druo/wire.ts';
import { type RunningSandbox, type StartSandboxOptions, startSandbox } from '../../src/server.ts';
import { AdminClient, type JsonResponse, requestJson, waitFor } from '../common/test-support.ts';

/*
 * Test helpers for the DRUO simulator: a running sandbox with fast progress and a client that
 * speaks the wire format the engine's adapter uses.
 */

export const ACCESS_TOKEN = 'druo_test_token';
export const TENANT_ID = 'ten_35516d40-ca41-4fa3-885c-d13d0ccdae0a';
export const BEARER = `Bearer ${ACCESS_TOKEN}`;
export const VERSION = '2021-11-22';
/** An account whose last four characters decide nothing: always processed. */
export const ACCOUNT = 'acc_b7c41206-afb4-4954-a15c-dbcd59356120';

/** The page's own curl example body (it names this tenant, so the test sandbox is configured with it). */
export function payoutBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tenant_id: TENANT_ID,
    amount: 20000,
    destination_account_id: ACCOUNT,
    currency: 'USD',
    ...overrides,
  };
}

/** A destination account ending in the given four characters (docs/sandbox.md#test-accounts). */
export function accountEnding(lastFour: string): string {
  return `acc_7985e8a4-8f38-4eab-8b27-a5d1c6db${lastFour}`;
}

export type Answer = JsonResponse<{ payout: DruoTransaction } & DruoErrorBody>;

export class DruoTestClient {
  readonly base: string;
  readonly admin: AdminClient;

  constructor(readonly sandbox: RunningSandbox) {
    this.base = `${sandbox.url}/druo`;
    this.admin = new AdminClient(sandbox.url, 'druo');
  }

  get sim(): DruoSimulator {
    return this.sandbox.state.druo;
  }

  headers(options: { auth?: string | null; version?: string | null } = {}): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const auth = options.auth === undefined ? BEARER : options.auth;
    if (auth !== null) headers.authorization = auth;
    const version = options.version === undefined ? VERSION : options.version;
    if (version !== null) headers['DRUO-Version'] = version;
    return headers;
  }

  create(
    body: unknown,
    options: { auth?: string | null; version?: string | null; raw?: string; signal?: AbortSignal } = {},
  ): Promise<Answer> {
    return requestJson(`${this.base}/payouts/create`, {
      method: 'POST',
      headers: this.headers(options),
      body: options.raw ?? JSON.stringify(body),
      signal: options.signal,
    });
  }

  get(uuid: string, options: { auth?: string | null; version?: string | null } = {}): Promise<Answer> {
    return requestJson(`${this.base}/payouts/${uuid}`, { headers: this.headers(options) });
  }

  list(query: Record<string, string>): Promise<JsonResponse<{ payouts: DruoTransaction[] } & DruoErrorBody>> {
    return requestJson(`${this.base}/payouts?${new URLSearchParams(query)}`, { headers: this.headers() });
  }

  /** Creates a transaction and insists it was answered 200 (a DECLINED one included). */
  async created(body: unknown): Promise<DruoTransaction> {
    const res = await this.create(body);
    if (res.status !== 200) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.payout;
  }

  balance(currency: DruoCurrency = 'USD'): number {
    return this.sim.balanceOf(currency);
  }

  waitForStatus(uuid: string, status: PayoutStatus): Promise<DruoTransaction> {
    return waitFor(
      async () => {
        const { body } = await this.get(uuid);
        return body.payout?.status === status ? body.payout : undefined;
      },
      { what: `payout ${uuid} ${status}` },
    );
  }
}

/** Fast progress so waits stay short; every test still waits by polling, never by sleeping. */
export async function startDruo(options: StartSandboxOptions = {}): Promise<DruoTestClient> {
  const sandbox = await startSandbox({
    port: 0,
    host: '127.0.0.1',
    ...options,
    druo: {
      accessToken: ACCESS_TOKEN,
      tenantId: TENANT_ID,
      ...options.druo,
      config: { progressDelayMs: 20, ...options.druo?.config },
    },
  });
  return new DruoTestClient(sandbox);
}
