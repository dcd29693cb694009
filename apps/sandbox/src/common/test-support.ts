import type { AdminPayoutEntry } from './provider.ts';

/*
 * Helpers for tests that talk to a running sandbox over HTTP. Not imported by the app.
 */

/** Polls until `check` returns something other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5000;
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
    return body.balance!;
  }

  setBalance(amount: unknown) {
    return this.send<{ balance: number; released: string[] }>('POST', `/${this.provider}/balance`, { amount });
  }

  async payouts(): Promise<AdminPayoutEntry[]> {
    const { body } = await this.send<{ data: AdminPayoutEntry[]; count: number }>('GET', `/${this.provider}/payouts`);
    if (body.count !== body.data.length) throw new Error('admin payout count disagrees with its data');
    return body.data;
  }

  forceStatus(id: string, status: string) {
    return this.send<Record<string, unknown>>('POST', `/${this.provider}/payouts/${id}/status`, { status });
  }
}
