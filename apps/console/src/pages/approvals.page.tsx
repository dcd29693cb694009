import { type FormEvent, useRef, useState } from 'react';
import { api, type Schemas, unwrap } from '../api/client';
import { ApprovalDecision, mayDecide } from '../decisions';
import { Link } from '../router';
import { Card, ErrorBox, Loading, Status, useFieldErrors, useLoad, When } from '../ui';
import { definePage, type Session } from './page';

type Approval = Schemas['Approval'];
type ApprovalStatus = Approval['status'];

/**
 * What waits for a human's approval (GET /v1/approvals), with the decisions an approver can take
 * here; and, for an admin key, the tenant's approval policy (GET/PUT /v1/approval-policy).
 */
function Approvals({ session }: { session: Session }) {
  const [status, setStatus] = useState<ApprovalStatus>('pending');
  const list = useLoad(
    async () => unwrap(await api.GET('/v1/approvals', { params: { query: { status, limit: 100 } } })),
    [status],
    { every: 5000 },
  );
  return (
    <>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as ApprovalStatus)}>
            <option value="pending">pending</option>
            <option value="approved">approved</option>
            <option value="rejected">rejected</option>
            <option value="expired">expired</option>
          </select>
        </label>
      </form>
      <ErrorBox error={list.error} />
      {!list.data ? (
        !list.error && <Loading what="approvals" />
      ) : list.data.data.length === 0 ? (
        <p className="muted">Nothing {status}.</p>
      ) : (
        <table data-testid="approvals">
          <thead>
            <tr>
              <th>What</th>
              <th>Status</th>
              <th>Approvals</th>
              <th>Made by</th>
              <th>Expires</th>
              <th>Decisions</th>
              {status === 'pending' && mayDecide(session) && <th>Decide</th>}
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((a) => (
              <tr key={a.subject_id} data-subject={a.subject_id}>
                <td>
                  {a.kind}{' '}
                  <Link to={a.kind === 'payout' ? `/payouts/${a.subject_id}` : `/batches/${a.subject_id}`}>
                    {a.subject_id}
                  </Link>
                </td>
                <td>
                  <Status value={a.status} />
                </td>
                <td>
                  {a.approvals} of {a.approvals_required}
                </td>
                <td>{a.maker.label ?? <code>{a.maker.key_id}</code>}</td>
                <td>
                  <When at={a.expires_at} />
                </td>
                <td className="small">
                  {a.decisions.map((d) => (
                    <div key={`${d.key_id}:${d.created_at}`}>
                      {d.decision} by {d.label ?? d.key_id}
                      {d.reason ? `: ${d.reason}` : ''}
                    </div>
                  ))}
                </td>
                {status === 'pending' && mayDecide(session) && (
                  <td>
                    <ApprovalDecision kind={a.kind} id={a.subject_id} onDecided={list.reload} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {session.tenant_role === 'admin' && <Policy />}
    </>
  );
}

type Rule = Schemas['ApprovalRule'];
type Currency = keyof Rule['min_amount'];
/** The currencies the engine pays, each with two decimals (ui.tsx, Money). */
const CURRENCIES: readonly Currency[] = ['INR', 'THB', 'USD', 'COP'];

/** A rule as the form holds it: amounts as typed (major units, `1000.00`), empty for no minimum. */
interface RuleDraft {
  key: string;
  kind: Rule['kind'];
  approvals: '1' | '2';
  amounts: Partial<Record<Currency, string>>;
}

/** `1,000.50` → 100050n; null when it is not an amount with at most two decimals. */
function toMinor(typed: string): bigint | null {
  const m = /^(\d{1,16})(?:\.(\d{1,2}))?$/.exec(typed.replaceAll(',', '').trim());
  if (!m) return null;
  return BigInt(m[1] ?? '0') * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
}

function toMajor(minor: number): string {
  const abs = BigInt(minor);
  return `${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

const draftOf = (rule: Schemas['ApprovalPolicyResource']['rules'][number], i: number): RuleDraft => ({
  key: `saved-${i}`,
  kind: rule.kind,
  approvals: rule.approvals_required === 2 ? '2' : '1',
  amounts: Object.fromEntries(Object.entries(rule.min_amount).map(([c, v]) => [c, toMajor(v)])),
});

/**
 * The tenant's approval policy as a form: rules (a payout alone, or a batch's total per currency,
 * from a minimum per currency, waits for one or two approvals) and how long an approval may wait.
 * PUT replaces the policy whole; no rule turns approvals off. The API validates: its per-field
 * errors are shown beside the field they name.
 */
function Policy() {
  const policy = useLoad(async () => unwrap(await api.GET('/v1/approval-policy')), []);
  const [rules, setRules] = useState<RuleDraft[]>();
  const [hours, setHours] = useState<string>();
  const fields = useFieldErrors();
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const nextKey = useRef(0);
  const shownRules = rules ?? policy.data?.rules.map(draftOf) ?? [];
  const shownHours = hours ?? (policy.data ? String(policy.data.expires_after_hours) : '');
  const edit = (i: number, change: Partial<RuleDraft>) => {
    setSaved(false);
    setRules(shownRules.map((r, j) => (j === i ? { ...r, ...change } : r)));
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSaved(false);
    setError(undefined);
    // What the form can tell by itself: an amount that is not one. The rest is the API's to say.
    const local: Record<string, string> = {};
    const body: Schemas['ApprovalPolicy'] = {
      rules: shownRules.map((r, i) => {
        const min_amount: Rule['min_amount'] = {};
        for (const currency of CURRENCIES) {
          const typed = r.amounts[currency]?.trim();
          if (!typed) continue;
          const minor = toMinor(typed);
          if (minor === null) local[`rules.${i}.min_amount.${currency}`] = 'must be an amount such as 1000.00';
          else min_amount[currency] = Number(minor);
        }
        return { kind: r.kind, min_amount, approvals_required: r.approvals === '2' ? 2 : 1 };
      }),
      // As typed (not a number: NaN, sent as null): the API says what is wrong with it.
      expires_after_hours: Number(shownHours.trim()),
    };
    if (Object.keys(local).length > 0) {
      fields.set(local);
      return;
    }
    setBusy(true);
    try {
      unwrap(await api.PUT('/v1/approval-policy', { body }));
      fields.set({});
      setRules(undefined);
      setHours(undefined);
      setSaved(true);
      policy.reload();
    } catch (e) {
      // A problem that names no field is shown whole.
      if (!fields.fromProblem(e)) setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Approval policy" testId="approval-policy">
      <ErrorBox error={policy.error} />
      <p className="muted small">
        A payout created alone, or a batch by its total per currency, of at least the minimum in a currency waits for
        that many distinct approvals (never its maker’s). No rule: nothing waits.
      </p>
      {policy.data && (
        <form className="policy" onSubmit={submit} noValidate>
          {shownRules.length === 0 && <p className="muted">No rule: approvals are off.</p>}
          {shownRules.map((r, i) => (
            <fieldset key={r.key} data-testid={`rule-${i}`}>
              <legend>Rule {i + 1}</legend>
              <label>
                Applies to
                <select value={r.kind} onChange={(e) => edit(i, { kind: e.target.value as Rule['kind'] })}>
                  <option value="payout">a payout</option>
                  <option value="batch">a batch (total per currency)</option>
                </select>
                {fields.at(`rules.${i}.kind`)}
              </label>
              {CURRENCIES.map((currency) => (
                <label key={currency}>
                  From {currency}
                  <input
                    inputMode="decimal"
                    placeholder="no minimum"
                    value={r.amounts[currency] ?? ''}
                    onChange={(e) => edit(i, { amounts: { ...r.amounts, [currency]: e.target.value } })}
                  />
                  {fields.at(`rules.${i}.min_amount.${currency}`)}
                </label>
              ))}
              <label>
                Approvals
                <select
                  value={r.approvals}
                  onChange={(e) => edit(i, { approvals: e.target.value === '2' ? '2' : '1' })}
                >
                  <option value="1">1</option>
                  <option value="2">2</option>
                </select>
                {fields.at(`rules.${i}.approvals_required`)}
              </label>
              <button type="button" onClick={() => setRules(shownRules.filter((_, j) => j !== i))}>
                Remove rule {i + 1}
              </button>
              {fields.at(`rules.${i}.min_amount`)}
              {fields.at(`rules.${i}`)}
            </fieldset>
          ))}
          {fields.at('rules')}
          <p>
            <button
              type="button"
              onClick={() => {
                nextKey.current += 1;
                setRules([
                  ...shownRules,
                  { key: `new-${nextKey.current}`, kind: 'payout', approvals: '1', amounts: {} },
                ]);
              }}
            >
              Add a rule
            </button>
          </p>
          <label>
            An approval expires after (hours)
            <input
              inputMode="numeric"
              value={shownHours}
              onChange={(e) => {
                setSaved(false);
                setHours(e.target.value);
              }}
            />
            {fields.at('expires_after_hours')}
          </label>
          <p>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save the policy'}
            </button>{' '}
            {saved && <span className="outcome">saved</span>}
          </p>
          {fields.others()}
          <ErrorBox error={error} />
        </form>
      )}
    </Card>
  );
}

export default definePage({
  path: '/approvals',
  title: 'Approvals',
  nav: { label: 'Approvals', order: 15 },
  audiences: ['tenant'],
  Component: Approvals,
});
