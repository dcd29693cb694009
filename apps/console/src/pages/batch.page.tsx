import { api, unwrap } from '../api/client';
import { ApprovalDecision, mayDecide } from '../decisions';
import { Link } from '../router';
import { Card, ErrorBox, Loading, Money, Status, useLoad, When } from '../ui';
import { definePage, type Session } from './page';

function BatchDetail({ params, session }: { params: Record<string, string>; session: Session }) {
  const id = params.id ?? '';
  const batch = useLoad(
    async () => unwrap(await api.GET('/v1/payout-batches/{id}', { params: { path: { id } } })),
    [id],
    { every: 2000 },
  );
  const b = batch.data;
  return (
    <>
      <p>
        <Link to="/batches">← Batches</Link>
      </p>
      <ErrorBox error={batch.error} />
      {!b ? (
        !batch.error && <Loading what="the batch" />
      ) : (
        <div className="grid">
          <Card title={b.id} testId="batch">
            <p>
              <span data-testid="batch-status">
                <Status value={b.status} />
              </span>{' '}
              {b.progress.final} of {b.progress.total} payouts final ({b.progress.percent}%)
            </p>
            <progress max={b.progress.total || 1} value={b.progress.final} />
            {b.status === 'pending_approval' && mayDecide(session) && (
              <ApprovalDecision kind="batch" id={b.id} onDecided={batch.reload} />
            )}
            <dl className="facts">
              <dt>Rows</dt>
              <dd>
                {b.rows.total} uploaded, {b.rows.accepted} accepted, {b.rows.rejected} refused
              </dd>
              <dt>Mode</dt>
              <dd>
                {b.mode}, {b.on_insufficient_funds} when the wallet is low
              </dd>
              <dt>Created</dt>
              <dd>
                <When at={b.created_at} />
              </dd>
              <dt>Completed</dt>
              <dd>
                <When at={b.completed_at} />
              </dd>
            </dl>
            <p>
              <a href={`/v1/payout-batches/${b.id}/results.csv`} download data-testid="results">
                Download the results (CSV, one line per row)
              </a>{' '}
              · <Link to={`/payouts?batch_id=${b.id}`}>Its payouts</Link>
            </p>
          </Card>
          <Card title="By state">
            <table data-testid="batch-counts">
              <thead>
                <tr>
                  <th>State</th>
                  <th>Payouts</th>
                  <th>Amounts</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(b.counts).map(([state, n]) => (
                  <tr key={state}>
                    <td>
                      <Status value={state} />
                    </td>
                    <td>{n}</td>
                    <td>
                      {Object.entries(b.amounts).map(([currency, byState]) =>
                        byState[state] !== undefined ? (
                          <Money key={currency} amount={byState[state]} currency={currency} />
                        ) : null,
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        </div>
      )}
    </>
  );
}

export default definePage({
  path: '/batches/:id',
  title: 'Batch',
  audiences: ['tenant'],
  Component: BatchDetail,
});
