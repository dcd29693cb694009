import { type FieldIssue, newId } from '@payouts/core';
import type { NewPayout } from '@payouts/payouts';
import type { CanonicalPayout, ProviderAdapter } from '@payouts/providers';
import type { ApiDeps } from './deps.ts';
import { zodIssues } from './problem.ts';
import { type CreatePayoutBody, createPayoutSchema } from './schemas.ts';

/** A payout request that passed every rule — ours and its provider's — ready to be stored. */
export interface PreparedPayout {
  id: string;
  body: CreatePayoutBody;
  provider: ProviderAdapter['id'];
  adapter: ProviderAdapter;
  canonical: CanonicalPayout;
}

/**
 * The one validation of a payout request, used by `POST /v1/payouts` and for every row of a
 * batch: the canonical schema, then routing, then the chosen provider's own rules. Returns the
 * issues (with the request's own field paths) instead of throwing, so a batch can report per row.
 */
export function preparePayout(
  deps: ApiDeps,
  raw: unknown,
): { ok: true; payout: PreparedPayout } | { ok: false; issues: FieldIssue[] } {
  const parsed = createPayoutSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const body = parsed.data;
  const provider = body.provider ?? deps.routes[body.currency];
  if (!provider) {
    return {
      ok: false,
      issues: [{ path: 'currency', message: `no provider is configured for ${body.currency}; name one in provider` }],
    };
  }
  const adapter = deps.adapters.get(provider);
  if (!adapter) {
    return {
      ok: false,
      issues: [
        {
          path: body.provider ? 'provider' : 'currency',
          message: `provider ${provider} is not enabled on this deployment`,
        },
      ],
    };
  }
  if (!adapter.currencies.includes(body.currency)) {
    return {
      ok: false,
      issues: [
        { path: 'currency', message: `${provider} pays out in ${adapter.currencies.join(', ')}, not ${body.currency}` },
      ],
    };
  }
  const id = newId('payout');
  const canonical: CanonicalPayout = {
    id,
    amount: BigInt(body.amount),
    currency: body.currency,
    method: body.method,
    purpose: body.purpose ?? null,
    referenceId: body.reference_id ?? null,
    narration: body.narration ?? null,
    description: body.description ?? null,
    beneficiary: body.beneficiary,
    queueIfLowBalance: body.queue_if_low_balance,
    metadata: body.metadata ?? null,
    // Derived from our payout id, minted here once: every retry and replay sends the same key.
    idempotencyKey: id,
  };
  const issues = adapter.validate(canonical);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, payout: { id, body, provider, adapter, canonical } };
}

/** The row to insert for a prepared payout (the API inserts new payouts; the reconciler changes them). */
export function payoutRow(
  p: PreparedPayout,
  tenantId: string,
  extra: {
    batchId?: string;
    batchRow?: number;
    queueIfLowBalance?: boolean;
    referenceGuarded?: boolean;
    /** A scheduled run's time, for each of its rows. */
    scheduledFor?: Date;
    createdAt?: Date;
    updatedAt?: Date;
  } = {},
): NewPayout {
  const scheduledFor = extra.scheduledFor ?? p.body.scheduled_for ?? null;
  return {
    id: p.id,
    tenantId,
    // A payout with a time waits for it in `scheduled`: nothing held, nothing sent, no job queued.
    status: scheduledFor ? 'scheduled' : 'accepted',
    scheduledFor,
    amount: p.canonical.amount,
    currency: p.body.currency,
    provider: p.provider,
    method: p.body.method,
    purpose: p.body.purpose ?? null,
    referenceId: p.body.reference_id ?? null,
    referenceGuarded: extra.referenceGuarded ?? true,
    narration: p.body.narration ?? null,
    description: p.body.description ?? null,
    beneficiary: p.body.beneficiary,
    queueIfLowBalance: extra.queueIfLowBalance ?? p.body.queue_if_low_balance,
    metadata: p.body.metadata ?? null,
    providerIdempotencyKey: p.canonical.idempotencyKey,
    feeReserve: p.adapter.feeReserve(p.canonical),
    batchId: extra.batchId ?? null,
    batchRow: extra.batchRow ?? null,
    ...(extra.createdAt ? { createdAt: extra.createdAt } : {}),
    ...(extra.updatedAt ? { updatedAt: extra.updatedAt } : {}),
  };
}
