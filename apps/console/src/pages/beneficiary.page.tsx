import { api, unwrap } from '../api/client';
import { Link } from '../router';
import { ActionButton, Card, ErrorBox, Loading, useLoad, When } from '../ui';
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

export default definePage({
  path: '/beneficiaries/:id',
  title: 'Beneficiary',
  audiences: ['tenant'],
  Component: Beneficiary,
});
