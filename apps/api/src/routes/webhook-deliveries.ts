import { isId, must } from '@payouts/core';
import { waitingLinks, webhookDeliveries, webhookEndpoints, webhookEvents } from '@payouts/db';
import { and, eq, gt, type SQL } from 'drizzle-orm';
import { Router } from 'express';
import { requireOperator } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { recordOperatorAction } from '../operator-log.ts';
import { page } from '../pagination.ts';
import { problems } from '../problem.ts';
import { deliveryResource } from '../serialize.ts';
import { parseQuery } from '../validation.ts';
import { deliveriesPage } from '../webhook-delivery-list.ts';
import { adminListDeliveriesQuery } from '../webhook-schemas.ts';

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
    const rows = await deliveriesPage(deps.db, filters, q.cursor, q.limit);
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
    const [eventRow] = await deps.db
      .select({
        type: webhookEvents.type,
        subjectId: webhookEvents.subjectId,
        subjectVersion: webhookEvents.subjectVersion,
      })
      .from(webhookEvents)
      .where(eq(webhookEvents.id, found.delivery.eventId));
    const event = must(eventRow, `webhook event ${found.delivery.eventId} of the delivery`);
    const now = new Date();
    const updated = await deps.db.transaction(async (tx) => {
      // Version order holds for a replay too: behind an earlier version still pending to the
      // endpoint, it waits for that one (which hands over when done) instead of overtaking it.
      const waiting = await waitingLinks(tx, [
        {
          endpointId: found.delivery.endpointId,
          subjectId: event.subjectId,
          subjectVersion: event.subjectVersion,
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
          subjectId: event.subjectId,
          subjectVersion: event.subjectVersion,
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
      return must(row, 'the replayed delivery');
    });
    // The delivery as the replay left it: a deliverer may claim it the moment it is pending, so
    // reading it back could show an attempt already under way.
    res.json(deliveryResource({ delivery: updated, ...event }, true));
  });

  return router;
}
