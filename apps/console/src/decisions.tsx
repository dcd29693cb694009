import { useState } from 'react';
import { api, unwrap } from './api/client';
import type { Session } from './pages/page';
import { ActionButton } from './ui';

/** Keys that may decide on what waits for approval (the API's roles: admin and approver). */
export function mayDecide(session: Session): boolean {
  return session.role === 'tenant' && (session.tenant_role === 'admin' || session.tenant_role === 'approver');
}

/**
 * Approve or reject a payout or a batch waiting for approval. A rejection carries a reason (the API
 * requires one); the API refuses the maker's own key and label (`approver_is_maker`), shown as given.
 */
export function ApprovalDecision({
  kind,
  id,
  onDecided,
}: {
  kind: 'payout' | 'batch';
  id: string;
  onDecided: () => void;
}) {
  const [reason, setReason] = useState('');
  const path = { params: { path: { id } } };
  return (
    <div className="decision" data-testid={`decide-${id}`}>
      <ActionButton
        label="Approve"
        kind="primary"
        run={async () => {
          const { approval } =
            kind === 'payout'
              ? unwrap(await api.POST('/v1/payouts/{id}/approve', path))
              : unwrap(await api.POST('/v1/payout-batches/{id}/approve', path));
          onDecided();
          return approval.status === 'approved'
            ? 'approved: released'
            : `approval counted (${approval.approvals} of ${approval.approvals_required})`;
        }}
      />
      <input
        aria-label={`Reason to reject ${id}`}
        placeholder="Reason to reject"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
      />
      <ActionButton
        label="Reject"
        kind="danger"
        run={async () => {
          const body = { reason: reason.trim() };
          if (kind === 'payout') unwrap(await api.POST('/v1/payouts/{id}/reject', { ...path, body }));
          else unwrap(await api.POST('/v1/payout-batches/{id}/reject', { ...path, body }));
          onDecided();
          return 'rejected: cancelled';
        }}
      />
    </div>
  );
}
