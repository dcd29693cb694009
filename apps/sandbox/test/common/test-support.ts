import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { must } from '@payouts/core';
import type { AdminPayoutEntry } from '../../src/common/provider.ts';
import type { WebhookAttempt } from '../../src/common/webhooks.ts';

/*
 * Helpers for tests that talk to a running sandbox over HTTP. Not imported by the app.
 */

/**
 * Polls until `check` returns something other than undefined, or fails after `timeoutMs`. The
 * default ceiling is generous on purpose (the same as @payouts/testing's PATIENCE_MS): simulated
 * progress runs on real timers, and a machine busy with other work may take many times longer
 * than an idle one; only a real failure should reach the ceiling.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${options.what ?? 'condition'} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

export interface JsonResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export async function requestJson<T = unknown>(url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

/** The sandbox's admin API for one provider. */
export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly provider: string,
  ) {}

  private send<T>(method: string, path: string, body?: unknown): Promise<JsonResponse<T>> {
    return requestJson<T>(`${this.baseUrl}/_admin${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  reset() {
    return this.send('POST', '/reset');
  }

  config() {
    return this.send<Record<string, number>>('GET', `/${this.provider}/config`);
  }

  patchConfig(patch: unknown) {
    return this.send<Record<string, number>>('PATCH', `/${this.provider}/config`, patch);
  }

  async balance(): Promise<number> {
    const { body } = await this.config();
    return must(body.balance, 'body.balance');
  }

  setBalance(amount: unknown) {
    return this.send<{ balance: number; released: string[] }>('POST', `/${this.provider}/balance`, { amount });
  }

  async payouts(): Promise<AdminPayoutEntry[]> {
    const { body } = await this.send<{ data: AdminPayoutEntry[]; count: number }>('GET', `/${this.provider}/payouts`);
    if (body.count !== body.data.length) throw new Error('admin payout count disagrees with its data');
    return body.data;
  }

  async webhooks(): Promise<WebhookAttempt[]> {
    const { body } = await this.send<{ data: WebhookAttempt[]; count: number }>('GET', `/${this.provider}/webhooks`);
    if (body.count !== body.data.length) throw new Error('admin webhook count disagrees with its data');
    return body.data;
  }

  forceStatus(id: string, status: string) {
    return this.send<Record<string, unknown>>('POST', `/${this.provider}/payouts/${id}/status`, { status });
  }
}

export interface ReceivedWebhook {
  /** The raw body, exactly as sent: signatures are over these bytes. */
  readonly body: string;
  /** Node lower-cases header names. */
  readonly headers: IncomingHttpHeaders;
  /** What the receiver answered. */
  readonly status: number;
}

/**
 * A webhook endpoint for tests: records every POST with its raw body and headers and answers
 * what `respond` says (200 by default), so a test can make a provider retry.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  respond: (body: string, headers: IncomingHttpHeaders) => number = () => 200;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(path = '/webhooks'): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = receiver.respond(body, req.headers);
        receiver.received.push({ body, headers: req.headers, status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not now');
      });
    });
    return receiver;
  }

  clear(): void {
    this.received.length = 0;
    this.respond = () => 200;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve, reject) => this.server.close((e) => (e ? reject(e) : resolve())));
    this.server.closeAllConnections();
    await closed;
  }
}
