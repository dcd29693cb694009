import { type FormEvent, useState } from 'react';
import { api, type Schemas, unwrap } from '../api/client';
import { ApprovalDecision, mayDecide } from '../decisions';
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
                {p.beneficiary_type ? ` · ${p.beneficiary_type}` : ''}
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
                  return 'replayed' in r && r.replayed
                    ? 're-driven from its recorded state'
                    : 'its job is live: nothing to replay';
                }}
              />
            )}
            {p.status === 'pending_approval' &&
              mayDecide(session) &&
              (p.batch_id ? (
                <p className="muted">Waits with its batch: approve or reject the batch as a whole.</p>
              ) : (
                <ApprovalDecision kind="payout" id={p.id} onDecided={payout.reload} />
              ))}
            {operator && p.status === 'needs_attention' && <Resolve id={p.id} onResolved={payout.reload} />}
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

/**
 * An operator's resolution of a payout that needs attention (POST /v1/admin/payouts/{id}/resolve):
 * the engine asks the provider first and applies its answer; only when the provider cannot tell does
 * it take the outcome asserted here, with its evidence (a UTR for processed, a statement line).
 */
function Resolve({ id, onResolved }: { id: string; onResolved: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [outcome, setOutcome] = useState<string>();
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const body: Schemas['ResolveRequest'] = {};
    const status = text('status');
    if (status === 'processed' || status === 'failed') body.status = status;
    const evidence = { utr: text('utr'), statement_line: text('statement_line') };
    if (evidence.utr || evidence.statement_line) {
      body.evidence = {
        ...(evidence.utr ? { utr: evidence.utr } : {}),
        ...(evidence.statement_line ? { statement_line: evidence.statement_line } : {}),
      };
    }
    if (text('note')) body.note = text('note');
    setBusy(true);
    setError(undefined);
    setOutcome(undefined);
    try {
      const r = unwrap(await api.POST('/v1/admin/payouts/{id}/resolve', { params: { path: { id } }, body }));
      setOutcome(
        `${r.pending ? 'handed to the reconciler' : `now ${r.payout.status}`}, by the ${r.resolved_by}${
          r.provider_status ? ` (provider says ${r.provider_status})` : ''
        }`,
      );
      onResolved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="resolve" onSubmit={submit} data-testid="resolve">
      <h3>Resolve</h3>
      <p className="muted small">
        The provider is asked first and its answer applied. When it cannot tell, the outcome below is taken, with its
        evidence.
      </p>
      <label>
        Outcome if the provider cannot tell
        <select name="status" defaultValue="">
          <option value="">— (only the provider's answer)</option>
          <option value="processed">processed</option>
          <option value="failed">failed</option>
        </select>
      </label>
      <label>
        UTR (proof of processed)
        <input name="utr" />
      </label>
      <label>
        Statement line
        <input name="statement_line" />
      </label>
      <label>
        Note
        <input name="note" />
      </label>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Resolving…' : 'Resolve'}
      </button>
      {outcome && <span className="outcome">{outcome}</span>}
      <ErrorBox error={error} />
    </form>
  );
}

export default definePage({
  path: '/payouts/:id',
  title: 'Payout',
  audiences: ['tenant', 'operator'],
  Component: PayoutDetail,
});
