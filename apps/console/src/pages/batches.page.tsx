import { type FormEvent, useState } from 'react';
import { api, type Schemas, unwrap } from '../api/client';
import { navigate } from '../router';
import { Card, ErrorBox, Money } from '../ui';
import { definePage } from './page';

type Preview = Schemas['PayoutBatchPreview'];
type Options = { mode: Preview['mode']; on_insufficient_funds: Preview['on_insufficient_funds'] };

/** A CSV upload: sent first as a dry run (the API judges it and stores nothing), submitted only after. */
async function upload(csv: string, options: Options, submit: { idempotencyKey: string } | null) {
  return api.POST('/v1/payout-batches', {
    params: {
      query: { ...options, ...(submit ? {} : { dry_run: 'true' as const }) },
      header: submit ? { 'Idempotency-Key': submit.idempotencyKey } : {},
    },
    body: csv,
    headers: { 'Content-Type': 'text/csv' },
    bodySerializer: (body) => body as string,
  });
}

function Batches() {
  const [csv, setCsv] = useState<{ name: string; text: string; key: string } | null>(null);
  const [options, setOptions] = useState<Options>({ mode: 'all_or_nothing', on_insufficient_funds: 'refuse' });
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [openId, setOpenId] = useState('');

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await what();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const validate = (file: { text: string }, opts: Options) =>
    run(async () => {
      setPreview(null);
      setPreview(unwrap(await upload(file.text, opts, null)) as Preview);
    });
  const choose = async (file: File | undefined) => {
    if (!file) return;
    // One Idempotency-Key per chosen file: a double-click or a retry of the submit stores it once.
    const chosen = { name: file.name, text: await file.text(), key: crypto.randomUUID() };
    setCsv(chosen);
    await validate(chosen, options);
  };
  const changeOptions = (next: Options) => {
    setOptions(next);
    if (csv) void validate(csv, next);
  };
  const submit = () =>
    run(async () => {
      if (!csv) return;
      const batch = unwrap(await upload(csv.text, options, { idempotencyKey: csv.key })) as Schemas['PayoutBatch'];
      navigate(`/batches/${batch.id}`);
    });
  const open = (event: FormEvent) => {
    event.preventDefault();
    if (openId.trim()) navigate(`/batches/${openId.trim()}`);
  };

  return (
    <div className="grid">
      <Card title="Upload a CSV">
        <p className="muted small">
          Columns as in docs/batches.md (amount, currency, method, purpose, reference_id, beneficiary_…). The file is
          validated first — nothing is paid until you submit.
        </p>
        <div className="filters">
          <label>
            CSV file
            <input
              type="file"
              accept=".csv,text/csv"
              data-testid="csv-file"
              onChange={(e) => void choose(e.target.files?.[0])}
            />
          </label>
          <label>
            Invalid rows
            <select
              value={options.mode}
              onChange={(e) => changeOptions({ ...options, mode: e.target.value as Options['mode'] })}
            >
              <option value="all_or_nothing">refuse the whole run</option>
              <option value="accept_valid">skip them, pay the rest</option>
            </select>
          </label>
          <label>
            Wallet too low
            <select
              value={options.on_insufficient_funds}
              onChange={(e) =>
                changeOptions({ ...options, on_insufficient_funds: e.target.value as Options['on_insufficient_funds'] })
              }
            >
              <option value="refuse">refuse the run</option>
              <option value="queue">queue until funded</option>
            </select>
          </label>
        </div>
        {busy && <p className="muted">Working…</p>}
        <ErrorBox error={error} />
        {preview && csv && <PreviewView preview={preview} name={csv.name} />}
        {preview && (
          <button
            type="button"
            className="primary"
            disabled={busy || !preview.would_store}
            onClick={() => void submit()}
          >
            Submit {preview.rows.valid} payout(s)
          </button>
        )}
      </Card>
      <Card title="Open a batch">
        <form onSubmit={open} className="filters">
          <label>
            Batch id
            <input value={openId} onChange={(e) => setOpenId(e.target.value)} placeholder="bat_…" />
          </label>
          <button type="submit">Open</button>
        </form>
      </Card>
    </div>
  );
}

function PreviewView({ preview, name }: { preview: Preview; name: string }) {
  return (
    <div className="preview" data-testid="preview">
      <p>
        <strong>{name}</strong>: {preview.rows.total} rows, {preview.rows.valid} valid,{' '}
        <span className={preview.rows.invalid ? 'bad' : ''}>{preview.rows.invalid} invalid</span>.{' '}
        {preview.would_store ? (
          <span className="good" data-testid="verdict">
            Ready to submit.
          </span>
        ) : (
          <span className="bad" data-testid="verdict">
            Would be refused as it is.
          </span>
        )}
      </p>
      {preview.row_errors.length > 0 && (
        <table data-testid="row-errors">
          <thead>
            <tr>
              <th>Row</th>
              <th>Reference</th>
              <th>Column</th>
              <th>Problem</th>
            </tr>
          </thead>
          <tbody>
            {preview.row_errors.slice(0, 500).map((e) => (
              <tr key={`${e.row}:${e.field}`}>
                <td>{e.row}</td>
                <td>{e.reference_id ?? '—'}</td>
                <td>
                  <code>{e.field}</code>
                </td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {preview.totals.length > 0 && (
        <table data-testid="totals">
          <thead>
            <tr>
              <th>Currency</th>
              <th>Provider</th>
              <th>Payouts</th>
              <th>Total</th>
            </tr>
          </thead>
          <tbody>
            {preview.totals.map((t) => (
              <tr key={`${t.currency}:${t.provider}`}>
                <td>{t.currency}</td>
                <td>{t.provider}</td>
                <td>{t.count}</td>
                <td>
                  <Money amount={t.amount} currency={t.currency} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {preview.shortfalls.map((s) => (
        <p key={s.currency} className="bad">
          Wallet {s.currency}: needs <Money amount={s.needed} currency={s.currency} /> (amounts and fee reserves),
          available <Money amount={s.available} currency={s.currency} />.
        </p>
      ))}
      {preview.over_limit.length > 0 && (
        <p className="bad">Over the most a wallet may hold: {preview.over_limit.join(', ')}. Split the run.</p>
      )}
    </div>
  );
}

export default definePage({
  path: '/batches',
  title: 'Batches',
  nav: { label: 'Batches', order: 20 },
  audiences: ['tenant'],
  Component: Batches,
});
