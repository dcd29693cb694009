import { randomBytes } from 'node:crypto';
import { isId, must, newId } from '@payouts/core';
import { cancelPendingDeliveries, type Executor, webhookDeliveries, webhookEndpoints } from '@payouts/db';
import { and, count, desc, eq, lt, type SQL } from 'drizzle-orm';
import { type Request, Router } from 'express';
import { requireTenant } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { findReplay, fingerprint, readIdempotencyKey, withIdempotency } from '../idempotency.ts';
import { decodeCursor, page } from '../pagination.ts';
import { problems } from '../problem.ts';
import type { z } from '../schemas.ts';
import { deliveryResource, type EndpointRow, endpointResource } from '../serialize.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { deliveriesPage } from '../webhook-delivery-list.ts';
import {
  createWebhookEndpointSchema,
  listDeliveriesQuery,
  listEndpointsQuery,
  rotateSecretSchema,
  updateWebhookEndpointSchema,
} from '../webhook-schemas.ts';
import { privateTargetReason } from '../webhook-targets.ts';

/**
 * Outbound webhook endpoints (docs/webhooks.md): a tenant registers where its events go and gets
 * the endpoint's signing secret once; the reconciler writes the events and delivers them. Every
 * route is scoped to the key's tenant: another tenant's endpoint is a 404, like one that does not
 * exist. Operators list deliveries across tenants and replay one (webhook-deliveries.ts).
 */
const MAX_ENDPOINTS = 20;

/** 32 random bytes, base64, with the Standard Webhooks prefix every library strips itself. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * A disabled endpoint's pending deliveries end at once, in the transaction that disables it: a
 * tenant turning off a dead endpoint must not leave thousands of deliveries to be tried one by one.
 */
async function cancelPending(tx: Executor, endpointId: string): Promise<void> {
  await cancelPendingDeliveries(tx, [endpointId], new Date(), 'the endpoint was disabled');
}

/** Bodiless POSTs may send nothing at all: the schema's defaults apply. */
function optionalBody<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  if (req.body === undefined) return schema.parse({});
  return parseBody(schema, req);
}

export function webhookEndpointRoutes(deps: ApiDeps): Router {
  const router = Router();

  /** 422 naming `url` for a target delivery would refuse (unless private targets are allowed). */
  async function refusePrivateTarget(url: string): Promise<void> {
    if (deps.allowPrivateWebhookTargets) return;
    const reason = await privateTargetReason(url);
    if (reason) {
      throw problems.invalid([
        { path: 'url', message: `must be a public address: its host ${reason}, and webhooks are never sent there` },
      ]);
    }
  }

  async function findEndpoint(tenantId: string, id: string): Promise<EndpointRow> {
    if (!isId(id, 'webhookEndpoint')) throw problems.notFound('The webhook endpoint');
    const [row] = await deps.db
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.tenantId, tenantId)));
    if (!row) throw problems.notFound('The webhook endpoint');
    return row;
  }

  router.post('/webhook-endpoints', async (req, res) => {
    const { tenantId } = requireTenant(req, 'POST /v1/webhook-endpoints');
    const key = readIdempotencyKey(req);
    const body = parseBody(createWebhookEndpointSchema, req);
    const print = fingerprint(req, req.body);
    // A retry replays its first answer, whatever DNS says now.
    const earlier = await findReplay(deps.db, tenantId, key, print);
    if (earlier) {
      res.status(earlier.status).set('Idempotent-Replayed', 'true').json(earlier.body);
      return;
    }
    await refusePrivateTarget(body.url);
    const { response, replayed } = await withIdempotency(deps.db, tenantId, key, print, async (tx) => {
      const [active] = await tx
        .select({ n: count() })
        .from(webhookEndpoints)
        .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.disabled, false)));
      if ((active?.n ?? 0) >= MAX_ENDPOINTS) {
        throw problems.conflict(
          'webhook_endpoint_limit',
          `A tenant may have ${MAX_ENDPOINTS} enabled webhook endpoints; disable one first.`,
        );
      }
      const secret = newSecret();
      const [row] = await tx
        .insert(webhookEndpoints)
        .values({
          id: newId('webhookEndpoint'),
          tenantId,
          url: body.url,
          description: body.description ?? null,
          enabledEvents: body.enabled_events ?? null,
          secret,
        })
        .returning();
      return { status: 201, body: endpointResource(must(row, 'the inserted webhook endpoint'), secret) };
    });
    res.status(response.status).set('Idempotent-Replayed', String(replayed)).json(response.body);
  });

  router.get('/webhook-endpoints', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/webhook-endpoints');
    const q = parseQuery(listEndpointsQuery, req);
    const filters: SQL[] = [eq(webhookEndpoints.tenantId, tenantId)];
    if (q.cursor) filters.push(lt(webhookEndpoints.id, decodeCursor(q.cursor, 'webhookEndpoint')));
    const rows = await deps.db
      .select()
      .from(webhookEndpoints)
      .where(and(...filters))
      .orderBy(desc(webhookEndpoints.id))
      .limit(q.limit + 1);
    const p = page(rows, q.limit);
    res.json({ ...p, data: p.data.map((r) => endpointResource(r)) });
  });

  router.get('/webhook-endpoints/:id', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/webhook-endpoints/:id');
    res.json(endpointResource(await findEndpoint(tenantId, req.params.id)));
  });

  router.patch('/webhook-endpoints/:id', async (req, res) => {
    const { tenantId } = requireTenant(req, 'PATCH /v1/webhook-endpoints/:id');
    const body = parseBody(updateWebhookEndpointSchema, req);
    const endpoint = await findEndpoint(tenantId, req.params.id);
    if (body.url !== undefined) await refusePrivateTarget(body.url);
    // A new URL, or enabling again, is a fresh start: the circuit of the old one closes.
    const freshStart = body.url !== undefined || body.disabled === false;
    const row = await deps.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(webhookEndpoints)
        .set({
          ...(body.url !== undefined ? { url: body.url } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.enabled_events !== undefined ? { enabledEvents: body.enabled_events } : {}),
          ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
          ...(freshStart ? { consecutiveFailures: 0, circuitOpenUntil: null } : {}),
          updatedAt: new Date(),
        })
        .where(eq(webhookEndpoints.id, endpoint.id))
        .returning();
      if (body.disabled === true) await cancelPending(tx, endpoint.id);
      return must(updated, 'the updated webhook endpoint');
    });
    res.json(endpointResource(row));
  });

  /**
   * Disables rather than deletes: its deliveries stay on record (the pending ones cancelled), and
   * nothing more is sent to it.
   */
  router.delete('/webhook-endpoints/:id', async (req, res) => {
    const { tenantId } = requireTenant(req, 'DELETE /v1/webhook-endpoints/:id');
    const endpoint = await findEndpoint(tenantId, req.params.id);
    const row = await deps.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(webhookEndpoints)
        .set({ disabled: true, updatedAt: new Date() })
        .where(eq(webhookEndpoints.id, endpoint.id))
        .returning();
      await cancelPending(tx, endpoint.id);
      return must(updated, 'the disabled webhook endpoint');
    });
    res.json(endpointResource(row));
  });

  /**
   * A new secret, shown once; the one it replaces keeps signing beside it (two `v1,` signatures)
   * until `expires_in_seconds` pass, so receivers switch without a moment where nothing verifies.
   * Under Idempotency-Key: a retried rotation whose first answer was lost must not rotate again,
   * which would drop the secret the receiver still holds.
   */
  router.post('/webhook-endpoints/:id/rotate-secret', async (req, res) => {
    const { tenantId } = requireTenant(req, 'POST /v1/webhook-endpoints/:id/rotate-secret');
    const key = readIdempotencyKey(req);
    const body = optionalBody(rotateSecretSchema, req);
    await findEndpoint(tenantId, req.params.id);
    const { response, replayed } = await withIdempotency(
      deps.db,
      tenantId,
      key,
      fingerprint(req, req.body ?? {}),
      async (tx) => {
        const [current] = await tx
          .select()
          .from(webhookEndpoints)
          .where(and(eq(webhookEndpoints.id, req.params.id), eq(webhookEndpoints.tenantId, tenantId)))
          .for('update');
        if (!current) throw problems.notFound('The webhook endpoint');
        const now = new Date();
        const secret = newSecret();
        const overlap = body.expires_in_seconds > 0;
        const [row] = await tx
          .update(webhookEndpoints)
          .set({
            secret,
            previousSecret: overlap ? current.secret : null,
            previousSecretExpiresAt: overlap ? new Date(now.getTime() + body.expires_in_seconds * 1000) : null,
            updatedAt: now,
          })
          .where(eq(webhookEndpoints.id, current.id))
          .returning();
        return { status: 200, body: endpointResource(must(row, 'the webhook endpoint with its new secret'), secret) };
      },
    );
    res.status(response.status).set('Idempotent-Replayed', String(replayed)).json(response.body);
  });

  router.get('/webhook-endpoints/:id/deliveries', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/webhook-endpoints/:id/deliveries');
    const q = parseQuery(listDeliveriesQuery, req);
    const endpoint = await findEndpoint(tenantId, req.params.id);
    const filters: SQL[] = [eq(webhookDeliveries.endpointId, endpoint.id), eq(webhookDeliveries.tenantId, tenantId)];
    if (q.status) filters.push(eq(webhookDeliveries.status, q.status));
    const rows = await deliveriesPage(deps.db, filters, q.cursor, q.limit);
    const p = page(
      rows.map((r) => deliveryResource(r)),
      q.limit,
    );
    res.json(p);
  });

  return router;
}
