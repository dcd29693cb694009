import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { Card, ErrorBox, Loading, Status, useLoad, When } from '../ui';
import { definePage } from './page';

/**
 * A tenant's own webhook endpoints and what was delivered to each (an admin key's view: the API
 * keeps endpoints, which carry signing secrets, to admin keys). Replays are an operator's action.
 */
function Endpoints() {
  const endpoints = useLoad(
    async () => unwrap(await api.GET('/v1/webhook-endpoints', { params: { query: { limit: 100 } } })),
    [],
  );
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <div className="grid">
      <Card title="Endpoints">
        <ErrorBox error={endpoints.error} />
        {!endpoints.data ? (
          !endpoints.error && <Loading what="endpoints" />
        ) : endpoints.data.data.length === 0 ? (
          <p className="muted">No endpoint yet (POST /v1/webhook-endpoints, docs/webhooks.md).</p>
        ) : (
          <table data-testid="endpoints">
            <thead>
              <tr>
                <th>Endpoint</th>
                <th>URL</th>
                <th>Events</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.data.data.map((e) => (
                <tr key={e.id} className={e.id === selected ? 'selected' : ''}>
                  <td>
                    <button type="button" className="link" onClick={() => setSelected(e.id)}>
                      {e.id}
                    </button>
                  </td>
                  <td>{e.url}</td>
                  <td>{e.enabled_events?.join(', ') ?? 'every event'}</td>
                  <td>{e.disabled ? 'disabled' : 'enabled'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {selected && <Deliveries key={selected} endpointId={selected} />}
    </div>
  );
}

function Deliveries({ endpointId }: { endpointId: string }) {
  const list = useLoad(
    async () =>
      unwrap(
        await api.GET('/v1/webhook-endpoints/{id}/deliveries', {
          params: { path: { id: endpointId }, query: { limit: 50 } },
        }),
      ),
    [endpointId],
    { every: 5000 },
  );
  return (
    <Card title={`Deliveries to ${endpointId}`}>
      <ErrorBox error={list.error} />
      {!list.data ? (
        !list.error && <Loading what="deliveries" />
      ) : list.data.data.length === 0 ? (
        <p className="muted">Nothing delivered yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Event</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Last answer</th>
              <th>Next attempt</th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((d) => (
              <tr key={d.id}>
                <td>
                  {d.event_type} <span className="muted small">{d.subject_id}</span>
                </td>
                <td>
                  <Status value={d.status} />
                </td>
                <td>{d.attempts}</td>
                <td>{d.last_status_code ?? d.last_error ?? '—'}</td>
                <td>
                  <When at={d.next_attempt_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export default definePage({
  path: '/webhooks',
  title: 'Webhook endpoints',
  nav: { label: 'Webhooks', order: 40 },
  audiences: ['tenant'],
  only: (session) => session.tenant_role === 'admin',
  Component: Endpoints,
});
