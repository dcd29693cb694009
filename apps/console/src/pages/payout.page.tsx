import { api, unwrap } from '../api/client';
import { Link } from '../router';
import { ActionButton, Card, ErrorBox, Loading, Money, Status, useLoad, When } from '../ui';
import { definePage, type Session } from './page';

const FINAL = new Set(['processed', 'failed', 'rejected', 'cancelled', 'reversed']);
/** Before the provider has it: the states a cancel can still stop (the API decides; this hides a button). */
const CANCELLABLE = new Set(['accepted', 'reserved', 'queued']);

function PayoutDetail({ params, session }: { params: Record<string, string>; session: Session }) {
  const id = params.id ?? '';
  const operator = session.role === 'operator';
  // A tenant reads its own payout; an operator any tenant's, through the admin routes.
  const payout = useLoad(
    async () =>
      unwrap(
        operator
          ? await api.GET('/v1/admin/payouts/{id}', { params: { path: { id } } })
          : await api.GET('/v1/payouts/{id}', { params: { path: { id } } }),
      ),
    [id],
    // Refreshed while it moves; a final payout no longer changes (but a processed one may be reversed).
    { every: 3000 },
  );
  const events = useLoad(
    async () =>
      unwrap(
        operator
          ? await api.GET('/v1/admin/payouts/{id}/events', { params: { path: { id } } })
          : await api.GET('/v1/payouts/{id}/events', { params: { path: { id } } }),
      ),
    [id, payout.data?.version],
  );
  const p = payout.data;
  const mayAct = operator || session.tenant_role === 'admin' || session.tenant_role === 'maker';
  return (
    <>
      <p>
        {operator ? <Link to="/operations/dead-letters">← Dead letters</Link> : <Link to="/payouts">← Payouts</Link>}
      </p>
      <ErrorBox error={payout.error} />
      {!p ? (
        !payout.error && <Loading what="the payout" />
      ) : (
        <div className="grid">
          <Card title={p.id} testId="payout">
            <dl className="facts">
              <dt>State</dt>
              <dd data-testid="payout-status">
                <Status value={p.status} />
              </dd>
              <dt>Amount</dt>
              <dd>
                <Money amount={p.amount} currency={p.currency} />
              </dd>
              <dt>Reference</dt>
              <dd>{p.reference_id ?? '—'}</dd>
              <dt>Provider</dt>
              <dd>
                {p.provider} · {p.method}
                {p.provider_payout_id ? ` · ${p.provider_payout_id}` : ''}
              </dd>
              <dt>Beneficiary</dt>
              <dd>
                {p.beneficiary.name ?? '—'} · {p.beneficiary.account_number ?? p.beneficiary.provider_account_id ?? ''}{' '}
                {p.beneficiary.bank_code ?? ''}
              </dd>
              {p.utr && (
                <>
                  <dt>UTR</dt>
                  <dd>{p.utr}</dd>
                </>
              )}
              {p.failure && (
                <>
                  <dt>Failure</dt>
                  <dd>
                    <code>{p.failure.code}</code> {p.failure.message}
                  </dd>
                </>
              )}
              {p.fees !== null && (
                <>
                  <dt>Fees (tax)</dt>
                  <dd>
                    <Money amount={p.fees} currency={p.currency} /> (<Money amount={p.tax ?? 0} currency={p.currency} />
                    )
                  </dd>
                </>
              )}
              {p.batch_id && (
                <>
                  <dt>Batch</dt>
                  <dd>
                    {operator ? <code>{p.batch_id}</code> : <Link to={`/batches/${p.batch_id}`}>{p.batch_id}</Link>}
                  </dd>
                </>
              )}
              <dt>Created</dt>
              <dd>
                <When at={p.created_at} />
              </dd>
            </dl>
            {mayAct && CANCELLABLE.has(p.status) && !FINAL.has(p.status) && (
              <ActionButton
                label="Cancel payout"
                kind="danger"
                confirm="Cancel this payout? Its hold is released."
                run={async () => {
                  const path = { params: { path: { id: p.id } } };
                  const result = unwrap(
                    operator
                      ? await api.POST('/v1/admin/payouts/{id}/cancel', path)
                      : await api.POST('/v1/payouts/{id}/cancel', path),
                  );
                  payout.reload();
                  return `now ${result.status}`;
                }}
              />
            )}
            {operator && !FINAL.has(p.status) && (
              <ActionButton
                label="Replay"
                run={async () => {
                  const r = unwrap(await api.POST('/v1/admin/payouts/{id}/replay', { params: { path: { id: p.id } } }));
                  payout.reload();
                  return r.replayed ? 're-driven from its recorded state' : 'its job is live: nothing to replay';
                }}
              />
            )}
          </Card>
          <Card title="History" testId="timeline">
            <ErrorBox error={events.error} />
            {!events.data ? (
              <Loading what="the history" />
            ) : (
              <ol className="timeline">
                {events.data.data.map((e) => (
                  <li
                    key={`${e.created_at}:${e.from_status}:${e.to_status}:${e.source}:${e.applied}`}
                    className={e.applied ? '' : 'not-applied'}
                  >
                    <div className="when">
                      <When at={e.created_at} />
                    </div>
                    <div>
                      {e.from_status ? (
                        <>
                          <Status value={e.from_status} /> → <Status value={e.to_status} />
                        </>
                      ) : (
                        <Status value={e.to_status} />
                      )}{' '}
                      <span className="muted">by {e.source}</span>
                      {!e.applied && <span className="muted"> (not applied)</span>}
                    </div>
                    {e.detail && Object.keys(e.detail).length > 0 && (
                      <pre className="detail">{JSON.stringify(e.detail, null, 2)}</pre>
                    )}
                  </li>
                ))}
              </ol>
            )}
          </Card>
        </div>
      )}
    </>
  );
}

export default definePage({
  path: '/payouts/:id',
  title: 'Payout',
  audiences: ['tenant', 'operator'],
  Component: PayoutDetail,
});
