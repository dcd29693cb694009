import type { z } from 'zod';
import type { HttpClient, HttpRequest } from '../../src/contract/index.ts';
import type { RequestContext } from '../../src/kit/index.ts';
import { readAnswer } from './errors.ts';
import { type CreatePayoutRequest, type ExamplePayout, payoutListSchema, payoutSchema } from './wire.ts';

export function createExamplePayClient(options: { baseUrl: string; apiKey: string; http: HttpClient }) {
  const payoutsUrl = `${options.baseUrl.replace(/\/+$/, '')}/payouts`;

  async function call<S extends z.ZodType>(req: HttpRequest, schema: S, lookup: boolean): Promise<z.infer<S>> {
    const ctx: RequestContext = { method: req.method, lookup };
    const res = await options.http.request({ ...req, headers: { 'x-api-key': options.apiKey, ...req.headers } });
    return readAnswer(res, ctx, schema);
  }

  return {
    createPayout: (body: CreatePayoutRequest, idempotencyKey: string): Promise<ExamplePayout> =>
      call(
        {
          method: 'POST',
          url: payoutsUrl,
          headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
          body: JSON.stringify(body),
        },
        payoutSchema,
        false,
      ),
    getPayout: (id: string): Promise<ExamplePayout> =>
      call({ method: 'GET', url: `${payoutsUrl}/${encodeURIComponent(id)}` }, payoutSchema, true),
    listByReference: async (reference: string): Promise<ExamplePayout[]> =>
      (
        await call(
          { method: 'GET', url: `${payoutsUrl}?${new URLSearchParams({ reference })}` },
          payoutListSchema,
          false,
        )
      ).items,
  };
}
