import { type FormEvent, useState } from 'react';
import { api, type Schemas, unwrap } from '../api/client';
import { Link } from '../router';
import { ActionButton, Card, ErrorBox, Loading, useFieldErrors, useLoad, When } from '../ui';
import { mayKeepBeneficiaries } from './beneficiaries.page';
import { definePage, type Session } from './page';

/**
 * One saved beneficiary: its current account (masked), every account it has had with who set it
 * (GET /v1/beneficiaries/{id}/versions), and archiving it (payouts made keep it; no new ones).
 */
function Beneficiary({ params, session }: { params: Record<string, string>; session: Session }) {
  const id = params.id ?? '';
  const beneficiary = useLoad(
    async () => unwrap(await api.GET('/v1/beneficiaries/{id}', { params: { path: { id } } })),
    [id],
  );
  const versions = useLoad(
    async () => unwrap(await api.GET('/v1/beneficiaries/{id}/versions', { params: { path: { id } } })),
    [id, beneficiary.data?.version],
  );
  const b = beneficiary.data;
  return (
    <>
      <p>
        <Link to="/beneficiaries">← Beneficiaries</Link>
      </p>
      <ErrorBox error={beneficiary.error} />
      {!b ? (
        !beneficiary.error && <Loading what="the beneficiary" />
      ) : (
        <div className="grid">
          <Card title={b.name} testId="beneficiary">
            <dl className="facts">
              <dt>Id</dt>
              <dd>
                <code>{b.id}</code>
              </dd>
              <dt>Type</dt>
              <dd>{b.type}</dd>
              <dt>Reference</dt>
              <dd>{b.reference_id ?? '—'}</dd>
              <dt>Account</dt>
              <dd>
                {b.bank_account
                  ? `${b.bank_account.account_number ?? ''} ${b.bank_account.bank_code ?? ''}`
                  : (b.upi_address ?? '—')}
              </dd>
              <dt>Version</dt>
              <dd>
                {b.version}, set by {b.version_created_by.label ?? b.version_created_by.key_id}{' '}
                <When at={b.version_created_at} />
              </dd>
              <dt>State</dt>
              <dd data-testid="beneficiary-state">
                {b.archived ? (
                  <>
                    archived <When at={b.archived_at} />
                  </>
                ) : (
                  'active'
                )}
              </dd>
            </dl>
            {!b.archived && mayKeepBeneficiaries(session) && (
              <ActionButton
                label="Archive"
                kind="danger"
                confirm="Archive this beneficiary? No new payout can name it; payouts made keep it."
                run={async () => {
                  unwrap(await api.DELETE('/v1/beneficiaries/{id}', { params: { path: { id: b.id } } }));
                  beneficiary.reload();
                  return 'archived';
                }}
              />
            )}
          </Card>
          {!b.archived && mayKeepBeneficiaries(session) && (
            <EditBeneficiary key={b.id} beneficiary={b} onSaved={beneficiary.reload} />
          )}
          <Card title="Versions" testId="versions">
            <ErrorBox error={versions.error} />
            {!versions.data ? (
              <Loading what="the versions" />
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Version</th>
                    <th>Account</th>
                    <th>Set by</th>
                    <th>When</th>
                  </tr>
                </thead>
                <tbody>
                  {versions.data.data.map((v) => (
                    <tr key={v.version}>
                      <td>{v.version}</td>
                      <td>
                        {v.bank_account
                          ? `${v.bank_account.account_number ?? ''} ${v.bank_account.bank_code ?? ''}`
                          : (v.upi_address ?? '—')}
                      </td>
                      <td>{v.created_by.label ?? v.created_by.key_id}</td>
                      <td>
                        <When at={v.created_at} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </div>
      )}
    </>
  );
}

type Saved = Schemas['SavedBeneficiary'];
type Update = Schemas['UpdateBeneficiary'];
/** The contact fields the form edits; empty clears the optional ones (PATCH takes null for that). */
const CONTACT = [
  { field: 'name', label: 'Full name', required: true },
  { field: 'email', label: 'Email' },
  { field: 'phone', label: 'Phone' },
  { field: 'country', label: 'Country (ISO 3166, e.g. IN)' },
  { field: 'reference_id', label: 'Your reference' },
] as const;

/**
 * PATCH /v1/beneficiaries/{id}: only what changed is sent. Contact details change in place; a new
 * bank account or UPI address makes a new version (the payouts made keep the one they paid). The
 * API's per-field errors are shown beside the field they name.
 */
function EditBeneficiary({ beneficiary: b, onSaved }: { beneficiary: Saved; onSaved: () => void }) {
  const fields = useFieldErrors();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<string>();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const body: Update = {};
    for (const { field } of CONTACT) {
      const now = text(field);
      if (now === (b[field] ?? '')) continue;
      if (field === 'name') body.name = now;
      else body[field] = now === '' ? null : now;
    }
    if (text('type') !== b.type) body.type = text('type') as Saved['type'];
    if (text('account_number') || text('bank_code')) {
      body.bank_account = { account_number: text('account_number'), bank_code: text('bank_code') };
    }
    if (text('upi_address')) body.upi_address = text('upi_address');
    setOutcome(undefined);
    setError(undefined);
    fields.set({});
    if (Object.keys(body).length === 0) {
      setOutcome('nothing changed');
      return;
    }
    setBusy(true);
    try {
      const saved = unwrap(await api.PATCH('/v1/beneficiaries/{id}', { params: { path: { id: b.id } }, body }));
      setOutcome(saved.version > b.version ? `saved: version ${saved.version}` : 'saved');
      // The new account is saved: its fields are for the next one.
      for (const name of ['account_number', 'bank_code', 'upi_address']) {
        const input = element.elements.namedItem(name);
        if (input instanceof HTMLInputElement) input.value = '';
      }
      onSaved();
    } catch (e) {
      // A problem that names no field is shown whole.
      if (!fields.fromProblem(e)) setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Edit" testId="edit-beneficiary">
      <form className="filters edit-beneficiary" onSubmit={submit} noValidate>
        <label>
          Type
          <select name="type" defaultValue={b.type}>
            <option value="employee">employee</option>
            <option value="vendor">vendor</option>
            <option value="customer">customer</option>
            <option value="self">self</option>
          </select>
          {fields.at('type')}
        </label>
        {CONTACT.map(({ field, label }) => (
          <label key={field}>
            {label}
            <input name={field} defaultValue={b[field] ?? ''} />
            {fields.at(field)}
          </label>
        ))}
        <p className="muted small">A new account makes a new version; leave these empty to keep the current one.</p>
        <label>
          New account number
          <input name="account_number" autoComplete="off" />
          {fields.at('bank_account.account_number')}
        </label>
        <label>
          New bank code (IFSC, …)
          <input name="bank_code" />
          {fields.at('bank_account.bank_code')}
        </label>
        <label>
          or a new UPI address
          <input name="upi_address" />
          {fields.at('upi_address')}
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save the changes'}
        </button>
        {outcome && <span className="outcome">{outcome}</span>}
      </form>
      {fields.at('bank_account')}
      {fields.others()}
      <ErrorBox error={error} />
    </Card>
  );
}

export default definePage({
  path: '/beneficiaries/:id',
  title: 'Beneficiary',
  audiences: ['tenant'],
  Component: Beneficiary,
});
