import { randomBytes } from 'node:crypto';
import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { type IdKind, isId, newId, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@payouts/core';
import {
  cancelPendingDeliveries,
  type Executor,
  waitingLinks,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from '@payouts/db';
import { and, count, desc, eq, gt, lt, type SQL } from 'drizzle-orm';
import { type Request, Router } from 'express';
import { requireOperator, requireTenant } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { findReplay, fingerprint, readIdempotencyKey, withIdempotency } from '../idempotency.ts';
import { recordOperatorAction } from '../operator-log.ts';
import { problems } from '../problem.ts';
import { z } from '../schemas.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { privateTargetReason } from '../webhook-targets.ts';

/**
 * Outbound webhook endpoints (docs/webhooks.md): a tenant registers where its events go and gets
 * the endpoint's signing secret once; the reconciler writes the events and delivers them. Every
 * route is scoped to the key's tenant: another tenant's endpoint is a 404, like one that does not
 * exist. Operators list deliveries across tenants and replay one.
 */
const MAX_ENDPOINTS = 20;
const DEFAULT_OVERLAP_SECONDS = 24 * 3600;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Postgres text cannot hold U+0000: refused naming the field, never a 500 at insert. */
const hasNul = (value: string) => value.includes(String.fromCharCode(0));

const eventTypes = WEBHOOK_EVENT_TYPES as [WebhookEventType, ...WebhookEventType[]];

/**
 * https only: the body carries payout details and the receiver must know it talks to us. Plain
 * http only to this machine, for local development and tests, where nothing crosses a network.
 */
const endpointUrl = z
  .string()
  .trim()
  .max(2048)
  .superRefine((value, ctx) => {
    if (hasNul(value)) {
      ctx.addIssue({ code: 'custom', message: 'must not contain NUL (U+0000) characters' });
      return;
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute URL (https://…)' });
      return;
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))) {
      ctx.addIssue({ code: 'custom', message: 'must be https (http only for localhost or 127.0.0.1)' });
    }
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
  })
  .openapi({ example: 'https://example.com/hooks/payouts' });

const enabledEvents = z
  .array(z.enum(eventTypes, { error: `must be one of ${eventTypes.join(', ')}` }))
  .min(1, 'must list at least one event type (leave it out for every type)')
  .max(eventTypes.length)
  .transform((list) => [...new Set(list)])
  .openapi({ description: 'Event types sent to this endpoint; absent or null: every type.' });

const description = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .refine((v) => !hasNul(v), 'must not contain NUL (U+0000) characters');

export const createWebhookEndpointSchema = z
  .strictObject({ url: endpointUrl, description: description.optional(), enabled_events: enabledEvents.optional() })
  .openapi('CreateWebhookEndpoint');

export const updateWebhookEndpointSchema = z
  .strictObject({
    url: endpointUrl.optional(),
    description: description.nullable().optional(),
    enabled_events: enabledEvents.nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'must change at least one field', path: ['body'] })
  .openapi('UpdateWebhookEndpoint');

export const rotateSecretSchema = z
  .strictObject({
    expires_in_seconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(0)
      .max(7 * 86400)
      .default(DEFAULT_OVERLAP_SECONDS)
      .openapi({ description: 'How long the previous secret keeps signing too (0: it stops now). Default 24 h.' }),
  })
  .openapi('RotateWebhookSecret');

export const webhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: 'we_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }),
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    description: z.string().nullable(),
    enabled_events: z.array(z.enum(eventTypes)).nullable(),
    disabled: z.boolean(),
    previous_secret_expires_at: z
      .string()
      .nullable()
      .openapi({ description: 'While a rotation overlaps: until when the previous secret signs too.' }),
    secret: z.string().optional().openapi({ description: 'whsec_…: only in the answers to create and rotate-secret.' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('WebhookEndpoint');

export const webhookDeliverySchema = z
  .object({
    id: z.string().openapi({ example: 'whd_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }),
    object: z.literal('webhook_delivery'),
    tenant_id: z.string().optional().openapi({ description: 'Operator listings only.' }),
    endpoint_id: z.string(),
    event_id: z.string().openapi({ description: 'The webhook-id header (msg_…).' }),
    event_type: z.enum(eventTypes),
    subject_id: z.string(),
    subject_version: z.number().int(),
    status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']).openapi({
      description:
        '`cancelled`: the endpoint was disabled or deleted while the delivery was pending (`last_error` says so); an operator can replay it once the endpoint is enabled again.',
    }),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable().openapi({
      description:
        'When it is tried next while `pending`; null while it waits for an earlier version of its subject to this endpoint, and once it is done.',
    }),
    last_attempt_at: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('WebhookDelivery');

const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().trim().min(1).max(200).optional(),
};
const deliveryStatus = z.enum(['pending', 'succeeded', 'failed', 'cancelled']);
export const listDeliveriesQuery = z.strictObject({ status: deliveryStatus.optional(), ...pageQuery });
export const adminListDeliveriesQuery = z.strictObject({
  status: deliveryStatus.optional(),
  tenant_id: z.string().trim().min(1).max(64).optional(),
  endpoint_id: z.string().trim().min(1).max(64).optional(),
  ...pageQuery,
});
export const listEndpointsQuery = z.strictObject(pageQuery);

type EndpointRow = typeof webhookEndpoints.$inferSelect;

function endpointResource(row: EndpointRow, secret?: string) {
  const overlapping = row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date();
  return {
    id: row.id,
    object: 'webhook_endpoint' as const,
    url: row.url,
    description: row.description,
    enabled_events: row.enabledEvents,
    disabled: row.disabled,
    previous_secret_expires_at: overlapping ? row.previousSecretExpiresAt!.toISOString() : null,
    ...(secret ? { secret } : {}),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** 32 random bytes, base64, with the Standard Webhooks prefix every library strips itself. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

const deliveryColumns = {
  delivery: webhookDeliveries,
  type: webhookEvents.type,
  subjectId: webhookEvents.subjectId,
  subjectVersion: webhookEvents.subjectVersion,
};

function deliveryResource(
  r: {
    delivery: typeof webhookDeliveries.$inferSelect;
    type: string;
    subjectId: string;
    subjectVersion: number;
  },
  withTenant = false,
) {
  const d = r.delivery;
  return {
    id: d.id,
    object: 'webhook_delivery' as const,
    ...(withTenant ? { tenant_id: d.tenantId } : {}),
    endpoint_id: d.endpointId,
    event_id: d.eventId,
    event_type: r.type,
    subject_id: r.subjectId,
    subject_version: r.subjectVersion,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? (d.nextAttemptAt?.toISOString() ?? null) : null,
    last_attempt_at: d.lastAttemptAt?.toISOString() ?? null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}

function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

function decodeCursor(cursor: string, kind: IdKind): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!isId(id, kind))
    throw problems.badRequest('invalid_cursor', 'The cursor is not one this API returned.', 'cursor');
  return id;
}

function page<T extends { id: string }>(rows: T[], limit: number) {
  const data = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return { data, has_more: hasMore, next_cursor: hasMore ? encodeCursor(data[data.length - 1]!.id) : null };
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
    const { tenantId } = requireTenant(req);
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
      return { status: 201, body: endpointResource(row!, secret) };
    });
    res.status(response.status).set('Idempotent-Replayed', String(replayed)).json(response.body);
  });

  router.get('/webhook-endpoints', async (req, res) => {
    const { tenantId } = requireTenant(req);
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
    const { tenantId } = requireTenant(req);
    res.json(endpointResource(await findEndpoint(tenantId, req.params.id)));
  });

  router.patch('/webhook-endpoints/:id', async (req, res) => {
    const { tenantId } = requireTenant(req);
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
      return updated!;
    });
    res.json(endpointResource(row));
  });

  /**
   * Disables rather than deletes: its deliveries stay on record (the pending ones cancelled), and
   * nothing more is sent to it.
   */
  router.delete('/webhook-endpoints/:id', async (req, res) => {
    const { tenantId } = requireTenant(req);
    const endpoint = await findEndpoint(tenantId, req.params.id);
    const row = await deps.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(webhookEndpoints)
        .set({ disabled: true, updatedAt: new Date() })
        .where(eq(webhookEndpoints.id, endpoint.id))
        .returning();
      await cancelPending(tx, endpoint.id);
      return updated!;
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
    const { tenantId } = requireTenant(req);
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
        return { status: 200, body: endpointResource(row!, secret) };
      },
    );
    res.status(response.status).set('Idempotent-Replayed', String(replayed)).json(response.body);
  });

  router.get('/webhook-endpoints/:id/deliveries', async (req, res) => {
    const { tenantId } = requireTenant(req);
    const q = parseQuery(listDeliveriesQuery, req);
    const endpoint = await findEndpoint(tenantId, req.params.id);
    const filters: SQL[] = [eq(webhookDeliveries.endpointId, endpoint.id), eq(webhookDeliveries.tenantId, tenantId)];
    if (q.status) filters.push(eq(webhookDeliveries.status, q.status));
    if (q.cursor) filters.push(lt(webhookDeliveries.id, decodeCursor(q.cursor, 'webhookDelivery')));
    const rows = await deps.db
      .select(deliveryColumns)
      .from(webhookDeliveries)
      .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
      .where(and(...filters))
      .orderBy(desc(webhookDeliveries.id))
      .limit(q.limit + 1);
    const p = page(
      rows.map((r) => deliveryResource(r)),
      q.limit,
    );
    res.json(p);
  });

  return router;
}

/** Operator routes: deliveries across tenants, and replaying one. Mounted under /v1/admin. */
export function webhookDeliveryAdminRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.get('/webhook-deliveries', async (req, res) => {
    requireOperator(req);
    const q = parseQuery(adminListDeliveriesQuery, req);
    const filters: SQL[] = [];
    if (q.status) filters.push(eq(webhookDeliveries.status, q.status));
    if (q.tenant_id) filters.push(eq(webhookDeliveries.tenantId, q.tenant_id));
    if (q.endpoint_id) filters.push(eq(webhookDeliveries.endpointId, q.endpoint_id));
    if (q.cursor) filters.push(lt(webhookDeliveries.id, decodeCursor(q.cursor, 'webhookDelivery')));
    const rows = await deps.db
      .select(deliveryColumns)
      .from(webhookDeliveries)
      .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
      .where(and(...filters))
      .orderBy(desc(webhookDeliveries.id))
      .limit(q.limit + 1);
    res.json(
      page(
        rows.map((r) => deliveryResource(r, true)),
        q.limit,
      ),
    );
  });

  /**
   * Sends a delivery again, whatever its state: back to pending with its attempts reset, due now.
   * The payload is the event's own (the state at its version), so a replayed old event can reach a
   * receiver after a newer one: receivers keep the highest `data.version` (docs/webhooks.md).
   */
  router.post('/webhook-deliveries/:id/replay', async (req, res) => {
    const operator = requireOperator(req);
    const id = req.params.id;
    if (!isId(id, 'webhookDelivery')) throw problems.notFound('The webhook delivery');
    const [found] = await deps.db
      .select({ delivery: webhookDeliveries, disabled: webhookEndpoints.disabled })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(eq(webhookDeliveries.id, id));
    if (!found) throw problems.notFound('The webhook delivery');
    if (found.disabled) {
      throw problems.conflict(
        'webhook_endpoint_disabled',
        'The delivery’s endpoint is disabled; the tenant enables it again (PATCH disabled=false) before a replay.',
      );
    }
    const [event] = await deps.db
      .select({
        type: webhookEvents.type,
        subjectId: webhookEvents.subjectId,
        subjectVersion: webhookEvents.subjectVersion,
      })
      .from(webhookEvents)
      .where(eq(webhookEvents.id, found.delivery.eventId));
    const now = new Date();
    const updated = await deps.db.transaction(async (tx) => {
      // Version order holds for a replay too: behind an earlier version still pending to the
      // endpoint, it waits for that one (which hands over when done) instead of overtaking it.
      const waiting = await waitingLinks(tx, [
        {
          endpointId: found.delivery.endpointId,
          subjectId: event!.subjectId,
          subjectVersion: event!.subjectVersion,
          eventId: found.delivery.eventId,
        },
      ]);
      const [row] = await tx
        .update(webhookDeliveries)
        .set({
          status: 'pending',
          attempts: 0,
          nextAttemptAt: waiting.size > 0 ? null : now,
          // Deliveries written before their subject was kept on them get it now.
          subjectId: event!.subjectId,
          subjectVersion: event!.subjectVersion,
          updatedAt: now,
        })
        .where(eq(webhookDeliveries.id, id))
        .returning();
      // An endpoint whose circuit is open is probed now rather than at its next probe: the
      // operator replays because the receiver is expected to answer again.
      await tx
        .update(webhookEndpoints)
        .set({ circuitOpenUntil: now })
        .where(and(eq(webhookEndpoints.id, found.delivery.endpointId), gt(webhookEndpoints.circuitOpenUntil, now)));
      // Recorded in the replay's own transaction: the change and its audit entry commit together.
      await recordOperatorAction(tx, {
        actor: operator.keyId,
        action: 'webhook_delivery.replay',
        target: id,
        params: {},
        result: { previous_status: found.delivery.status, previous_attempts: found.delivery.attempts },
      });
      return row!;
    });
    // The delivery as the replay left it: a deliverer may claim it the moment it is pending, so
    // reading it back could show an attempt already under way.
    res.json(deliveryResource({ delivery: updated, ...event! }, true));
  });

  return router;
}

/** The OpenAPI entries of these routes; openapi.ts hands over its shared pieces. */
export function registerWebhookEndpointPaths(
  registry: OpenAPIRegistry,
  h: {
    security: Record<string, string[]>[];
    idempotencyKey: z.ZodType;
    errors: Record<number, ResponseConfig>;
    problem: (description: string) => ResponseConfig;
    json: (schema: z.ZodType, description: string) => ResponseConfig;
  },
): void {
  const id = z.object({ id: z.string().openapi({ example: 'we_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) });
  const endpointList = z
    .object({ data: z.array(webhookEndpointSchema), has_more: z.boolean(), next_cursor: z.string().nullable() })
    .openapi('WebhookEndpointList');
  const deliveryList = z
    .object({ data: z.array(webhookDeliverySchema), has_more: z.boolean(), next_cursor: z.string().nullable() })
    .openapi('WebhookDeliveryList');
  const jsonBody = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
  const { security, errors } = h;
  const privateTarget = h.problem(
    'Validation failed; `errors` names each field. `url` also when its host is, or resolves to, a private address (unless WEBHOOK_ALLOW_PRIVATE_TARGETS)',
  );

  registry.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints',
    summary: 'Register a webhook endpoint; its signing secret is shown once',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': h.idempotencyKey }),
      body: jsonBody(createWebhookEndpointSchema),
    },
    responses: {
      201: h.json(webhookEndpointSchema, 'Created, with `secret`'),
      ...errors,
      409: h.problem('Too many endpoints, or the same Idempotency-Key in flight'),
      422: privateTarget,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints',
    summary: 'List webhook endpoints, newest first',
    security,
    request: { query: listEndpointsQuery },
    responses: { 200: h.json(endpointList, 'A page of endpoints'), ...errors },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints/{id}',
    summary: 'Get a webhook endpoint (without its secret)',
    security,
    request: { params: id },
    responses: { 200: h.json(webhookEndpointSchema, 'The endpoint'), ...errors },
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/webhook-endpoints/{id}',
    summary: 'Change a webhook endpoint: url, description, enabled_events, disabled',
    description:
      '`disabled: true` ends its pending deliveries at once as `cancelled`. A new `url`, or `disabled: false`, closes its circuit (docs/webhooks.md).',
    security,
    request: { params: id, body: jsonBody(updateWebhookEndpointSchema) },
    responses: { 200: h.json(webhookEndpointSchema, 'Changed'), ...errors, 422: privateTarget },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/webhook-endpoints/{id}',
    summary: 'Disable a webhook endpoint (its deliveries stay on record; the pending ones are cancelled)',
    security,
    request: { params: id },
    responses: { 200: h.json(webhookEndpointSchema, 'Disabled'), ...errors },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints/{id}/rotate-secret',
    summary: 'Rotate the signing secret; the previous one keeps signing until it expires',
    security,
    request: {
      params: id,
      headers: z.object({ 'Idempotency-Key': h.idempotencyKey }),
      body: jsonBody(rotateSecretSchema),
    },
    responses: { 200: h.json(webhookEndpointSchema, 'Rotated, with the new `secret`'), ...errors },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints/{id}/deliveries',
    summary: 'Deliveries to this endpoint, newest first',
    security,
    request: { params: id, query: listDeliveriesQuery },
    responses: { 200: h.json(deliveryList, 'A page of deliveries'), ...errors },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/webhook-deliveries',
    summary: 'Webhook deliveries across tenants (operator)',
    security,
    request: { query: adminListDeliveriesQuery },
    responses: { 200: h.json(deliveryList, 'A page of deliveries'), ...errors, 403: h.problem('Not an operator key') },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/webhook-deliveries/{id}/replay',
    summary: 'Send a webhook delivery again now, whatever its status (operator; recorded)',
    description:
      'Back to `pending` with `attempts` 0, due at once — or, behind an earlier version of its subject still pending to the endpoint, waiting for it (`next_attempt_at` null). An open circuit of the endpoint is probed at once.',
    security,
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: h.json(webhookDeliverySchema, 'Queued again'),
      ...errors,
      403: h.problem('Not an operator key'),
      409: h.problem('The endpoint is disabled'),
    },
  });
}
