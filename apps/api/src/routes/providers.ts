import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { CURRENCIES, PROVIDER_IDS, type ProviderId, QUEUED_REASONS } from '@payouts/core';
import { payouts, providerDowntimes } from '@payouts/db';
import { expectedProviderBalances } from '@payouts/ledger';
import { activeDowntimes } from '@payouts/payouts';
import {
  budgetBurst,
  CALL_PRIORITIES,
  type CircuitState,
  type GateReason,
  ProviderGate,
  readProviderBudget,
} from '@payouts/queue';
import { and, asc, count, eq, gt, isNull } from 'drizzle-orm';
import { Router } from 'express';
import { requireOperator } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { providerRate } from '../provider-lookup.ts';
import { z } from '../schemas.ts';
import { parseQuery } from '../validation.ts';
import { downtimeResource, downtimeSchema } from './downtimes.ts';
import type { OperatorPathHelpers } from './operations.ts';

/**
 * Each provider's health as an operator needs it before acting (docs/operations.md, "Provider
 * health"): its circuit breaker and the reasons its submissions are held, both shared by every
 * worker through Redis; its downtimes in force or announced, and the payouts parked waiting, from
 * Postgres; its queue's jobs by state; the rate its workers are configured for.
 */

const GATE_REASONS = ['provider_low_balance', 'credentials_rejected'] as const satisfies readonly GateReason[];
const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const satisfies readonly CircuitState[];
/** The BullMQ states a provider queue's jobs can be in (submissions, polls). */
const PROVIDER_QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;

const providerHealthSchema = z
  .object({
    provider: z.enum(PROVIDER_IDS),
    circuit: z
      .object({
        state: z.enum(CIRCUIT_STATES).openapi({
          description:
            '`open`: submissions pause after a run of "provider is down" failures; `half_open`: the cooldown is over and the next result decides; `closed`: calls go through.',
        }),
        reopens_at: z
          .string()
          .nullable()
          .openapi({ description: 'While open: when calls are let through again (half-open).' }),
      })
      .openapi('ProviderCircuit'),
    gate_reasons: z.array(z.enum(GATE_REASONS)).openapi({
      description:
        'Why submissions are held besides the circuit: `provider_low_balance` (the provider said its float is short: payouts are parked and one probe at a time tries again; POST /v1/admin/providers/{provider}/funded releases them), `credentials_rejected` (the provider refused our credentials or account: the provider is parked and probed until its configuration is fixed).',
    }),
    parked: z.partialRecord(z.enum(QUEUED_REASONS), z.number().int()).openapi({
      description:
        'Payouts of this provider waiting in `queued`, by `queued_reason` (only reasons with at least one payout).',
      example: { provider_low_balance: 12 },
    }),
    downtimes: z.object({
      active: z.array(downtimeSchema),
      upcoming: z.array(downtimeSchema).openapi({ description: 'Declared or announced, not started yet.' }),
    }),
    queue: z
      .record(z.enum(PROVIDER_QUEUE_STATES), z.number().int())
      .openapi({ description: "The provider queue's jobs (submissions and polls) by BullMQ state." }),
    rate_per_second: z.number().openapi({
      description:
        'Requests a second the workers may send to the provider, shared by every worker (`<PROVIDER>_RATE_PER_SECOND`, as this API is configured).',
    }),
    rate_budget: z
      .object({
        tokens: z.number().openapi({ description: 'Tokens in the bucket now (a call takes one).' }),
        capacity: z.number().openapi({ description: 'The most the bucket holds (its burst).' }),
        paused_until: z.string().nullable().openapi({
          description: 'While a 429 from the provider holds every worker back: until when; else null.',
        }),
        waiting: z.record(z.enum(CALL_PRIORITIES), z.number().int()).openapi({
          description:
            'Calls waiting for a token now, by priority (single submissions first, then batch items, webhook confirmations, polls, reversal watch, reconciliation runs).',
        }),
        granted: z.number().int().openapi({ description: 'Calls let through since the bucket was created.' }),
        pauses: z.number().int().openapi({ description: '429 pauses since the bucket was created.' }),
      })
      .nullable()
      .openapi({
        description:
          "The provider's rate budget: one token bucket shared by every worker process and the reconciler's runs (docs/operations.md). Null until one of them has called the provider.",
      }),
    expected_float: z
      .array(
        z.object({
          currency: z.enum(CURRENCIES),
          funded: z.number().int().openapi({ description: 'Recorded fundings of the provider float.' }),
          paid_out: z.number().int().openapi({
            description:
              'What the provider paid out for us: amounts, fees and tax of processed payouts, less reversals.',
          }),
          amount: z.number().int().openapi({ description: '`funded − paid_out`: what the provider should hold.' }),
        }),
      )
      .openapi({
        description:
          'The float the ledger expects at the provider, per currency (minor units); empty until a funding or payout touched its accounts.',
      }),
  })
  .openapi('ProviderHealth');

export function providerHealthRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.get('/providers', async (req, res) => {
    requireOperator(req);
    parseQuery(z.strictObject({}), req);
    const now = new Date();
    const [parkedRows, upcomingRows, perProvider] = await Promise.all([
      deps.db
        .select({ provider: payouts.provider, reason: payouts.queuedReason, n: count() })
        .from(payouts)
        .where(eq(payouts.status, 'queued'))
        .groupBy(payouts.provider, payouts.queuedReason),
      deps.db
        .select()
        .from(providerDowntimes)
        .where(and(isNull(providerDowntimes.resolvedAt), gt(providerDowntimes.startsAt, now)))
        .orderBy(asc(providerDowntimes.startsAt)),
      Promise.all(PROVIDER_IDS.map((provider) => readProvider(deps, provider, now))),
    ]);
    const data = perProvider.map((health) => {
      const parked: Partial<Record<(typeof QUEUED_REASONS)[number], number>> = {};
      for (const row of parkedRows) {
        if (row.provider === health.provider && row.reason) parked[row.reason] = (parked[row.reason] ?? 0) + row.n;
      }
      const upcoming = upcomingRows.filter((d) => d.provider === health.provider).map((d) => downtimeResource(d, now));
      return { ...health, parked, downtimes: { ...health.downtimes, upcoming } };
    });
    res.json({ data });
  });

  return router;
}

async function readProvider(deps: ApiDeps, provider: ProviderId, now: Date) {
  const gate = new ProviderGate(deps.queues.connection, deps.queues.prefix, provider);
  const [state, wait, reasons, counts, active, budget, float] = await Promise.all([
    gate.circuitState(),
    gate.circuitWait(),
    gate.reasons(),
    deps.queues.provider(provider).getJobCounts(...PROVIDER_QUEUE_STATES),
    activeDowntimesOf(deps, provider, now),
    readProviderBudget(deps.queues.connection, deps.queues.prefix, provider),
    expectedProviderBalances(deps.db, { provider }),
  ]);
  return {
    provider,
    circuit: { state, reopens_at: state === 'open' ? new Date(now.getTime() + wait).toISOString() : null },
    gate_reasons: reasons,
    downtimes: { active },
    queue: Object.fromEntries(PROVIDER_QUEUE_STATES.map((s) => [s, counts[s] ?? 0])),
    rate_per_second: providerRate(deps, provider),
    rate_budget:
      budget.ratePerSecond === null
        ? null
        : {
            tokens: budget.tokens,
            capacity: budgetBurst(budget.ratePerSecond),
            paused_until: budget.pausedUntil === null ? null : new Date(budget.pausedUntil).toISOString(),
            waiting: budget.waiting,
            granted: budget.granted,
            pauses: budget.pauses,
          },
    // Ledger amounts stay within MAX_AMOUNT sums here: exact as JSON numbers.
    expected_float: float.map((f) => ({
      currency: f.currency,
      funded: Number(f.funded),
      paid_out: Number(f.paidOut),
      amount: Number(f.expected),
    })),
  };
}

/** The rate a provider's workers use when `<PROVIDER>_RATE_PER_SECOND` is not set: its registration's. */
async function activeDowntimesOf(deps: ApiDeps, provider: ProviderId, now: Date) {
  return (await activeDowntimes(deps.db, provider, now)).map((d) => downtimeResource(d, now));
}

/** The OpenAPI entry of this route. */
export function registerProviderHealthPaths(registry: OpenAPIRegistry, h: OperatorPathHelpers): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/providers',
    summary:
      "Every provider's health (operator): circuit, gate reasons, parked payouts, active and upcoming downtimes, queue depth by state, configured rate",
    security: h.security,
    responses: h.keyed('operator', 'get', {
      200: h.json(z.object({ data: z.array(providerHealthSchema) }), 'One entry per provider'),
    }),
  });
}
