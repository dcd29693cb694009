import type { ApprovalPolicy, approvalRequests } from '@payouts/db';

type RequestRow = typeof approvalRequests.$inferSelect;

/** The approval request a new payout or batch needs, or null when the policy lets it through. */
export function approvalRequestFor(
  policy: ApprovalPolicy | null,
  required: number,
  subject: { id: string; kind: 'payout' | 'batch'; tenantId: string },
  maker: { keyId: string; label: string | null },
  now: Date,
): RequestRow | null {
  if (!policy || required === 0) return null;
  return {
    subjectId: subject.id,
    tenantId: subject.tenantId,
    kind: subject.kind,
    status: 'pending',
    approvalsRequired: required,
    makerKeyId: maker.keyId,
    makerLabel: maker.label,
    expiresAt: new Date(now.getTime() + policy.expires_after_hours * 3600_000),
    createdAt: now,
    decidedAt: null,
  };
}
