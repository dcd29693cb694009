import { useState } from 'react';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { ActionButton, ErrorBox, Loading, Status, useLoad, When } from '../ui';
import { definePage } from './page';

type Query = NonNullable<paths['/v1/admin/webhook-deliveries']['get']['parameters']['query']>;
const STATUSES = ['', 'pending', 'failed', 'succeeded', 'cancelled'] as const;

/** Deliveries of events to the tenants' webhook endpoints, every tenant's, with replay. */
function WebhookDeliveries() {
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('');
  const [tenant, setTenant] = useState('');
  const [cursor, setCursor] = useState<string>();
  const list = useLoad(async () => {
    const query: Query = { limit: 50 };
    if (status) query.status = status;
    if (tenant.trim()) query.tenant_id = tenant.trim();
    if (cursor) query.cursor = cursor;
    return unwrap(await api.GET('/v1/admin/webhook-deliveries', { params: { query } }));
  }, [status, tenant, cursor]);
  return (
    <>
      <div className="filters">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tenant
          <input value={tenant} onChange={(e) => setTenant(e.target.value)} placeholder="ten_…" />
        </label>
      </div>
      <ErrorBox error={list.error} />
      {!list.data ? (
        !list.error && <Loading what="deliveries" />
      ) : list.data.data.length === 0 ? (
        <p className="muted">No delivery matches.</p>
      ) : (
        <table data-testid="deliveries">
          <thead>
            <tr>
              <th>Delivery</th>
              <th>Tenant · endpoint</th>
              <th>Event</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Last answer</th>
              <th>Next attempt</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((d) => (
              <tr key={d.id}>
                <td>
                  <code>{d.id}</code>
                </td>
                <td>
                  {d.tenant_id} · {d.endpoint_id}
                </td>
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
                <td>
                  <ActionButton
                    label="Replay"
                    run={async () => {
                      const r = unwrap(
                        await api.POST('/v1/admin/webhook-deliveries/{id}/replay', { params: { path: { id: d.id } } }),
                      );
                      list.reload();
                      return `queued (${r.status})`;
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data?.next_cursor && (
        <button type="button" onClick={() => setCursor(list.data?.next_cursor ?? undefined)}>
          Next page
        </button>
      )}
    </>
  );
}

export default definePage({
  path: '/operations/webhooks',
  title: 'Webhook deliveries',
  nav: { label: 'Webhooks', order: 40 },
  audiences: ['operator'],
  Component: WebhookDeliveries,
});
