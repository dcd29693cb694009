import { api, type Schemas, unwrap } from '../api/client';
import { PROVIDERS } from '../providers';
import { Link } from '../router';
import { Card, ErrorBox, Loading, Money, Status, useLoad } from '../ui';
import { definePage, type Session } from './page';
import { driftsOf } from './reconciliations.page';

/** States a payout is still moving through (not final). */
const IN_FLIGHT = 'accepted,reserved,queued,submitted,unknown,processing,needs_attention';

function TenantOverview() {
  const balances = useLoad(async () => unwrap(await api.GET('/v1/balances')), [], { every: 10_000 });
  const inFlight = useLoad(
    async () => unwrap(await api.GET('/v1/payouts', { params: { query: { status: IN_FLIGHT, limit: 100 } } })),
    [],
    { every: 10_000 },
  );
  const approvals = useLoad(
    async () => unwrap(await api.GET('/v1/approvals', { params: { query: { status: 'pending', limit: 100 } } })),
    [],
    { every: 10_000 },
  );
  return (
    <div className="grid">
      <Card title="Needs a human" testId="needs-human">
        <ErrorBox error={approvals.error} />
        <dl className="figures">
          <dt>Pending approvals</dt>
          <dd data-testid="pending-approvals">
            {approvals.data ? `${approvals.data.data.length}${approvals.data.data.length >= 100 ? '+' : ''}` : '…'}
          </dd>
        </dl>
        <Link to="/approvals">Open the approvals</Link>
      </Card>
      <Card title="Balances" testId="balances">
        <ErrorBox error={balances.error} />
        {!balances.data ? (
          <Loading what="balances" />
        ) : balances.data.data.length === 0 ? (
          <p className="muted">No wallet yet: an operator funds it.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Currency</th>
                <th>Available</th>
                <th>Held</th>
              </tr>
            </thead>
            <tbody>
              {balances.data.data.map((b) => (
                <tr key={b.currency}>
                  <td>{b.currency}</td>
                  <td>
                    <Money amount={b.available} currency={b.currency} />
                  </td>
                  <td>
                    <Money amount={b.held} currency={b.currency} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title="Payouts in flight" testId="in-flight">
        <ErrorBox error={inFlight.error} />
        {!inFlight.data ? <Loading what="payouts in flight" /> : <InFlight payouts={inFlight.data} />}
      </Card>
    </div>
  );
}

function InFlight({ payouts }: { payouts: Schemas['PayoutList'] }) {
  const byState = new Map<string, Map<string, number>>();
  for (const p of payouts.data) {
    const row = byState.get(p.status) ?? new Map<string, number>();
    row.set(p.provider, (row.get(p.provider) ?? 0) + 1);
    byState.set(p.status, row);
  }
  const providers = [...new Set(payouts.data.map((p) => p.provider))].sort();
  if (payouts.data.length === 0) return <p className="muted">Nothing in flight.</p>;
  const attention = byState.get('needs_attention');
  return (
    <>
      <table>
        <thead>
          <tr>
            <th>State</th>
            {providers.map((p) => (
              <th key={p}>{p}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {[...byState].map(([state, counts]) => (
            <tr key={state}>
              <td>
                <Link to={`/payouts?status=${state}`}>
                  <Status value={state} />
                </Link>
              </td>
              {providers.map((p) => (
                <td key={p}>{counts.get(p) ?? 0}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {payouts.has_more && <p className="muted small">Counted over the latest 100 payouts in flight.</p>}
      {attention && (
        <p className="attention">
          {[...attention.values()].reduce((a, b) => a + b, 0)} payout(s) need attention: an operator is on it.
        </p>
      )}
    </>
  );
}

function OperatorOverview() {
  const deadLetters = useLoad(async () => unwrap(await api.GET('/v1/admin/dead-letters', {})), [], { every: 10_000 });
  const backlog = useLoad(
    async () =>
      unwrap(await api.GET('/v1/admin/webhook-deliveries', { params: { query: { status: 'pending', limit: 100 } } })),
    [],
    { every: 10_000 },
  );
  const failedDeliveries = useLoad(
    async () =>
      unwrap(await api.GET('/v1/admin/webhook-deliveries', { params: { query: { status: 'failed', limit: 100 } } })),
    [],
  );
  const tenants = useLoad(
    async () => unwrap(await api.GET('/v1/admin/tenants', { params: { query: { limit: 100 } } })),
    [],
  );
  // The latest runs carry their counts: the unresolved drifts are on each run's page.
  const runs = useLoad(async () => unwrap(await api.GET('/v1/admin/reconciliations')), [], { every: 30_000 });
  const downtimes = useLoad(
    async () =>
      Promise.all(
        PROVIDERS.map(async (provider) => ({
          provider,
          active: unwrap(
            await api.GET('/v1/admin/providers/{provider}/downtimes', {
              params: { path: { provider }, query: { active: 'true' } },
            }),
          ).data,
        })),
      ),
    [],
    { every: 15_000 },
  );
  // Newest first: the first completed run of each provider is its latest.
  const latest = new Map<string, number>();
  for (const r of runs.data?.data ?? []) {
    if (r.status === 'completed' && !latest.has(r.provider)) latest.set(r.provider, driftsOf(r));
  }
  const drifts = runs.data ? [...latest.values()].reduce((a, b) => a + b, 0) : undefined;
  const count = (list: { data: unknown[]; has_more?: boolean } | undefined) =>
    list ? `${list.data.length}${list.has_more ? '+' : ''}` : '…';
  const attention = deadLetters.data?.data.filter((d) => d.status === 'needs_attention').length;
  return (
    <div className="grid">
      <Card title="Needs a human" testId="needs-human">
        <ErrorBox error={deadLetters.error} />
        <dl className="figures">
          <dt>Dead letters</dt>
          <dd data-testid="dead-letter-count">{deadLetters.data ? deadLetters.data.count : '…'}</dd>
          <dt>Needs attention</dt>
          <dd>{attention ?? '…'}</dd>
          <dt>Drifts (latest run per provider)</dt>
          <dd data-testid="drift-count">{drifts ?? '…'}</dd>
        </dl>
        <Link to="/operations/dead-letters">Open the dead letters</Link> ·{' '}
        <Link to="/operations/reconciliations">Open the reconciliation runs</Link>
      </Card>
      <Card title="Provider health" testId="provider-health">
        <ErrorBox error={downtimes.error} />
        {!downtimes.data ? (
          <Loading what="provider downtimes" />
        ) : (
          <table>
            <thead>
              <tr>
                <th>Provider</th>
                <th>Active downtimes</th>
              </tr>
            </thead>
            <tbody>
              {downtimes.data.map(({ provider, active }) => (
                <tr key={provider} data-provider={provider}>
                  <td>{provider}</td>
                  <td className={active.length > 0 ? 'bad' : ''}>
                    {active.length === 0 ? 'none' : active.map((d) => d.modes.join(', ') || 'all modes').join('; ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Link to="/operations/downtimes">Open the downtimes</Link>
      </Card>
      <Card title="Webhook deliveries" testId="webhook-backlog">
        <ErrorBox error={backlog.error} />
        <dl className="figures">
          <dt>Pending (backlog)</dt>
          <dd>{count(backlog.data)}</dd>
          <dt>Failed</dt>
          <dd>{count(failedDeliveries.data)}</dd>
        </dl>
        <Link to="/operations/webhooks">Open the deliveries</Link>
      </Card>
      <Card title="Tenants">
        <ErrorBox error={tenants.error} />
        <dl className="figures">
          <dt>Tenants</dt>
          <dd>{count(tenants.data)}</dd>
        </dl>
        <Link to="/operations/tenants">Tenants and keys</Link>
      </Card>
    </div>
  );
}

function Overview({ session }: { session: Session }) {
  return session.role === 'operator' ? <OperatorOverview /> : <TenantOverview />;
}

export default definePage({
  path: '/',
  title: 'Overview',
  nav: { label: 'Overview', order: 0 },
  audiences: ['tenant', 'operator'],
  Component: Overview,
});
