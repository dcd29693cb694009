import { randomUUID } from 'node:crypto';
import type { KrayonErrorBody } from '../../src/krayon/errors.ts';
import type { DepositStatus, KrayonDeposit } from '../../src/krayon/wire.ts';
import { type RunningSandbox, type StartSandboxOptions, startSandbox } from '../../src/server.ts';
import { AdminClient, type JsonResponse, requestJson, waitFor } from '../common/test-support.ts';

/*
 * Test helpers for the Krayon simulator: a running sandbox with fast progress and a client that
 * speaks the wire format the engine's adapter uses.
 */

export const API_TOKEN = 'krayon_test_token';
export const BEARER = `Bearer ${API_TOKEN}`;

/**
 * The page's example request, verbatim (the bare JSON copy). Not valid JSON: a trailing comma
 * follows `address_line1`, and the email is the page's Cloudflare obfuscation.
 */
export const PAGE_REQUEST_BODY = `{
"amount": "500",
"reference_id": "payout_1",
"description": "first payout for the organization",
"currency": "INR",
"customer": {
"reference_id": "krayon_1337",
"country_code": "IN",
"email": "[email protected]",
"first_name": "elon",
"last_name": "mush",
"phone": "919895270111",
"account_number": "1111111111"
},
"billing_address": {
"country_code": "IN",
"address_line1": "Address Line 1",
},
"additional_parameters":{
"bank_code":"KKBK00000000",
"bank_name": "ICICI BANK"
},
"payment_method": "IMPS",
"type": "WITHDRAWAL"
}`;

type Json = Record<string, unknown>;

/**
 * The page's example made sendable (trailing comma dropped, a real email), with a fresh
 * reference each time: references are unique, so a fixed one would collide across tests.
 */
export function withdrawalBody(overrides: Json = {}, customer: Json = {}): Json {
  const page = JSON.parse(PAGE_REQUEST_BODY.replace(/,(\s*})/g, '$1')) as Json;
  return {
    ...page,
    reference_id: `payout_${randomUUID()}`,
    ...overrides,
    // An explicit `customer` (even undefined, to leave it out) replaces the page's.
    customer:
      'customer' in overrides
        ? overrides.customer
        : { ...(page.customer as Json), email: 'elon@example.com', ...customer },
  };
}

/** A body for a given beneficiary account number (its last four characters decide the outcome). */
export function toAccount(accountNumber: string, overrides: Json = {}): Json {
  return withdrawalBody(overrides, { account_number: accountNumber });
}

export type Answer = JsonResponse<{ data: KrayonDeposit } & KrayonErrorBody>;

export class KrayonTestClient {
  readonly base: string;
  readonly admin: AdminClient;

  constructor(readonly sandbox: RunningSandbox) {
    this.base = `${sandbox.url}/krayon/main/api/v1/deposits`;
    this.admin = new AdminClient(sandbox.url, 'krayon');
  }

  create(body: unknown, options: { auth?: string | null; raw?: string; signal?: AbortSignal } = {}): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
    const auth = options.auth === undefined ? BEARER : options.auth;
    if (auth !== null) headers.Authorization = auth;
    return requestJson(this.base, {
      method: 'POST',
      headers,
      body: options.raw ?? JSON.stringify(body),
      signal: options.signal,
    });
  }

  get(id: string, auth: string = BEARER): Promise<Answer> {
    return requestJson(`${this.base}/${id}`, { headers: { Authorization: auth } });
  }

  list(query: Record<string, string> = {}): Promise<JsonResponse<{ data: KrayonDeposit[] } & KrayonErrorBody>> {
    return requestJson(`${this.base}?${new URLSearchParams(query)}`, { headers: { Authorization: BEARER } });
  }

  /** Creates a withdrawal and insists it was accepted. */
  async created(body: unknown): Promise<KrayonDeposit> {
    const res = await this.create(body);
    if (res.status !== 200) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.data;
  }

  waitForStatus(id: string, status: DepositStatus): Promise<KrayonDeposit> {
    return waitFor(
      async () => {
        const { body } = await this.get(id);
        return body.data?.status === status ? body.data : undefined;
      },
      { what: `withdrawal ${id} ${status}` },
    );
  }
}

/** Fast progress so waits stay short; every test still waits by polling, never by sleeping. */
export async function startKrayon(options: StartSandboxOptions = {}): Promise<KrayonTestClient> {
  const sandbox = await startSandbox({
    port: 0,
    host: '127.0.0.1',
    ...options,
    krayon: {
      apiToken: API_TOKEN,
      ...options.krayon,
      config: { progressDelayMs: 20, ...options.krayon?.config },
    },
  });
  return new KrayonTestClient(sandbox);
}
