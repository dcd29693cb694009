import type { z } from 'zod';
import type { HttpClient } from '../contract/index.ts';
import type { RequestContext } from '../kit/index.ts';
import { readAnswer } from './errors.ts';
import { signedHeaders } from './signing.ts';
import {
  type CreateWithdrawRequest,
  type ThaiGatewayWithdraw,
  withdrawListResponseSchema,
  withdrawResponseSchema,
} from './wire.ts';

/**
 * One method per gateway endpoint, no mapping: wire in, parsed wire out, or a ProviderError. Every
 * request is HMAC-signed over the exact body string it sends (signing.ts).
 */
export interface ThaiGatewayClient {
  /** `POST /api/v1/withdraws` (documented); the body carries the idempotency key. */
  createWithdraw(body: CreateWithdrawRequest): Promise<ThaiGatewayWithdraw>;
  /** `GET /api/v1/withdraws/{id}` (assumed). */
  getWithdraw(withdrawId: string): Promise<ThaiGatewayWithdraw>;
  /** `GET /api/v1/withdraws?referenceId=…` (assumed). */
  listWithdraws(query: { referenceId: string }): Promise<ThaiGatewayWithdraw[]>;
}

export interface ThaiGatewayClientOptions {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  http: HttpClient;
  /** Milliseconds since the epoch, for `X-Timestamp`. */
  now: () => number;
}

interface Call {
  method: 'GET' | 'POST';
  url: string;
  /** The exact text to send and sign; absent for a GET, which signs an empty body. */
  body?: string;
  lookup: boolean;
}

export function createThaiGatewayClient(options: ThaiGatewayClientOptions): ThaiGatewayClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  async function call<S extends z.ZodType>(req: Call, schema: S): Promise<z.infer<S>> {
    const ctx: RequestContext = { method: req.method, lookup: req.lookup };
    const auth = signedHeaders({
      apiKey: options.apiKey,
      apiSecret: options.apiSecret,
      now: options.now,
      body: req.body ?? '',
    });
    // Transport failures arrive already classified (unavailable / outcome_unknown) by the HttpClient.
    const res = await options.http.request({
      method: req.method,
      url: req.url,
      headers: {
        Accept: 'application/json',
        ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...auth,
      },
      ...(req.body !== undefined ? { body: req.body } : {}),
    });
    return readAnswer(res, ctx, schema);
  }

  return {
    async createWithdraw(body) {
      // Serialised once: these bytes are both signed and sent.
      const text = JSON.stringify(body);
      const res = await call(
        { method: 'POST', url: `${baseUrl}/api/v1/withdraws`, body: text, lookup: false },
        withdrawResponseSchema,
      );
      return res.data;
    },
    async getWithdraw(withdrawId) {
      const url = `${baseUrl}/api/v1/withdraws/${encodeURIComponent(withdrawId)}`;
      return (await call({ method: 'GET', url, lookup: true }, withdrawResponseSchema)).data;
    },
    async listWithdraws(query) {
      const url = `${baseUrl}/api/v1/withdraws?${new URLSearchParams({ referenceId: query.referenceId })}`;
      return (await call({ method: 'GET', url, lookup: false }, withdrawListResponseSchema)).data;
    },
  };
}
