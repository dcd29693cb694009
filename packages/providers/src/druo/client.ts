import type { z } from 'zod';
import type { HttpClient, HttpRequest } from '../contract/index.ts';
import type { RequestContext } from '../kit/index.ts';
import { readAnswer } from './errors.ts';
import {
  type CreatePayoutRequest,
  DRUO_VERSION,
  type DruoPayout,
  type DruoPayoutList,
  payoutEnvelopeSchema,
  payoutListSchema,
} from './wire.ts';

/**
 * One method per DRUO endpoint, no mapping: wire in, parsed wire out (the `{payout}` envelope
 * unwrapped), or a ProviderError. Only the create is documented (its "Create Payout" page);
 * the two reads are assumed (ASSUMPTIONS.md).
 */
export interface DruoClient {
  /** `POST /payouts/create`. DRUO takes no idempotency key: every call creates a transaction. */
  createPayout(body: CreatePayoutRequest): Promise<DruoPayout>;
  /** `GET /payouts/:uuid` (assumed). */
  getPayout(uuid: string): Promise<DruoPayout>;
  /** `GET /payouts?primary_reference=…` (assumed), newest first. */
  listPayouts(query: ListPayoutsQuery): Promise<DruoPayoutList>;
}

export interface ListPayoutsQuery {
  primary_reference: string;
}

export interface DruoClientOptions {
  baseUrl: string;
  accessToken: string;
  http: HttpClient;
}

export function createDruoClient(options: DruoClientOptions): DruoClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const authorization = `Bearer ${options.accessToken}`;

  async function call<S extends z.ZodType>(req: HttpRequest, schema: S, lookup: boolean): Promise<z.infer<S>> {
    const ctx: RequestContext = { method: req.method, lookup };
    // Transport failures arrive already classified (unavailable / outcome_unknown) by the HttpClient.
    const res = await options.http.request({
      ...req,
      headers: {
        Authorization: authorization,
        'DRUO-Version': DRUO_VERSION,
        Accept: 'application/json',
        ...req.headers,
      },
    });
    return readAnswer(res, ctx, schema);
  }

  return {
    async createPayout(body) {
      const envelope = await call(
        {
          method: 'POST',
          url: `${baseUrl}/payouts/create`,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        },
        payoutEnvelopeSchema,
        false,
      );
      return envelope.payout;
    },
    async getPayout(uuid) {
      const envelope = await call(
        { method: 'GET', url: `${baseUrl}/payouts/${encodeURIComponent(uuid)}` },
        payoutEnvelopeSchema,
        true,
      );
      return envelope.payout;
    },
    listPayouts(query) {
      const params = new URLSearchParams({ primary_reference: query.primary_reference });
      return call({ method: 'GET', url: `${baseUrl}/payouts?${params}` }, payoutListSchema, false);
    },
  };
}
