import { type FormEvent, useRef, useState } from 'react';
import { api, type Schemas, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { Link, navigate } from '../router';
import { Card, ErrorBox, Loading, useLoad, When } from '../ui';
import { definePage, type Session } from './page';

type Filters = NonNullable<paths['/v1/beneficiaries']['get']['parameters']['query']>;
type BeneficiaryType = Schemas['CreateBeneficiary']['type'];

/** Keys that keep saved beneficiaries (the API's roles: admin and maker); everyone reads them. */
export const mayKeepBeneficiaries = (session: Session) =>
  session.tenant_role === 'admin' || session.tenant_role === 'maker';

/**
 * Saved beneficiaries (GET /v1/beneficiaries): search by name, reference or type; save a new one
 * (POST, one Idempotency-Key per form, so a double submit saves it once).
 */
function Beneficiaries({ session }: { session: Session }) {
  const [filters, setFilters] = useState<Filters>({ archived: 'false' });
  const [cursor, setCursor] = useState<string>();
  const list = useLoad(
    async () =>
      unwrap(
        await api.GET('/v1/beneficiaries', {
          params: { query: { ...filters, limit: 50, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    [JSON.stringify(filters), cursor],
  );
  const search = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next: Record<string, string> = {};
    for (const name of ['name', 'reference_id', 'type', 'archived']) {
      const value = String(form.get(name) ?? '').trim();
      if (value) next[name] = value;
    }
    setCursor(undefined);
    setFilters(next as Filters);
  };
  return (
    <>
      <form className="filters" onSubmit={search}>
        <label>
          Name
          <input name="name" placeholder="asha" />
        </label>
        <label>
          Reference
          <input name="reference_id" placeholder="emp-1042" />
        </label>
        <label>
          Type
          <select name="type" defaultValue="">
            <option value="">any</option>
            <option value="employee">employee</option>
            <option value="vendor">vendor</option>
            <option value="customer">customer</option>
            <option value="self">self</option>
          </select>
        </label>
        <label>
          Archived
          <select name="archived" defaultValue="false">
            <option value="false">active only</option>
            <option value="true">archived only</option>
            <option value="">both</option>
          </select>
        </label>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <ErrorBox error={list.error} />
      {!list.data ? (
        !list.error && <Loading what="beneficiaries" />
      ) : list.data.data.length === 0 ? (
        <p className="muted">No beneficiary matches.</p>
      ) : (
        <>
          <table data-testid="beneficiaries">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Reference</th>
                <th>Account</th>
                <th>Version</th>
                <th>Saved</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((b) => (
                <tr key={b.id}>
                  <td>
                    <Link to={`/beneficiaries/${b.id}`}>{b.name}</Link>
                    {b.archived && <span className="muted"> (archived)</span>}
                  </td>
                  <td>{b.type}</td>
                  <td>{b.reference_id ?? '—'}</td>
                  <td>
                    {b.bank_account
                      ? `${b.bank_account.account_number ?? ''} ${b.bank_account.bank_code ?? ''}`
                      : (b.upi_address ?? '—')}
                  </td>
                  <td>{b.version}</td>
                  <td>
                    <When at={b.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.has_more && list.data.next_cursor && (
            <button type="button" onClick={() => setCursor(list.data?.next_cursor ?? undefined)}>
              Next page
            </button>
          )}
        </>
      )}
      {mayKeepBeneficiaries(session) && <CreateBeneficiary />}
    </>
  );
}

function CreateBeneficiary() {
  // A new key once a beneficiary is saved; the same one for retries of the same form.
  const idempotencyKey = useRef(crypto.randomUUID());
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const body: Schemas['CreateBeneficiary'] = { type: text('type') as BeneficiaryType, name: text('name') };
    if (text('reference_id')) body.reference_id = text('reference_id');
    if (text('email')) body.email = text('email');
    if (text('upi_address')) body.upi_address = text('upi_address');
    if (text('account_number') || text('bank_code')) {
      body.bank_account = { account_number: text('account_number'), bank_code: text('bank_code') };
    }
    setBusy(true);
    setError(undefined);
    try {
      const saved = unwrap(
        await api.POST('/v1/beneficiaries', {
          params: { header: { 'Idempotency-Key': idempotencyKey.current } },
          body,
        }),
      );
      idempotencyKey.current = crypto.randomUUID();
      navigate(`/beneficiaries/${saved.id}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Save a beneficiary" testId="new-beneficiary">
      <form className="filters" onSubmit={submit}>
        <label>
          Type
          <select name="type" defaultValue="employee">
            <option value="employee">employee</option>
            <option value="vendor">vendor</option>
            <option value="customer">customer</option>
            <option value="self">self</option>
          </select>
        </label>
        <label>
          Full name
          <input name="name" required />
        </label>
        <label>
          Your reference
          <input name="reference_id" />
        </label>
        <label>
          Email
          <input name="email" type="email" />
        </label>
        <label>
          Account number
          <input name="account_number" />
        </label>
        <label>
          Bank code (IFSC, …)
          <input name="bank_code" />
        </label>
        <label>
          or UPI address
          <input name="upi_address" />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      </form>
      <ErrorBox error={error} />
    </Card>
  );
}

export default definePage({
  path: '/beneficiaries',
  title: 'Beneficiaries',
  nav: { label: 'Beneficiaries', order: 25 },
  audiences: ['tenant'],
  Component: Beneficiaries,
});
