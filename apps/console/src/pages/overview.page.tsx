import { api, type Schemas, unwrap } from '../api/client';
import { Link } from '../router';
import { Card, ErrorBox, Loading, Money, Status, useLoad } from '../ui';
import { definePage, type Session } from './page';

/** States a payout is still moving through (not final). */
const IN_FLIGHT = 'accepted,reserved,queued,submitted,unknown,processing,needs_attention';

function TenantOverview() {
  const balances = useLoad(async () => unwrap(await api.GET('/v1/balances')), [], { every: 10_000 });
  const inFlight = useLoad(
    async () => unwrap(await api.GET('/v1/payouts', { params: { query: { status: IN_FLIGHT, limit: 100 } } })),
    [],
    { every: 10_000 },
  );
  return (
    <div className="grid">
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
        </dl>
        <Link to="/operations/dead-letters">Open the dead letters</Link>
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
