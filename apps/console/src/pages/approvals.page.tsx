import { useState } from 'react';
import { api, type Schemas, unwrap } from '../api/client';
import { ApprovalDecision, mayDecide } from '../decisions';
import { Link } from '../router';
import { ActionButton, Card, ErrorBox, Loading, Status, useLoad, When } from '../ui';
import { definePage, type Session } from './page';

type Approval = Schemas['Approval'];
type ApprovalStatus = Approval['status'];

/**
 * What waits for a human's approval (GET /v1/approvals), with the decisions an approver can take
 * here; and, for an admin key, the tenant's approval policy (GET/PUT /v1/approval-policy).
 */
function Approvals({ session }: { session: Session }) {
  const [status, setStatus] = useState<ApprovalStatus>('pending');
  const list = useLoad(
    async () => unwrap(await api.GET('/v1/approvals', { params: { query: { status, limit: 100 } } })),
    [status],
    { every: 5000 },
  );
  return (
    <>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as ApprovalStatus)}>
            <option value="pending">pending</option>
            <option value="approved">approved</option>
            <option value="rejected">rejected</option>
            <option value="expired">expired</option>
          </select>
        </label>
      </form>
      <ErrorBox error={list.error} />
      {!list.data ? (
        !list.error && <Loading what="approvals" />
      ) : list.data.data.length === 0 ? (
        <p className="muted">Nothing {status}.</p>
      ) : (
        <table data-testid="approvals">
          <thead>
            <tr>
              <th>What</th>
              <th>Status</th>
              <th>Approvals</th>
              <th>Made by</th>
              <th>Expires</th>
              <th>Decisions</th>
              {status === 'pending' && mayDecide(session) && <th>Decide</th>}
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((a) => (
              <tr key={a.subject_id} data-subject={a.subject_id}>
                <td>
                  {a.kind}{' '}
                  <Link to={a.kind === 'payout' ? `/payouts/${a.subject_id}` : `/batches/${a.subject_id}`}>
                    {a.subject_id}
                  </Link>
                </td>
                <td>
                  <Status value={a.status} />
                </td>
                <td>
                  {a.approvals} of {a.approvals_required}
                </td>
                <td>{a.maker.label ?? <code>{a.maker.key_id}</code>}</td>
                <td>
                  <When at={a.expires_at} />
                </td>
                <td className="small">
                  {a.decisions.map((d) => (
                    <div key={`${d.key_id}:${d.created_at}`}>
                      {d.decision} by {d.label ?? d.key_id}
                      {d.reason ? `: ${d.reason}` : ''}
                    </div>
                  ))}
                </td>
                {status === 'pending' && mayDecide(session) && (
                  <td>
                    <ApprovalDecision kind={a.kind} id={a.subject_id} onDecided={list.reload} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {session.tenant_role === 'admin' && <Policy />}
    </>
  );
}

/** The policy as the API takes it (PUT replaces it whole; `rules: []` turns approvals off). */
function Policy() {
  const policy = useLoad(async () => unwrap(await api.GET('/v1/approval-policy')), []);
  const [draft, setDraft] = useState<string>();
  const shown =
    draft ??
    (policy.data
      ? JSON.stringify({ rules: policy.data.rules, expires_after_hours: policy.data.expires_after_hours }, null, 2)
      : '');
  return (
    <Card title="Approval policy" testId="approval-policy">
      <ErrorBox error={policy.error} />
      <p className="muted small">
        A payout (kind <code>payout</code>) or a batch's total per currency (kind <code>batch</code>) of at least{' '}
        <code>min_amount</code> (minor units) waits for <code>approvals_required</code> distinct approvals.
      </p>
      <textarea
        aria-label="Policy (JSON)"
        rows={10}
        cols={70}
        value={shown}
        onChange={(e) => setDraft(e.target.value)}
      />
      <ActionButton
        label="Save the policy"
        run={async () => {
          let body: Schemas['ApprovalPolicy'];
          try {
            body = JSON.parse(shown) as Schemas['ApprovalPolicy'];
          } catch {
            throw new Error('The policy is not valid JSON');
          }
          unwrap(await api.PUT('/v1/approval-policy', { body }));
          setDraft(undefined);
          policy.reload();
          return 'saved';
        }}
      />
    </Card>
  );
}

export default definePage({
  path: '/approvals',
  title: 'Approvals',
  nav: { label: 'Approvals', order: 15 },
  audiences: ['tenant'],
  Component: Approvals,
});
