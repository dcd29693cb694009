import { type FormEvent, useRef, useState } from 'react';
import { api, unwrap } from '../api/client';
import { PROVIDERS, type Provider } from '../providers';
import { ActionButton, Card, ErrorBox, Loading, useLoad, When } from '../ui';
import { definePage } from './page';

/**
 * Provider downtimes (GET /v1/admin/providers/{provider}/downtimes): declared by an operator here or
 * by the provider's own webhook. While one is active, payouts on its modes wait in `queued`; ending it
 * releases them, oldest first.
 */
function Downtimes() {
  const [provider, setProvider] = useState<Provider>('razorpayx');
  const list = useLoad(
    async () =>
      unwrap(
        await api.GET('/v1/admin/providers/{provider}/downtimes', {
          params: { path: { provider }, query: { limit: 100 } },
        }),
      ),
    [provider],
    { every: 10_000 },
  );
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // One Idempotency-Key per declaration: a double submit, or a retry after a lost answer, declares
  // it once (a second downtime nobody ends would hold its payouts for good).
  const idempotencyKey = useRef(crypto.randomUUID());

  const declare = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    setBusy(true);
    setError(undefined);
    try {
      unwrap(
        await api.POST('/v1/admin/providers/{provider}/downtime', {
          params: { path: { provider }, header: { 'Idempotency-Key': idempotencyKey.current } },
          body: {
            modes: text('modes')
              .split(',')
              .map((m) => m.trim())
              .filter(Boolean),
            // Empty: from now.
            starts_at: text('starts_at') || new Date().toISOString(),
            ends_at: text('ends_at') || null,
          },
        }),
      );
      idempotencyKey.current = crypto.randomUUID();
      element.reset();
      list.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Provider
          <select value={provider} onChange={(e) => setProvider(e.target.value as Provider)}>
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Card title={`Declare a downtime at ${provider}`} testId="declare-downtime">
        <form className="filters" onSubmit={declare}>
          <label>
            Modes (comma separated)
            <input name="modes" placeholder="IMPS,NEFT" required />
          </label>
          <label>
            Starts (RFC 3339; empty: now)
            <input name="starts_at" placeholder="2026-12-06T02:00:00Z" />
          </label>
          <label>
            Ends (empty: until ended)
            <input name="ends_at" placeholder="2026-12-06T04:00:00Z" />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Declaring…' : 'Declare'}
          </button>
        </form>
        <ErrorBox error={error} />
      </Card>
      <ErrorBox error={list.error} />
      {!list.data ? (
        !list.error && <Loading what="downtimes" />
      ) : list.data.data.length === 0 ? (
        <p className="muted">No downtime at {provider}.</p>
      ) : (
        <table data-testid="downtimes">
          <thead>
            <tr>
              <th>Modes</th>
              <th>Starts</th>
              <th>Ends</th>
              <th>Source</th>
              <th>Active</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((d) => (
              <tr key={d.id} data-downtime={d.id}>
                <td>{d.modes.join(', ')}</td>
                <td>
                  <When at={d.starts_at} />
                </td>
                <td>
                  <When at={d.resolved_at ?? d.ends_at} />
                </td>
                <td>
                  {d.source}
                  {d.external_id ? ` (${d.external_id})` : ''}
                </td>
                <td className={d.active ? 'bad' : ''}>{d.active ? 'active' : 'no'}</td>
                <td>
                  {!d.resolved_at && (
                    <ActionButton
                      label="End now"
                      confirm="End this downtime? The payouts waiting for it are released."
                      run={async () => {
                        const r = unwrap(
                          await api.POST('/v1/admin/providers/{provider}/downtimes/{id}/end', {
                            params: { path: { provider, id: d.id } },
                          }),
                        );
                        list.reload();
                        return `ended: ${r.released} payout(s) released`;
                      }}
                    />
                  )}
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
  path: '/operations/downtimes',
  title: 'Provider downtimes',
  nav: { label: 'Downtimes', order: 37 },
  audiences: ['operator'],
  Component: Downtimes,
});
