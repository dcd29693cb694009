import { type FormEvent, useState } from 'react';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { Link, navigate, useLocation } from '../router';
import { ErrorBox, Loading, Money, Status, useLoad, When } from '../ui';
import { definePage, type Session } from './page';

type Filters = NonNullable<paths['/v1/payouts']['get']['parameters']['query']>;

/** The API's own filters (GET /v1/payouts), kept in the page's URL so a search can be linked. */
const FIELDS = [
  { name: 'reference_id', label: 'Reference', placeholder: 'inv-1042' },
  { name: 'status', label: 'States', placeholder: 'failed,rejected' },
  { name: 'provider', label: 'Provider', placeholder: 'razorpayx' },
  { name: 'currency', label: 'Currency', placeholder: 'INR' },
  { name: 'batch_id', label: 'Batch', placeholder: 'bat_…' },
  { name: 'amount_min', label: 'Amount from (minor units)', placeholder: '100' },
  { name: 'amount_max', label: 'Amount to (minor units)', placeholder: '500000' },
  { name: 'created_from', label: 'Created from', placeholder: '2026-12-01T00:00:00Z' },
  { name: 'created_to', label: 'Created before', placeholder: '2026-12-31T00:00:00Z' },
] as const;

/**
 * A tenant searches its own payouts; an operator names the tenant (`tenant` in the URL) and searches
 * its payouts through the admin route, with the same filters.
 */
function Payouts({ session }: { session: Session }) {
  const operator = session.role === 'operator';
  const { search } = useLocation();
  const query = search.toString();
  const tenant = search.get('tenant') ?? '';
  const [cursor, setCursor] = useState<string>();
  const result = useLoad(async () => {
    const { tenant: _tenant, ...given } = Object.fromEntries(search);
    const filters = { ...(given as unknown as Filters), limit: 50, ...(cursor ? { cursor } : {}) };
    if (!operator) return unwrap(await api.GET('/v1/payouts', { params: { query: filters } }));
    if (!tenant) return null;
    return unwrap(
      await api.GET('/v1/admin/tenants/{id}/payouts', { params: { path: { id: tenant }, query: filters } }),
    );
  }, [query, cursor]);
  const fields = operator ? [{ name: 'tenant', label: 'Tenant', placeholder: 'ten_…' } as const, ...FIELDS] : FIELDS;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const params = new URLSearchParams();
    for (const { name } of fields) {
      const value = String(form.get(name) ?? '').trim();
      if (value) params.set(name, value);
    }
    setCursor(undefined);
    navigate(`/payouts${params.size ? `?${params}` : ''}`);
  };

  return (
    <>
      <form className="filters" onSubmit={submit} key={query}>
        {fields.map((f) => (
          <label key={f.name}>
            {f.label}
            <input name={f.name} defaultValue={search.get(f.name) ?? ''} placeholder={f.placeholder} />
          </label>
        ))}
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <ErrorBox error={result.error} />
      {result.data === null ? (
        <p className="muted">Name a tenant to search its payouts.</p>
      ) : !result.data ? (
        !result.error && <Loading what="payouts" />
      ) : result.data.data.length === 0 ? (
        <p className="muted">No payout matches.</p>
      ) : (
        <>
          <table data-testid="payouts">
            <thead>
              <tr>
                <th>Payout</th>
                <th>Reference</th>
                <th>State</th>
                <th>Amount</th>
                <th>Provider</th>
                <th>Beneficiary</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {result.data.data.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link to={`/payouts/${p.id}`}>{p.id}</Link>
                  </td>
                  <td>{p.reference_id ?? <span className="muted">—</span>}</td>
                  <td>
                    <Status value={p.status} />
                  </td>
                  <td>
                    <Money amount={p.amount} currency={p.currency} />
                  </td>
                  <td>{p.provider}</td>
                  <td>{p.beneficiary.name ?? p.beneficiary.account_number ?? '—'}</td>
                  <td>
                    <When at={p.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.data.next_cursor && (
            <button type="button" onClick={() => setCursor(result.data?.next_cursor ?? undefined)}>
              Next page
            </button>
          )}
        </>
      )}
    </>
  );
}

export default definePage({
  path: '/payouts',
  title: 'Payouts',
  nav: { label: 'Payouts', order: 10 },
  audiences: ['tenant', 'operator'],
  Component: Payouts,
});
