import { type FormEvent, useState } from 'react';
import { api, type Schemas, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { Link } from '../router';
import { ActionButton, ErrorBox, Loading, Status, useLoad, When } from '../ui';
import { definePage } from './page';

type Filters = NonNullable<paths['/v1/admin/dead-letters']['get']['parameters']['query']>;

/**
 * Payouts that stopped moving (or need a human), with the operator's actions on them: replay one,
 * see what a bulk replay would touch (its dry run) before running it, cancel one.
 */
function DeadLetters() {
  const [filters, setFilters] = useState<Filters>({});
  const list = useLoad(
    async () => unwrap(await api.GET('/v1/admin/dead-letters', { params: { query: filters } })),
    [JSON.stringify(filters)],
  );
  const [plan, setPlan] = useState<Schemas['ReplayResult'] | null>(null);

  const search = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next: Record<string, string | number> = {};
    for (const name of ['provider', 'state', 'reason']) {
      const value = String(form.get(name) ?? '').trim();
      if (value) next[name] = value;
    }
    const older = String(form.get('older_than') ?? '').trim();
    if (older) next.older_than = Number(older);
    setPlan(null);
    setFilters(next as Filters);
  };
  const bulk = async (dryRun: boolean) => {
    const { limit: _limit, ...rest } = filters;
    const named = Object.keys(rest).length > 0;
    // The bulk replay takes the list's filters (older_than defaults to 300 s there too).
    const body = named
      ? { filters: { ...rest, older_than: rest.older_than ?? 300 }, dry_run: dryRun, limit: 1000 }
      : { all: true, dry_run: dryRun, limit: 1000 };
    return unwrap(await api.POST('/v1/admin/replays', { body }));
  };

  return (
    <>
      <form className="filters" onSubmit={search}>
        <label>
          Provider
          <input name="provider" placeholder="razorpayx" />
        </label>
        <label>
          State
          <input name="state" placeholder="submitted" />
        </label>
        <label>
          Reason
          <input name="reason" placeholder="provider_timeout" />
        </label>
        <label>
          Stuck for at least (s)
          <input name="older_than" type="number" min="0" placeholder="300" data-testid="older-than" />
        </label>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <div className="bulk">
        <ActionButton
          label="Dry run: replay all that match"
          run={async () => {
            const result = await bulk(true);
            // A dry run never waits for a second operator: it always answers what would be replayed.
            if (!('matched' in result)) return 'The dry run was stored instead of run';
            setPlan(result);
            return `${result.matched} would be replayed`;
          }}
        />
        {plan && plan.matched > 0 && (
          <ActionButton
            label={`Replay ${plan.matched}`}
            kind="danger"
            confirm={`Replay ${plan.matched} payout(s)?`}
            run={async () => {
              const result = await bulk(false);
              setPlan(null);
              list.reload();
              // With OPERATOR_APPROVALS=on the replay waits for another operator key's approval.
              if (!('replayed' in result)) return `Replay ${result.id} waits for a second operator's approval`;
              return `${result.replayed} replayed`;
            }}
          />
        )}
      </div>
      <ErrorBox error={list.error} />
      {!list.data ? (
        !list.error && <Loading what="dead letters" />
      ) : list.data.data.length === 0 ? (
        <p className="muted">No dead letters match.</p>
      ) : (
        <table data-testid="dead-letters">
          <thead>
            <tr>
              <th>Payout</th>
              <th>Tenant</th>
              <th>State</th>
              <th>Provider</th>
              <th>Reason</th>
              <th>Attempts</th>
              <th>Last moved</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((d) => (
              <tr key={d.payout_id} data-payout={d.payout_id}>
                <td>
                  <Link to={`/payouts/${d.payout_id}`}>
                    <code>{d.payout_id}</code>
                  </Link>
                </td>
                <td>{d.tenant_id}</td>
                <td>
                  <Status value={d.status} />
                </td>
                <td>{d.provider}</td>
                <td>
                  {d.reason}
                  {d.failure && <div className="muted small">{d.failure.message}</div>}
                </td>
                <td>{d.submission_attempts}</td>
                <td>
                  <When at={d.updated_at} />
                </td>
                <td>
                  <ActionButton
                    label="Replay"
                    run={async () => {
                      const r = unwrap(
                        await api.POST('/v1/admin/payouts/{id}/replay', { params: { path: { id: d.payout_id } } }),
                      );
                      return 'replayed' in r && r.replayed ? 'replayed' : 'nothing to replay';
                    }}
                  />
                  <ActionButton
                    label="Cancel"
                    kind="danger"
                    confirm={`Cancel ${d.payout_id}? Only a payout its provider does not have yet can be cancelled.`}
                    run={async () => {
                      const r = unwrap(
                        await api.POST('/v1/admin/payouts/{id}/cancel', { params: { path: { id: d.payout_id } } }),
                      );
                      list.reload();
                      return `now ${r.status}`;
                    }}
                  />
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
  path: '/operations/dead-letters',
  title: 'Dead letters',
  nav: { label: 'Dead letters', order: 30 },
  audiences: ['operator'],
  Component: DeadLetters,
});
