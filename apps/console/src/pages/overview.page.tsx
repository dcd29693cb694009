import { api, type Schemas, unwrap } from '../api/client';
import { Link } from '../router';
import { Card, ErrorBox, Loading, Money, Status, useLoad, When } from '../ui';
import { definePage, type Session } from './page';
import { driftsOf } from './reconciliations.page';

/** States a payout is still moving through (not final). */
const IN_FLIGHT = 'accepted,reserved,queued,submitted,unknown,processing,needs_attention';

/**
 * A tenant admin's webhook backlog: per endpoint, the deliveries still pending (retrying) and those
 * that failed for good (the API keeps endpoints to admin keys). At most 100 of each are counted.
 */
function TenantWebhookBacklog() {
  const backlog = useLoad(
    async () => {
      const endpoints = unwrap(await api.GET('/v1/webhook-endpoints', { params: { query: { limit: 100 } } })).data;
      return Promise.all(
        endpoints.map(async (endpoint) => {
          const count = async (status: 'pending' | 'failed') => {
            const list = unwrap(
              await api.GET('/v1/webhook-endpoints/{id}/deliveries', {
                params: { path: { id: endpoint.id }, query: { status, limit: 100 } },
              }),
            );
            return `${list.data.length}${list.has_more ? '+' : ''}`;
          };
          const [pending, failed] = await Promise.all([count('pending'), count('failed')]);
          return { endpoint, pending, failed };
        }),
      );
    },
    [],
    { every: 15_000 },
  );
  return (
    <Card title="Webhook deliveries" testId="webhook-backlog">
      <ErrorBox error={backlog.error} />
      {!backlog.data ? (
        !backlog.error && <Loading what="webhook deliveries" />
      ) : backlog.data.length === 0 ? (
        <p className="muted">No webhook endpoint.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Endpoint</th>
              <th>Pending (backlog)</th>
              <th>Failed</th>
            </tr>
          </thead>
          <tbody>
            {backlog.data.map(({ endpoint, pending, failed }) => (
              <tr key={endpoint.id} data-endpoint={endpoint.id}>
                <td>{endpoint.url}</td>
                <td>{pending}</td>
                <td className={failed === '0' ? '' : 'bad'}>{failed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Link to="/webhooks">Open the endpoints</Link>
    </Card>
  );
}

function TenantOverview({ session }: { session: Session }) {
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
      {session.tenant_role === 'admin' && <TenantWebhookBacklog />}
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

/** A queue state's jobs, in the order an operator reads them. */
const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;

const GATE_TEXT: Record<Schemas['ProviderHealth']['gate_reasons'][number], string> = {
  provider_low_balance: 'float low: parked, probing',
  credentials_rejected: 'credentials rejected: parked, probing',
};

/** GET /v1/admin/providers, one row per provider: what holds its payouts, and how busy it is. */
function ProviderHealth({ providers }: { providers: Schemas['ProviderHealth'][] }) {
  return (
    <table>
      <thead>
        <tr>
          <th>Provider</th>
          <th>Circuit</th>
          <th>Held by</th>
          <th>Parked payouts</th>
          <th>Active downtimes</th>
          <th>Upcoming downtimes</th>
          <th>Queue</th>
          <th>Rate</th>
          <th>Float (expected)</th>
        </tr>
      </thead>
      <tbody>
        {providers.map((p) => {
          const parked = Object.entries(p.parked);
          const queued = QUEUE_STATES.filter((s) => (p.queue[s] ?? 0) > 0);
          return (
            <tr key={p.provider} data-provider={p.provider}>
              <td>{p.provider}</td>
              <td data-testid={`circuit-${p.provider}`} className={p.circuit.state === 'closed' ? 'good' : 'bad'}>
                {p.circuit.state.replace('_', '-')}
                {p.circuit.reopens_at && (
                  <div className="small muted">
                    retries <When at={p.circuit.reopens_at} />
                  </div>
                )}
              </td>
              <td data-testid={`gate-${p.provider}`} className={p.gate_reasons.length > 0 ? 'bad' : ''}>
                {p.gate_reasons.length === 0 ? 'nothing' : p.gate_reasons.map((r) => GATE_TEXT[r]).join('; ')}
              </td>
              <td data-testid={`parked-${p.provider}`}>
                {parked.length === 0
                  ? '0'
                  : parked.map(([reason, n]) => `${n} ${reason.replaceAll('_', ' ')}`).join(', ')}
              </td>
              <td className={p.downtimes.active.length > 0 ? 'bad' : ''}>
                {p.downtimes.active.length === 0
                  ? 'none'
                  : p.downtimes.active.map((d) => d.modes.join(', ') || 'all modes').join('; ')}
              </td>
              <td>
                {p.downtimes.upcoming.length === 0
                  ? 'none'
                  : p.downtimes.upcoming.map((d) => (
                      <div key={d.id}>
                        {d.modes.join(', ')} from <When at={d.starts_at} />
                      </div>
                    ))}
              </td>
              <td data-testid={`queue-${p.provider}`}>
                {queued.length === 0 ? 'empty' : queued.map((s) => `${p.queue[s]} ${s}`).join(', ')}
              </td>
              <td>
                {p.rate_per_second}/s
                {p.rate_budget && (
                  <div className="small muted" data-testid={`budget-${p.provider}`}>
                    {p.rate_budget.paused_until ? (
                      <>
                        paused (429) until <When at={p.rate_budget.paused_until} />
                      </>
                    ) : (
                      `${Math.floor(p.rate_budget.tokens)} of ${p.rate_budget.capacity} tokens`
                    )}
                    {waitingCalls(p.rate_budget.waiting) > 0 &&
                      `, ${waitingCalls(p.rate_budget.waiting)} calls waiting`}
                  </div>
                )}
              </td>
              <td>
                {p.expected_float.length === 0
                  ? 'none'
                  : p.expected_float.map((f) => (
                      <div key={f.currency}>
                        <Money amount={f.amount} currency={f.currency} />
                      </div>
                    ))}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
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
  const providers = useLoad(async () => unwrap(await api.GET('/v1/admin/providers')), [], { every: 10_000 });
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
      <Card title="Provider health" testId="provider-health" wide>
        <ErrorBox error={providers.error} />
        {!providers.data ? <Loading what="provider health" /> : <ProviderHealth providers={providers.data.data} />}
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
  return session.role === 'operator' ? <OperatorOverview /> : <TenantOverview session={session} />;
}

export default definePage({
  path: '/',
  title: 'Overview',
  nav: { label: 'Overview', order: 0 },
  audiences: ['tenant', 'operator'],
  Component: Overview,
});

function waitingCalls(waiting: Record<string, number>): number {
  return Object.values(waiting).reduce((a, b) => a + b, 0);
}
