import type { ApprovalPolicy, ApprovalReason, approvalRequests } from '@payouts/db';

type RequestRow = typeof approvalRequests.$inferSelect;

/** How long a request waits without a policy saying so (a cooling-off caught it): the policy's default. */
export const DEFAULT_APPROVAL_EXPIRY_HOURS = 168;

/**
 * The approval request a new payout or batch needs, or null when nothing holds it: the approvals
 * its amount needs under the tenant's policy (`approvalsRequired`), and at least one when it pays
 * a saved beneficiary whose bank details changed within the tenant's cooling-off. One request,
 * whatever the reasons: approving it once is approving all of them.
 */
export function approvalRequestFor(
  policy: ApprovalPolicy | null,
  need: { required: number; coolingOff: boolean },
  subject: { id: string; kind: 'payout' | 'batch'; tenantId: string },
  maker: { keyId: string; label: string | null },
  now: Date,
): RequestRow | null {
  const reasons: ApprovalReason[] = [
    ...(need.required > 0 ? (['approval_policy'] as const) : []),
    ...(need.coolingOff ? (['beneficiary_cooling_off'] as const) : []),
  ];
  if (reasons.length === 0) return null;
  const expiresAfterHours = policy?.expires_after_hours ?? DEFAULT_APPROVAL_EXPIRY_HOURS;
  return {
    subjectId: subject.id,
    tenantId: subject.tenantId,
    kind: subject.kind,
    status: 'pending',
    approvalsRequired: Math.max(need.required, 1),
    reasons,
    makerKeyId: maker.keyId,
    makerLabel: maker.label,
    expiresAt: new Date(now.getTime() + expiresAfterHours * 3600_000),
    createdAt: now,
    decidedAt: null,
  };
}
