import type { ApprovalPolicy } from '@payouts/db';

/**
 * How many distinct approvals a payout or a batch needs under a tenant's policy (docs/api.md,
 * "Approvals"): the most any rule of its kind asks for whose `min_amount` in a currency the amount
 * (a batch: its total in that currency) reaches. 0: no rule caught it, it goes ahead at once.
 */
export function approvalsRequired(
  policy: ApprovalPolicy | null,
  kind: 'payout' | 'batch',
  totals: ReadonlyMap<string, bigint>,
): number {
  if (!policy) return 0;
  let required = 0;
  for (const rule of policy.rules) {
    if (rule.kind !== kind) continue;
    for (const [currency, total] of totals) {
      const min = rule.min_amount[currency];
      if (min !== undefined && total >= BigInt(min)) required = Math.max(required, rule.approvals_required);
    }
  }
  return required;
}
