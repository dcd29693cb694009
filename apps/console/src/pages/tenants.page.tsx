import { type FormEvent, useState } from 'react';
import { api, type Schemas, unwrap } from '../api/client';
import { Link } from '../router';
import { ActionButton, Card, ErrorBox, Loading, Money, useLoad, When } from '../ui';
import { definePage } from './page';

type Role = Schemas['CreateApiKey']['role'];
const ROLES: readonly Role[] = ['admin', 'maker', 'approver', 'viewer'];

/** Tenants, their balances and keys: issue a key (with its role and a label naming who holds it), revoke one. */
function Tenants() {
  const tenants = useLoad(
    async () => unwrap(await api.GET('/v1/admin/tenants', { params: { query: { limit: 100 } } })),
    [],
  );
  const [selected, setSelected] = useState<string | null>(null);
  const [name, setName] = useState('');
  const create = async (event: FormEvent) => {
    event.preventDefault();
    const tenant = unwrap(
      await api.POST('/v1/admin/tenants', {
        params: { header: { 'Idempotency-Key': crypto.randomUUID() } },
        body: { name },
      }),
    );
    setName('');
    tenants.reload();
    setSelected(tenant.id);
  };
  return (
    <div className="grid">
      <Card title="Tenants">
        <form className="filters" onSubmit={(e) => void create(e)}>
          <label>
            New tenant
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Acme Payroll" required />
          </label>
          <button type="submit">Create</button>
        </form>
        <ErrorBox error={tenants.error} />
        {!tenants.data ? (
          <Loading what="tenants" />
        ) : (
          <table data-testid="tenants">
            <thead>
              <tr>
                <th>Tenant</th>
                <th>Name</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {tenants.data.data.map((t) => (
                <tr key={t.id} className={t.id === selected ? 'selected' : ''}>
                  <td>
                    <button type="button" className="link" onClick={() => setSelected(t.id)}>
                      {t.id}
                    </button>
                  </td>
                  <td>
                    {t.name} · <Link to={`/payouts?tenant=${t.id}`}>payouts</Link>
                  </td>
                  <td>
                    <When at={t.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {selected && <TenantKeys key={selected} tenantId={selected} />}
    </div>
  );
}

function TenantKeys({ tenantId }: { tenantId: string }) {
  const keys = useLoad(
    async () => unwrap(await api.GET('/v1/admin/tenants/{id}/api-keys', { params: { path: { id: tenantId } } })),
    [tenantId],
  );
  const balances = useLoad(
    async () => unwrap(await api.GET('/v1/admin/tenants/{id}/balances', { params: { path: { id: tenantId } } })),
    [tenantId],
  );
  const [role, setRole] = useState<Role>('viewer');
  const [label, setLabel] = useState('');
  const [issued, setIssued] = useState<Schemas['ApiKey'] | null>(null);
  const [error, setError] = useState<unknown>();
  const issue = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const key = unwrap(
        await api.POST('/v1/admin/tenants/{id}/api-keys', {
          params: { path: { id: tenantId } },
          body: { mode: 'test', role, ...(label.trim() ? { label: label.trim() } : {}) },
        }),
      );
      setIssued(key);
      setLabel('');
      keys.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Card title={`Tenant ${tenantId}`} testId="tenant">
      <h3>Balances</h3>
      <ErrorBox error={balances.error} />
      {balances.data &&
        (balances.data.data.length === 0 ? (
          <p className="muted">No wallet yet.</p>
        ) : (
          <ul className="plain">
            {balances.data.data.map((b) => (
              <li key={b.currency}>
                <Money amount={b.available} currency={b.currency} /> available,{' '}
                <Money amount={b.held} currency={b.currency} /> held
              </li>
            ))}
          </ul>
        ))}
      <h3>Keys</h3>
      <form className="filters" onSubmit={(e) => void issue(e)}>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Label (who holds it)
          <input value={label} onChange={(e) => setLabel(e.target.value)} placeholder="finance: Priya" />
        </label>
        <button type="submit">Issue a key</button>
      </form>
      <ErrorBox error={error} />
      {issued && (
        <p className="issued" data-testid="issued-key">
          New {issued.role} key, shown once — copy it now: <code>{issued.key}</code>
        </p>
      )}
      <ErrorBox error={keys.error} />
      {keys.data && (
        <table data-testid="keys">
          <thead>
            <tr>
              <th>Prefix</th>
              <th>Role</th>
              <th>Label</th>
              <th>Last used</th>
              <th>Revoked</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.data.data.map((k) => (
              <tr key={k.id}>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.role}</td>
                <td>{k.label ?? '—'}</td>
                <td>
                  <When at={k.last_used_at} />
                </td>
                <td>
                  <When at={k.revoked_at} />
                </td>
                <td>
                  {!k.revoked_at && (
                    <ActionButton
                      label="Revoke"
                      kind="danger"
                      confirm={`Revoke ${k.prefix}…? Every request and console session with it stops at once.`}
                      run={async () => {
                        unwrap(await api.POST('/v1/admin/api-keys/{id}/revoke', { params: { path: { id: k.id } } }));
                        keys.reload();
                        return 'revoked';
                      }}
                    />
                  )}
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
  path: '/operations/tenants',
  title: 'Tenants and keys',
  nav: { label: 'Tenants & keys', order: 50 },
  audiences: ['operator'],
  Component: Tenants,
});
