import { type FormEvent, useState } from 'react';
import { api, type Schemas, unwrap } from '../api/client';
import { PROVIDERS, type Provider } from '../providers';
import { Link, navigate } from '../router';
import { Card, ErrorBox, Loading, Status, useLoad, When } from '../ui';
import { definePage } from './page';

/** Reasons that are not drifts: the rest is what an operator looks at. */
const NOT_DRIFT = new Set(['matched', 'not_sent']);

/** The drifts a run found (every reason but matched and not_sent). */
export function driftsOf(run: Schemas['Reconciliation']): number {
  return Object.entries(run.counts)
    .filter(([reason]) => !NOT_DRIFT.has(reason))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** `YYYY-MM-DD` of a date, in UTC: a run's window is whole UTC days by default. */
const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Reconciliation runs (GET /v1/admin/reconciliations) and starting one for a provider and window
 * (POST; asking again for the same provider and window answers the same run).
 */
function Reconciliations() {
  const runs = useLoad(async () => unwrap(await api.GET('/v1/admin/reconciliations')), [], { every: 5000 });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const today = new Date();
  const tomorrow = new Date(today.getTime() + 86_400_000);

  const start = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const at = (name: string) => {
      const value = String(form.get(name) ?? '').trim();
      // A bare date is midnight UTC of that day.
      return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
    };
    setBusy(true);
    setError(undefined);
    try {
      const run = unwrap(
        await api.POST('/v1/admin/reconciliations', {
          body: { provider: String(form.get('provider')) as Provider, from: at('from'), to: at('to') },
        }),
      );
      navigate(`/operations/reconciliations/${run.id}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Card title="Start a run" testId="start-run">
        <form className="filters" onSubmit={start}>
          <label>
            Provider
            <select name="provider" defaultValue="razorpayx">
              {PROVIDERS.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
          <label>
            From (payouts created at or after)
            <input name="from" defaultValue={day(today)} />
          </label>
          <label>
            To (before)
            <input name="to" defaultValue={day(tomorrow)} />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Starting…' : 'Start the run'}
          </button>
        </form>
        <ErrorBox error={error} />
      </Card>
      <ErrorBox error={runs.error} />
      {!runs.data ? (
        !runs.error && <Loading what="reconciliation runs" />
      ) : runs.data.data.length === 0 ? (
        <p className="muted">No run yet.</p>
      ) : (
        <table data-testid="runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Provider</th>
              <th>Window</th>
              <th>Status</th>
              <th>Drifts</th>
              <th>Requested by</th>
              <th>Started</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.data.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/operations/reconciliations/${r.id}`}>{r.id}</Link>
                </td>
                <td>{r.provider}</td>
                <td className="small">
                  <When at={r.from} /> – <When at={r.to} />
                </td>
                <td>
                  <Status value={r.status} />
                </td>
                <td>{driftsOf(r)}</td>
                <td>{r.requested_by}</td>
                <td>
                  <When at={r.created_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export default definePage({
  path: '/operations/reconciliations',
  title: 'Reconciliation',
  nav: { label: 'Reconciliation', order: 35 },
  audiences: ['operator'],
  Component: Reconciliations,
});
