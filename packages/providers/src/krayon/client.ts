import type { z } from 'zod';
import type { HttpClient, HttpRequest } from '../contract/index.ts';
import type { RequestContext } from '../kit/index.ts';
import { readAnswer } from './errors.ts';
import {
  type CreateWithdrawalRequest,
  depositListResponseSchema,
  depositResponseSchema,
  type KrayonDeposit,
} from './wire.ts';

/**
 * One method per Krayon endpoint, no mapping: wire in, parsed wire out, or a ProviderError.
 * The page's URL reads `https:/api.aqua.test.krayondigital.com/main/api/v1/deposits` (a typo for
 * `https://`); the base URL is configured, the path is `/main/api/v1/deposits`.
 */
export interface KrayonClient {
  /** `POST /main/api/v1/deposits` with `type: WITHDRAWAL`. No idempotency key exists. */
  createWithdrawal(body: CreateWithdrawalRequest): Promise<KrayonDeposit>;
  /** `GET /main/api/v1/deposits/:id` (assumed). */
  getDeposit(id: string): Promise<KrayonDeposit>;
  /** `GET /main/api/v1/deposits?reference_id=…` (assumed). */
  listDepositsByReference(referenceId: string): Promise<KrayonDeposit[]>;
}

export interface KrayonClientOptions {
  baseUrl: string;
  apiToken: string;
  http: HttpClient;
}

export const DEPOSITS_PATH = '/main/api/v1/deposits';

export function createKrayonClient(options: KrayonClientOptions): KrayonClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const depositsUrl = `${baseUrl}${DEPOSITS_PATH}`;

  async function call<S extends z.ZodType>(req: HttpRequest, schema: S, lookup: boolean): Promise<z.infer<S>> {
    const ctx: RequestContext = { method: req.method, lookup };
    // Transport failures arrive already classified (unavailable / outcome_unknown) by the HttpClient.
    // Header names spelled as on the page.
    const res = await options.http.request({
      ...req,
      headers: { accept: 'application/json', Authorization: `Bearer ${options.apiToken}`, ...req.headers },
    });
    return readAnswer(res, ctx, schema);
  }

  return {
    async createWithdrawal(body) {
      const { data } = await call(
        {
          method: 'POST',
          url: depositsUrl,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
        depositResponseSchema,
        false,
      );
      return data;
    },
    async getDeposit(id) {
      const { data } = await call(
        { method: 'GET', url: `${depositsUrl}/${encodeURIComponent(id)}` },
        depositResponseSchema,
        true,
      );
      return data;
    },
    async listDepositsByReference(referenceId) {
      const params = new URLSearchParams({ reference_id: referenceId });
      const { data } = await call({ method: 'GET', url: `${depositsUrl}?${params}` }, depositListResponseSchema, false);
      return data;
    },
  };
}
