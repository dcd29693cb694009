import { CURRENCIES, MAX_AMOUNT_MINOR } from '@payouts/core';
import { APPROVAL_REASONS } from '@payouts/db';
import { amountIn, batchStatusSchema, payoutSchema, z } from './schemas.ts';

/**
 * Request and response schemas of approvals (routes/approvals.ts; docs/api.md, "Approvals").
 * At most 90 days of waiting: a decision nobody takes for longer is not a decision.
 */
const MAX_EXPIRY_HOURS = 90 * 24;

const minAmount = z
  .partialRecord(z.enum(CURRENCIES, { error: `must be one of ${CURRENCIES.join(', ')}` }), amountIn())
  .refine((m) => Object.keys(m).length > 0, 'must name at least one currency')
  .openapi({
    description: `Per currency, the amount (minor units, 1 to ${MAX_AMOUNT_MINOR}) from which the rule applies.`,
    example: { INR: 1000000 },
  });

export const approvalRuleSchema = z
  .strictObject({
    kind: z.enum(['payout', 'batch'], { error: 'must be payout or batch' }).openapi({
      description: '`payout`: a payout created alone, by its amount; `batch`: a run, by its total per currency.',
    }),
    min_amount: minAmount,
    approvals_required: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2' }),
  })
  .openapi('ApprovalRule');

export const approvalPolicySchema = z
  .strictObject({
    rules: z.array(approvalRuleSchema).max(20, 'may hold at most 20 rules'),
    expires_after_hours: z
      .number({ error: 'must be a whole number of hours' })
      .int('must be a whole number of hours')
      .min(1, 'must be at least 1')
      .max(MAX_EXPIRY_HOURS, `must be at most ${MAX_EXPIRY_HOURS} (90 days)`)
      .default(168),
  })
  .openapi('ApprovalPolicy');

export const approvalPolicyResource = z
  .object({
    object: z.literal('approval_policy'),
    rules: z.array(
      z.object({
        kind: z.enum(['payout', 'batch']),
        min_amount: z.record(z.string(), z.number().int()),
        approvals_required: z.number().int(),
      }),
    ),
    expires_after_hours: z.number().int(),
  })
  .openapi('ApprovalPolicyResource');

export const rejectBodySchema = z
  .strictObject({
    reason: z
      .string({ error: 'must be a text saying why' })
      .trim()
      .min(1, 'must say why')
      .max(500, 'must be at most 500 characters'),
  })
  .openapi('ApprovalRejection');

const decisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  key_id: z.string(),
  label: z.string().nullable().openapi({ description: 'The label of the key: the person who decided.' }),
  reason: z.string().nullable(),
  created_at: z.string(),
});

export const approvalSchema = z
  .object({
    object: z.literal('approval'),
    subject_id: z.string().openapi({ description: 'The payout (`po_…`) or batch (`bat_…`) waiting for approval.' }),
    kind: z.enum(['payout', 'batch']),
    status: z.enum(['pending', 'approved', 'rejected', 'expired']),
    approvals_required: z.number().int(),
    reasons: z.array(z.enum(APPROVAL_REASONS)).openapi({
      description:
        'Why it waits: `approval_policy` (the tenant’s approval policy caught its amount), `beneficiary_cooling_off` (it pays a saved beneficiary whose bank details changed within the tenant’s `beneficiary_cooling_off_hours`; a batch: at least one of its rows does).',
    }),
    approvals: z.number().int().openapi({ description: 'Distinct approvals given so far.' }),
    maker: z.object({ key_id: z.string(), label: z.string().nullable() }),
    decisions: z.array(decisionSchema),
    expires_at: z.string(),
    created_at: z.string(),
    decided_at: z.string().nullable(),
  })
  .openapi('Approval');

export const payoutDecisionSchema = z
  .object({ approval: approvalSchema, payout: payoutSchema })
  .openapi('PayoutApprovalDecision');

export const approvalListQuery = z.strictObject({
  status: z.enum(['pending', 'approved', 'rejected', 'expired']).default('pending'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const approvalListSchema = z.object({ data: z.array(approvalSchema) }).openapi('ApprovalList');

export const batchDecisionSchema = z
  .object({ approval: approvalSchema, batch: batchStatusSchema })
  .openapi('BatchApprovalDecision');
