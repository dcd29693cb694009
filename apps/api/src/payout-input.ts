import { type FieldIssue, newId } from '@payouts/core';
import type { BeneficiaryType, RoutingRules } from '@payouts/db';
import type { NewPayout } from '@payouts/payouts';
import {
  AUTO_METHOD,
  autoRail,
  type CanonicalPayout,
  PROVIDER_RAILS,
  type ProviderAdapter,
  railIssues,
} from '@payouts/providers';
import type { ApiDeps } from './deps.ts';
import { zodIssues } from './problem.ts';
import { matchingRule } from './routing-schemas.ts';
import {
  asSavedBeneficiaryIssue,
  coolingOffDecision,
  payoutBeneficiaryOf,
  type SavedBeneficiary,
  unpayableIssue,
} from './saved-beneficiaries.ts';
import { type CreatePayoutBody, createPayoutSchema } from './schemas.ts';

/** A payout request that passed every rule — ours and its provider's — ready to be stored. */
export interface PreparedPayout {
  id: string;
  body: CreatePayoutBody;
  provider: ProviderAdapter['id'];
  adapter: ProviderAdapter;
  /** `method` is the rail: the one asked for, or the one `method: "auto"` chose. */
  canonical: CanonicalPayout;
  /** Set when the engine chose the rail (`method: "auto"`): what its history says about it. */
  railChoice: { requested: typeof AUTO_METHOD; chosen: string } | null;
  /** The saved beneficiary and version paid, when the request named `beneficiary_id`. */
  saved: { id: string; version: number } | null;
  /**
   * Set when the saved beneficiary's bank details changed within the tenant's cooling-off: the
   * payout waits for an approval (reason `beneficiary_cooling_off`) until someone else approves it.
   */
  coolingOffEndsAt: Date | null;
  /**
   * Set when a routing rule chose the providers: the route (first = `provider`), cut to those whose
   * rules the payout satisfies, and the confirmed failure codes that may move it to the next.
   */
  route: { providers: ProviderAdapter['id'][]; fallbackOn: string[] } | null;
  /** Who the beneficiary is to the tenant: the saved beneficiary's type, or the inline one's (or null). */
  beneficiaryType: BeneficiaryType | null;
}

/** Why a payout was refused: the issues naming the request's fields. */
export type PrepareResult = { ok: true; payout: PreparedPayout } | { ok: false; issues: FieldIssue[] };

/** The `beneficiary_id` a raw request names, if any: to load them all before preparing. */
export function beneficiaryIdOf(raw: unknown): string | null {
  if (raw === null || typeof raw !== 'object') return null;
  const id = (raw as Record<string, unknown>).beneficiary_id;
  return typeof id === 'string' ? id : null;
}

/**
 * The one validation of a payout request, used by `POST /v1/payouts` and for every row of a
 * batch: the canonical schema, then routing (the tenant's first matching routing rule, else the
 * currency's provider), then each provider's own rules: the route keeps the providers whose rules
 * the payout satisfies, and a payout none of them takes is refused with the first one's issues. Returns the
 * issues (with the request's own field paths) instead of throwing, so a batch can report per row.
 */
export function preparePayout(
  deps: ApiDeps,
  raw: unknown,
  savedBeneficiaries: ReadonlyMap<string, SavedBeneficiary> = new Map(),
  now: Date = new Date(),
  tenantPurposes: readonly string[] = [],
  routingRules: RoutingRules | null = null,
): PrepareResult {
  const parsed = createPayoutSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const body = parsed.data;
  // Taken before routing, since a rule may match on it. An unknown saved beneficiary has none
  // here; `fit` refuses it, whichever route it got.
  const beneficiaryType =
    body.beneficiary_id !== undefined
      ? (savedBeneficiaries.get(body.beneficiary_id)?.beneficiary.type ?? null)
      : (body.beneficiary?.type ?? null);
  const rule = body.provider
    ? null
    : matchingRule(routingRules, { ...body, amount: BigInt(body.amount), beneficiaryType });
  // A payout naming its provider, or matching no rule, has one provider (today's currency routing).
  // A rule's providers were checked when it was saved; `fit` still refuses one no longer enabled.
  const candidates = rule ? (rule.providers as ProviderAdapter['id'][]) : [body.provider ?? deps.routes[body.currency]];
  const ctx: FitContext = {
    deps,
    body,
    savedBeneficiaries,
    now,
    tenantPurposes,
    named: body.provider !== undefined,
    beneficiaryType,
  };
  let first: PreparedPayout | null = null;
  let firstIssues: FieldIssue[] | null = null;
  const route: ProviderAdapter['id'][] = [];
  for (const provider of candidates) {
    // The route's later providers are checked with the rail the first one chose (`auto`), and
    // with the first one's id and key: the payout is one payout, whichever provider pays it.
    const fitted = fit(ctx, provider, first);
    if (!fitted.ok) {
      firstIssues ??= fitted.issues;
      continue;
    }
    first ??= fitted.payout;
    route.push(fitted.payout.provider);
    // A saved beneficiary's provider account belongs to one provider: such a payout keeps one.
    if (first.saved) break;
  }
  if (!first) return { ok: false, issues: firstIssues ?? [] };
  return {
    ok: true,
    payout: { ...first, route: rule ? { providers: route, fallbackOn: rule.fallback_on } : null },
  };
}

interface FitContext {
  deps: ApiDeps;
  body: CreatePayoutBody;
  savedBeneficiaries: ReadonlyMap<string, SavedBeneficiary>;
  now: Date;
  tenantPurposes: readonly string[];
  /** Whether the request named the provider (its issues are then about `provider`). */
  named: boolean;
  beneficiaryType: BeneficiaryType | null;
}

/** The payout prepared for one provider, by that provider's own rules and its rails' limits. */
function fit(
  ctx: FitContext,
  provider: ProviderAdapter['id'] | undefined,
  first: PreparedPayout | null,
): PrepareResult {
  const { deps, body } = ctx;
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
          path: ctx.named ? 'provider' : 'currency',
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
  // The type is the payout's (`beneficiary_type`), not bank details: providers never see it here.
  let beneficiary = body.beneficiary && withoutType(body.beneficiary);
  let saved: SavedBeneficiary | undefined;
  let coolingOffEndsAt: Date | null = null;
  if (body.beneficiary_id !== undefined) {
    saved = ctx.savedBeneficiaries.get(body.beneficiary_id);
    const unpayable = unpayableIssue(body.beneficiary_id, saved);
    if (unpayable || !saved) return { ok: false, issues: unpayable ? [unpayable] : [] };
    const coolingOff = coolingOffDecision(saved, ctx.now);
    if (coolingOff.kind === 'approval') coolingOffEndsAt = coolingOff.endsAt;
    beneficiary = payoutBeneficiaryOf(saved, provider);
  }
  if (!beneficiary) {
    // The schema requires one of the two; this keeps the type honest.
    return { ok: false, issues: [{ path: 'beneficiary', message: 'is required' }] };
  }
  const amount = BigInt(body.amount);
  const rails = (deps.rails ?? PROVIDER_RAILS).get(provider) ?? {};
  let method = first?.canonical.method ?? body.method;
  let railChoice: PreparedPayout['railChoice'] = first?.railChoice ?? null;
  if (method === AUTO_METHOD) {
    const chosen = autoRail(rails, { amount, beneficiary });
    if (!chosen) {
      return {
        ok: false,
        issues: [{ path: 'method', message: `${provider} has no rail that fits this payout; name the method` }],
      };
    }
    method = chosen;
    railChoice = { requested: AUTO_METHOD, chosen };
  }
  const id = first?.id ?? newId('payout');
  const canonical: CanonicalPayout = {
    id,
    amount,
    currency: body.currency,
    method,
    purpose: body.purpose ?? null,
    purposeRegistered: body.purpose !== undefined && ctx.tenantPurposes.includes(body.purpose),
    referenceId: body.reference_id ?? null,
    narration: body.narration ?? null,
    description: body.description ?? null,
    beneficiary,
    queueIfLowBalance: body.queue_if_low_balance,
    metadata: body.metadata ?? null,
    // Derived from our payout id, minted here once: every retry and replay sends the same key.
    idempotencyKey: id,
    beneficiaryId: saved?.beneficiary.id ?? null,
    beneficiaryType: ctx.beneficiaryType,
  };
  // The provider's own rules, then its rails' limits: a ₹100 RTGS payout is refused here, not at the bank.
  const issues = [...adapter.validate(canonical), ...railIssues(rails, canonical)];
  if (issues.length > 0) return { ok: false, issues: saved ? issues.map(asSavedBeneficiaryIssue) : issues };
  const paid = saved ? { id: saved.beneficiary.id, version: saved.version.version } : null;
  return {
    ok: true,
    payout: {
      id,
      body,
      provider,
      adapter,
      canonical,
      saved: paid,
      railChoice,
      coolingOffEndsAt,
      route: null,
      beneficiaryType: ctx.beneficiaryType,
    },
  };
}

function withoutType<T extends { type?: unknown }>(beneficiary: T): Omit<T, 'type'> {
  const { type: _type, ...rest } = beneficiary;
  return rest;
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
    method: p.canonical.method,
    purpose: p.body.purpose ?? null,
    purposeRegistered: p.canonical.purposeRegistered ?? false,
    referenceId: p.body.reference_id ?? null,
    referenceGuarded: extra.referenceGuarded ?? true,
    narration: p.body.narration ?? null,
    description: p.body.description ?? null,
    beneficiary: p.canonical.beneficiary,
    beneficiaryId: p.saved?.id ?? null,
    beneficiaryVersion: p.saved?.version ?? null,
    beneficiaryType: p.beneficiaryType,
    queueIfLowBalance: extra.queueIfLowBalance ?? p.body.queue_if_low_balance,
    railFallback: p.body.rail_fallback ?? null,
    route: p.route?.providers ?? null,
    routeFallbackOn: p.route?.fallbackOn ?? null,
    metadata: p.body.metadata ?? null,
    providerIdempotencyKey: p.canonical.idempotencyKey,
    feeReserve: p.adapter.feeReserve(p.canonical),
    batchId: extra.batchId ?? null,
    batchRow: extra.batchRow ?? null,
    ...(extra.createdAt ? { createdAt: extra.createdAt } : {}),
    ...(extra.updatedAt ? { updatedAt: extra.updatedAt } : {}),
  };
}

/** What a payout's first history entry says beyond who created it: the rail the engine chose, if it did. */
export function acceptedDetail(p: PreparedPayout): Record<string, unknown> {
  return {
    ...(p.railChoice ? { method_requested: p.railChoice.requested, method: p.railChoice.chosen } : {}),
    ...(p.route ? { route: p.route.providers } : {}),
  };
}
