import { useState } from 'react';
import { api, type Schemas, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { Link } from '../router';
import { ActionButton, Card, ErrorBox, Loading, Status, useLoad, When } from '../ui';
import { definePage } from './page';

type ReasonFilter = NonNullable<
  NonNullable<paths['/v1/admin/reconciliations/{id}/items']['get']['parameters']['query']>['reason']
>;
const REASONS: readonly ReasonFilter[] = [
  'drift',
  'all',
  'matched',
  'not_sent',
  'amount_mismatch',
  'currency_mismatch',
  'status_mismatch',
  'fee_mismatch',
  'utr_mismatch',
  'missing_at_provider',
  'unknown_to_us',
];

/**
 * One run: its counts by reason and progress (polled while it runs), and what it found with both
 * sides, filtered by reason, each drift resolvable with a note; the whole as CSV.
 */
function Reconciliation({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const run = useLoad(
    async () => unwrap(await api.GET('/v1/admin/reconciliations/{id}', { params: { path: { id } } })),
    [id],
    { every: 3000 },
  );
  const [reason, setReason] = useState<ReasonFilter>('drift');
  const [unresolved, setUnresolved] = useState(false);
  const [cursor, setCursor] = useState<string>();
  const items = useLoad(
    async () =>
      unwrap(
        await api.GET('/v1/admin/reconciliations/{id}/items', {
          params: {
            path: { id },
            query: { reason, limit: 50, ...(unresolved ? { unresolved: 'true' } : {}), ...(cursor ? { cursor } : {}) },
          },
        }),
      ),
    [id, reason, unresolved, cursor, run.data?.status],
  );
  const r = run.data;
  return (
    <>
      <p>
        <Link to="/operations/reconciliations">← Reconciliation</Link>
      </p>
      <ErrorBox error={run.error} />
      {!r ? (
        !run.error && <Loading what="the run" />
      ) : (
        <div className="grid">
          <Card title={r.id} testId="run">
            <p>
              <span data-testid="run-status">
                <Status value={r.status} />
              </span>{' '}
              {r.provider}, payouts created <When at={r.from} /> – <When at={r.to} />
            </p>
            <dl className="facts" data-testid="run-progress">
              <dt>Phase</dt>
              <dd>{r.progress.phase}</dd>
              <dt>Payouts checked</dt>
              <dd>
                {r.progress.payouts_checked}
                {r.progress.payouts_total !== null ? ` of ${r.progress.payouts_total}` : ''}
              </dd>
              <dt>Provider records seen</dt>
              <dd>{r.progress.provider_records_seen}</dd>
              <dt>Provider calls</dt>
              <dd>{r.progress.provider_calls}</dd>
              <dt>Requested by</dt>
              <dd>{r.requested_by}</dd>
              <dt>Completed</dt>
              <dd>
                <When at={r.completed_at} />
              </dd>
              {r.error && (
                <>
                  <dt>Error</dt>
                  <dd className="bad">{r.error}</dd>
                </>
              )}
            </dl>
            <p>
              <a href={`/v1/admin/reconciliations/${r.id}/items.csv`} download data-testid="items-csv">
                Export every item (CSV, both sides)
              </a>
            </p>
          </Card>
          <Card title="Counts by reason" testId="run-counts">
            {Object.keys(r.counts).length === 0 ? (
              <p className="muted">Nothing counted yet.</p>
            ) : (
              <table>
                <tbody>
                  {Object.entries(r.counts).map(([why, n]) => (
                    <tr key={why} data-reason={why}>
                      <td>
                        <Status value={why} />
                      </td>
                      <td>{n}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </div>
      )}
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Reason
          <select
            value={reason}
            onChange={(e) => {
              setCursor(undefined);
              setReason(e.target.value as ReasonFilter);
            }}
          >
            {REASONS.map((x) => (
              <option key={x} value={x}>
                {x === 'drift' ? 'drifts (all but matched and not sent)' : x}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            checked={unresolved}
            onChange={(e) => {
              setCursor(undefined);
              setUnresolved(e.target.checked);
            }}
          />{' '}
          Unresolved only
        </label>
      </form>
      <ErrorBox error={items.error} />
      {!items.data ? (
        !items.error && <Loading what="the items" />
      ) : items.data.data.length === 0 ? (
        <p className="muted">No item.</p>
      ) : (
        <>
          <table data-testid="items">
            <thead>
              <tr>
                <th>Reason</th>
                <th>Payout</th>
                <th>Ours</th>
                <th>Theirs</th>
                <th>Resolution</th>
              </tr>
            </thead>
            <tbody>
              {items.data.data.map((item) => (
                <Item key={item.id} runId={id} item={item} onResolved={items.reload} />
              ))}
            </tbody>
          </table>
          {items.data.has_more && items.data.next_cursor && (
            <button type="button" onClick={() => setCursor(items.data?.next_cursor ?? undefined)}>
              Next page
            </button>
          )}
        </>
      )}
    </>
  );
}

function Side({ value }: { value: Record<string, unknown> | null }) {
  if (!value) return <span className="muted">—</span>;
  return <pre className="detail">{JSON.stringify(value, null, 2)}</pre>;
}

function Item({
  runId,
  item,
  onResolved,
}: {
  runId: string;
  item: Schemas['ReconciliationItem'];
  onResolved: () => void;
}) {
  const [note, setNote] = useState('');
  return (
    <tr data-item={item.id}>
      <td>
        <Status value={item.reason} />
      </td>
      <td>
        {item.payout_id ? <Link to={`/payouts/${item.payout_id}`}>{item.payout_id}</Link> : '—'}
        <div className="small muted">{item.reference_id ?? ''}</div>
        <div className="small muted">{item.provider_payout_id ?? ''}</div>
      </td>
      <td>
        <Side value={item.ours} />
      </td>
      <td>
        <Side value={item.theirs} />
      </td>
      <td>
        {item.resolution ? (
          <span>
            <When at={item.resolution.resolved_at} /> by {item.resolution.resolved_by ?? '—'}
            {item.resolution.note ? `: ${item.resolution.note}` : ''}
          </span>
        ) : item.reason === 'matched' || item.reason === 'not_sent' ? (
          <span className="muted">—</span>
        ) : (
          <>
            <input
              aria-label={`Note for ${item.id}`}
              placeholder="What was done"
              value={note}
              onChange={(e) => setNote(e.target.value)}
            />
            <ActionButton
              label="Resolve"
              run={async () => {
                unwrap(
                  await api.POST('/v1/admin/reconciliations/{id}/items/{item_id}/resolve', {
                    params: { path: { id: runId, item_id: item.id } },
                    body: { note: note.trim() },
                  }),
                );
                onResolved();
                return 'resolved';
              }}
            />
          </>
        )}
      </td>
    </tr>
  );
}

export default definePage({
  path: '/operations/reconciliations/:id',
  title: 'Reconciliation run',
  audiences: ['operator'],
  Component: Reconciliation,
});
