import { isProviderId, type PayoutStatus, type ProviderId } from '@payouts/core';
import { payouts, providerEvents } from '@payouts/db';
import { type ProviderAdapter, ProviderError } from '@payouts/providers';
import { jobIds, joinConfirmWindow, recordWebhookArrival } from '@payouts/queue';
import { and, eq } from 'drizzle-orm';
import express, { Router } from 'express';
import type { ApiDeps } from '../deps.ts';
import { HttpProblem, problems } from '../problem.ts';
import { findUnstorable } from '../validation.ts';
import { applyDowntimeNotice } from './downtimes.ts';

/**
 * `POST /v1/webhooks/{provider}`: authenticated by the provider's signature over the raw body
 * (not by an API key), stored once per provider event id, then turned into a lookup at the
 * provider — a webhook is a reason to look, never a reason to move money by itself. Duplicate and
 * out-of-order deliveries therefore change nothing: the lookup reports the provider's current state,
 * and the transition table ignores anything stale.
 */
export function webhookRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.post('/webhooks/:provider', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const provider = req.params.provider;
    const adapter = isProviderId(provider) ? deps.adapters.get(provider) : undefined;
    if (!adapter) throw problems.notFound(`The provider ${provider}`);
    if (!adapter.capabilities.has('webhooks')) {
      throw new HttpProblem(404, 'webhooks_not_supported', `${provider} does not send webhooks.`);
    }
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let event: ReturnType<typeof adapter.verifyWebhook>;
    try {
      event = adapter.verifyWebhook(raw, req.headers);
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'auth') {
        throw new HttpProblem(401, 'invalid_signature', 'The webhook signature does not verify.', [
          { path: 'signature', message: error.message },
        ]);
      }
      if (error instanceof ProviderError) {
        throw new HttpProblem(400, 'invalid_webhook', error.message, [
          { path: error.field ?? 'body', message: error.message },
        ]);
      }
      throw error;
    }

    // What is stored from the event must be text Postgres can store (a NUL would fail the insert).
    const unstorable = findUnstorable({
      event_id: event.eventId,
      event_type: event.eventType,
      provider_payout_id: event.providerPayoutId,
      reference: event.reference,
      raw_status: event.state?.rawStatus ?? null,
    });
    if (unstorable) {
      throw new HttpProblem(400, 'invalid_webhook', `${unstorable.path}: ${unstorable.message}`, [
        { path: unstorable.path, message: unstorable.message },
      ]);
    }

    // The provider's webhooks are flowing: workers poll its payouts only as a safety net meanwhile.
    await recordWebhookArrival(deps.queues.connection, deps.queues.prefix, adapter.id).catch((error) =>
      req.log.warn({ err: error }, 'could not record the webhook arrival'),
    );

    const payout = await resolvePayout(deps, adapter.id, event.providerPayoutId, event.reference);
    const payoutId = payout?.id ?? null;
    const inserted = await deps.db
      .insert(providerEvents)
      .values({
        provider: adapter.id,
        eventId: event.eventId,
        eventType: event.eventType,
        payoutId,
        providerPayoutId: event.providerPayoutId,
        claimed: event.state ? { outcome: event.state.outcome, rawStatus: event.state.rawStatus } : null,
      })
      .onConflictDoNothing()
      .returning({ id: providerEvents.id });
    const duplicate = inserted.length === 0;

    if (!duplicate && payout && event.state) {
      // If this enqueue is lost, polling still finds the same state; the webhook only made it sooner.
      await confirmLater(deps, adapter, payout, event.eventId, event.state.outcome).catch((error) =>
        req.log.warn({ err: error, payoutId }, 'could not enqueue webhook confirmation'),
      );
    }
    // A downtime the provider announces pauses (or, resolved, resumes) that provider's modes.
    if (!duplicate && event.downtime) await applyDowntimeNotice(deps, adapter.id, event.downtime, event.eventId);
    // 200 even for events about payouts we do not know: the provider must stop retrying them.
    res.json({ received: true, duplicate, payout_id: payoutId });
  });
  return router;
}

/**
 * Hands the webhook's claim to the workers to confirm with the provider. At a provider that lists,
 * the payout joins the current list window (no job of its own: the window's one job confirms them
 * all), unless the webhook only says "on its way" of a payout we already have as `processing` —
 * nothing moves money on that, and it is half of a run's webhooks. Elsewhere, a `confirm` job
 * looks the payout up.
 */
async function confirmLater(
  deps: ApiDeps,
  adapter: ProviderAdapter,
  payout: { id: string; status: PayoutStatus },
  eventId: string,
  claimed: PayoutStatus,
): Promise<void> {
  if (adapter.capabilities.has('list')) {
    if (claimed === 'processing' && payout.status === 'processing') return;
    await joinConfirmWindow(deps.queues, adapter.id, payout.id, deps.confirmWindowMs ?? 1_000, Date.now());
    return;
  }
  await deps.queues.toProvider(
    adapter.id,
    'confirm',
    { payoutId: payout.id, eventId, claimed },
    { jobId: jobIds.confirm(adapter.id, eventId) },
  );
}

async function resolvePayout(
  deps: ApiDeps,
  provider: ProviderId,
  providerPayoutId: string | null,
  reference: string | null,
): Promise<{ id: string; status: PayoutStatus } | null> {
  if (providerPayoutId) {
    const [row] = await deps.db
      .select({ id: payouts.id, status: payouts.status })
      .from(payouts)
      .where(and(eq(payouts.provider, provider), eq(payouts.providerPayoutId, providerPayoutId)));
    if (row) return row;
  }
  if (reference) {
    // Our reference is our payout id (the adapters send it): a webhook can arrive before the
    // worker's report has recorded the provider's id.
    const [row] = await deps.db
      .select({ id: payouts.id, status: payouts.status })
      .from(payouts)
      .where(and(eq(payouts.id, reference), eq(payouts.provider, provider)));
    if (row) return row;
  }
  return null;
}
