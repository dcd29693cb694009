import { CURRENCIES, type FieldIssue, MAX_AMOUNT_MINOR } from '@payouts/core';
import { BENEFICIARY_TYPES, type RoutingRules } from '@payouts/db';
import type { ApiDeps } from './deps.ts';
import { beneficiaryTypeSchema, z } from './schemas.ts';

/** Request and response schemas of routing rules (routes/routing-rules.ts; docs/api.md, "Routing rules"). */

const amountBound = (what: string) =>
  z
    .number({ error: 'must be a whole number of minor units' })
    .int('must be a whole number of minor units')
    .min(0, 'must be at least 0')
    .max(Number(MAX_AMOUNT_MINOR), `must be at most ${MAX_AMOUNT_MINOR}`)
    .optional()
    .openapi({ description: `${what} (minor units, inclusive).` });

const code = z.string({ error: 'must be a failure code' }).trim().min(1, 'must be a failure code').max(64);

export const routingRuleSchema = z
  .strictObject({
    match: z
      .strictObject({
        currency: z.enum(CURRENCIES, { error: `must be one of ${CURRENCIES.join(', ')}` }).optional(),
        method: z
          .string({ error: 'must be a method' })
          .trim()
          .min(1, 'must be a method')
          .max(32)
          .optional()
          .openapi({ description: 'The payout’s `method` as requested (`IMPS`, `NEFT`, `auto`, …).' }),
        amount_min: amountBound('The smallest amount the rule matches'),
        amount_max: amountBound('The largest amount the rule matches'),
        beneficiary_type: beneficiaryTypeSchema.optional().openapi({
          description:
            'Matches only payouts whose beneficiary has this type (the saved beneficiary’s `type`, or the inline `beneficiary.type`); a payout whose beneficiary has no type matches no rule naming one.',
        }),
      })
      .default({})
      .openapi({ description: 'Every key is optional; a rule without `match` matches every payout.' }),
    providers: z
      .array(z.string({ error: 'must be a provider id' }), { error: 'must be a list of providers' })
      .min(1, 'must name at least one provider')
      .max(4, 'may name at most 4 providers')
      .openapi({ description: 'The route, in order: the first is tried first.' }),
    fallback_on: z
      .array(code, { error: 'must be a list of failure codes' })
      .max(20, 'may hold at most 20 codes')
      .default([])
      .openapi({
        description:
          'Failure codes (as in the payout’s `failure.code`) which, once the current provider has confirmed them, send the payout to the next provider of its route.',
      }),
  })
  .openapi('RoutingRule');

export const routingRulesSchema = z
  .strictObject({ rules: z.array(routingRuleSchema).max(20, 'may hold at most 20 rules') })
  .openapi('RoutingRules');

export const routingRulesResource = z
  .object({
    object: z.literal('routing_rules'),
    rules: z.array(
      z.object({
        match: z.object({
          currency: z.string().optional(),
          method: z.string().optional(),
          amount_min: z.number().int().optional(),
          amount_max: z.number().int().optional(),
          beneficiary_type: z.enum(BENEFICIARY_TYPES).optional(),
        }),
        providers: z.array(z.string()),
        fallback_on: z.array(z.string()),
      }),
    ),
  })
  .openapi('RoutingRulesResource');

/**
 * What the schema cannot check alone: each provider is enabled on this deployment, pays the
 * rule's currency (when it names one), appears once, and `amount_min` is not above `amount_max`.
 */
export function routingRuleIssues(deps: Pick<ApiDeps, 'adapters'>, rules: RoutingRules): FieldIssue[] {
  const issues: FieldIssue[] = [];
  rules.rules.forEach((rule, i) => {
    const { currency, amount_min: min, amount_max: max } = rule.match;
    if (min !== undefined && max !== undefined && min > max) {
      issues.push({ path: `rules.${i}.match.amount_min`, message: `must not be above amount_max (${max})` });
    }
    rule.providers.forEach((provider, j) => {
      const path = `rules.${i}.providers.${j}`;
      const adapter = deps.adapters.get(provider as never);
      if (!adapter) issues.push({ path, message: `${provider} is not a provider enabled on this deployment` });
      else if (currency && !adapter.currencies.includes(currency as never)) {
        issues.push({ path, message: `${provider} pays out in ${adapter.currencies.join(', ')}, not ${currency}` });
      } else if (rule.providers.indexOf(provider) !== j) issues.push({ path, message: `${provider} is named twice` });
    });
  });
  return issues;
}

/** The first rule a payout matches, or null. */
export function matchingRule(
  rules: RoutingRules | null,
  p: { currency: string; method: string; amount: bigint; beneficiaryType: string | null },
): RoutingRules['rules'][number] | null {
  for (const rule of rules?.rules ?? []) {
    const m = rule.match;
    if (m.currency !== undefined && m.currency !== p.currency) continue;
    if (m.method !== undefined && m.method.toUpperCase() !== p.method.toUpperCase()) continue;
    if (m.amount_min !== undefined && p.amount < BigInt(m.amount_min)) continue;
    if (m.amount_max !== undefined && p.amount > BigInt(m.amount_max)) continue;
    if (m.beneficiary_type !== undefined && m.beneficiary_type !== p.beneficiaryType) continue;
    return rule;
  }
  return null;
}
