import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { isProviderId, must, PROVIDER_IDS, type ProviderId } from '@payouts/core';
import { type ProviderDowntime, providerDowntimes } from '@payouts/db';
import { activeDowntimes, releasableAfterDowntime } from '@payouts/payouts';
import type { ProviderDowntimeNotice } from '@payouts/providers';
import { releaseParked } from '@payouts/queue';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { Router } from 'express';
import { requireOperator } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { fingerprint, readIdempotencyKey, withIdempotency } from '../idempotency.ts';
import { recordOperatorAction } from '../operator-log.ts';
import { problems } from '../problem.ts';
import { z } from '../schemas.ts';
import { expectNoBody, parseBody, parseQuery } from '../validation.ts';
import type { OperatorPathHelpers } from './operations.ts';

/**
 * Provider downtimes: while one covers a payout's method, its provider's worker does not send the
 * payout; it waits in `queued` (`queued_reason: provider_downtime`) and goes on, oldest first, when
 * the downtime ends. Announced by the provider (RazorpayX `payout.downtime.*` webhooks, handled in
 * webhooks.ts through `applyDowntimeNotice`) or declared here by an operator, for any provider.
 */

const instant = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time with a time zone' });

export const downtimeBody = z
  .strictObject({
    modes: z
      .array(z.string().trim().min(1).max(32))
      .min(1)
      .max(20)
      .openapi({ description: "The provider's methods it covers, e.g. IMPS." }),
    starts_at: instant,
    ends_at: instant.nullable().openapi({ description: 'When it is expected to end; null: until ended.' }),
  })
  .superRefine((body, ctx) => {
    if (body.ends_at !== null && Date.parse(body.ends_at) <= Date.parse(body.starts_at)) {
      ctx.addIssue({ code: 'custom', path: ['ends_at'], message: 'must be after starts_at' });
    }
  })
  .openapi('DowntimeRequest');

const listQuery = z.strictObject({
  active: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const downtimeSchema = z
  .object({
    id: z.string(),
    provider: z.enum(PROVIDER_IDS),
    modes: z.array(z.string()),
    starts_at: z.string(),
    ends_at: z.string().nullable(),
    source: z.enum(['webhook', 'operator']),
    external_id: z.string().nullable(),
    active: z.boolean(),
    created_at: z.string(),
    resolved_at: z.string().nullable(),
  })
  .openapi('ProviderDowntime');

export function downtimeResource(d: ProviderDowntime, now = new Date()) {
  const active =
    d.resolvedAt === null && d.startsAt.getTime() <= now.getTime() && (d.endsAt === null || d.endsAt > now);
  return {
    id: String(d.id),
    provider: d.provider,
    modes: d.modes,
    starts_at: d.startsAt.toISOString(),
    ends_at: d.endsAt?.toISOString() ?? null,
    source: d.source,
    external_id: d.externalId,
    active,
    created_at: d.createdAt.toISOString(),
    resolved_at: d.resolvedAt?.toISOString() ?? null,
  };
}

/** Releases the provider's payouts no active downtime covers any longer, oldest first. */
export async function releaseAfterDowntime(deps: ApiDeps, provider: ProviderId): Promise<number> {
  return releaseParked(deps.queues, provider, await releasableAfterDowntime(deps.db, provider));
}

/**
 * A downtime the provider announced: `started` records it (once per provider id, whatever the
 * delivery count), `resolved` ends it and releases what waited. A resolution that arrives before
 * its start records the downtime as already ended, so the late start changes nothing.
 */
export async function applyDowntimeNotice(
  deps: ApiDeps,
  provider: ProviderId,
  notice: ProviderDowntimeNotice,
  eventId: string,
): Promise<void> {
  const now = new Date();
  if (notice.status === 'started') {
    await deps.db
      .insert(providerDowntimes)
      .values({
        provider,
        modes: notice.modes,
        startsAt: notice.startsAt ?? now,
        endsAt: notice.endsAt,
        source: 'webhook',
        externalId: notice.id,
        createdBy: eventId,
      })
      .onConflictDoNothing();
    return;
  }
  const ended = await deps.db
    .update(providerDowntimes)
    .set({ resolvedAt: now })
    .where(
      and(
        eq(providerDowntimes.provider, provider),
        eq(providerDowntimes.externalId, notice.id),
        isNull(providerDowntimes.resolvedAt),
      ),
    )
    .returning({ id: providerDowntimes.id });
  if (ended.length === 0) {
    await deps.db
      .insert(providerDowntimes)
      .values({
        provider,
        modes: notice.modes,
        startsAt: notice.startsAt ?? now,
        endsAt: null,
        source: 'webhook',
        externalId: notice.id,
        createdBy: eventId,
        resolvedAt: now,
      })
      .onConflictDoNothing();
  }
  await releaseAfterDowntime(deps, provider);
}

export function downtimeRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use('/providers', (req, _res, next) => {
    requireOperator(req);
    next();
  });

  const providerOf = (raw: string): ProviderId => {
    if (!isProviderId(raw)) throw problems.notFound(`The provider ${raw}`);
    return raw;
  };

  /**
   * Under Idempotency-Key, the downtime and its operator record in one transaction: a declaration
   * retried after its answer was lost (a timeout, a 5xx) answers the downtime it declared, never a
   * second one. A second, open-ended downtime that nobody knows of would hold every payout on its
   * modes in `queued` for good, whatever happens to the one its declarer ends.
   */
  router.post('/providers/:provider/downtime', async (req, res) => {
    const operator = requireOperator(req);
    const provider = providerOf(req.params.provider);
    const key = readIdempotencyKey(req);
    const body = parseBody(downtimeBody, req);
    const methods = deps.adapters.get(provider)?.methods ?? [];
    const unknown = body.modes.findIndex((m) => !methods.includes(m));
    if (unknown >= 0) {
      throw problems.invalid([
        {
          path: `modes.${unknown}`,
          message: `${provider} has no method ${body.modes[unknown]} (${methods.join(', ')})`,
        },
      ]);
    }
    const { response, replayed } = await withIdempotency(
      deps.db,
      'operator',
      key,
      fingerprint(req, req.body),
      async (tx) => {
        const [row] = await tx
          .insert(providerDowntimes)
          .values({
            provider,
            modes: [...new Set(body.modes)],
            startsAt: new Date(body.starts_at),
            endsAt: body.ends_at === null ? null : new Date(body.ends_at),
            source: 'operator',
            createdBy: operator.keyId,
          })
          .returning();
        const declared = must(row, 'the inserted downtime');
        await recordOperatorAction(tx, {
          actor: operator.keyId,
          action: 'provider.downtime',
          target: provider,
          params: body,
          result: { id: String(declared.id) },
        });
        return { status: 201, body: downtimeResource(declared) };
      },
    );
    res.status(response.status).set('Idempotent-Replayed', String(replayed)).json(response.body);
  });

  router.get('/providers/:provider/downtimes', async (req, res) => {
    const provider = providerOf(req.params.provider);
    const q = parseQuery(listQuery, req);
    const rows =
      q.active === 'true'
        ? await activeDowntimes(deps.db, provider)
        : await deps.db
            .select()
            .from(providerDowntimes)
            .where(eq(providerDowntimes.provider, provider))
            .orderBy(desc(providerDowntimes.id))
            .limit(q.limit);
    const data = rows.map((r) => downtimeResource(r)).filter((d) => q.active !== 'false' || !d.active);
    res.json({ data: data.slice(0, q.limit) });
  });

  router.post('/providers/:provider/downtimes/:id/end', async (req, res) => {
    const operator = requireOperator(req);
    const provider = providerOf(req.params.provider);
    expectNoBody(req);
    if (!/^\d{1,18}$/.test(req.params.id)) throw problems.notFound('The downtime');
    const id = BigInt(req.params.id);
    const [existing] = await deps.db
      .select()
      .from(providerDowntimes)
      .where(and(eq(providerDowntimes.id, id), eq(providerDowntimes.provider, provider)));
    if (!existing) throw problems.notFound('The downtime');
    const [row] = existing.resolvedAt
      ? [existing]
      : await deps.db
          .update(providerDowntimes)
          .set({ resolvedAt: new Date() })
          .where(eq(providerDowntimes.id, id))
          .returning();
    const released = await releaseAfterDowntime(deps, provider);
    await recordOperatorAction(deps.db, {
      actor: operator.keyId,
      action: 'provider.downtime.end',
      target: provider,
      params: { id: req.params.id },
      result: { released, already_ended: existing.resolvedAt !== null },
    });
    res.json({ downtime: downtimeResource(row ?? existing), released });
  });

  return router;
}

/** The OpenAPI entries of these routes. */
export function registerDowntimePaths(registry: OpenAPIRegistry, h: OperatorPathHelpers): void {
  const { security } = h;
  const provider = z.object({ provider: z.enum(PROVIDER_IDS) });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/providers/{provider}/downtime',
    summary:
      "Declare a provider's downtime on some modes (operator; recorded): payouts on them wait in queued (provider_downtime) until it ends",
    description:
      'Under Idempotency-Key: a retry with the same key and body answers the downtime the first declared (`Idempotent-Replayed: true`), never a second one.',
    security,
    request: {
      params: provider,
      headers: z.object({ 'Idempotency-Key': h.idempotencyKey }),
      body: { required: true, content: { 'application/json': { schema: downtimeBody } } },
    },
    responses: h.keyed('operator', 'post', {
      201: h.replayable(h.json(downtimeSchema, 'Declared')),
      400: h.idempotent[400],
      404: 'No such provider (`not_found`)',
      409: undefined,
      422: `${h.idempotent[422]}; a mode the provider does not offer, a date that is not RFC 3339, or ends_at not after starts_at (\`validation_failed\`)`,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/providers/{provider}/downtimes',
    summary: "A provider's downtimes, newest first; active=true for those in force now (operator)",
    security,
    request: { params: provider, query: listQuery },
    responses: h.keyed('operator', 'get', {
      200: h.json(z.object({ data: z.array(downtimeSchema) }), 'The downtimes'),
      404: 'No such provider (`not_found`)',
    }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/providers/{provider}/downtimes/{id}/end',
    summary:
      'End a downtime now and release the payouts that waited for it, oldest first (operator; recorded). Ending one already ended answers the same',
    security,
    request: { params: provider.extend({ id: z.string().openapi({ example: '1' }) }) },
    responses: h.keyed('operator', 'post', {
      200: h.json(z.object({ downtime: downtimeSchema, released: z.number().int() }), 'Ended'),
      404: 'No such provider or downtime (`not_found`)',
    }),
  });
}
