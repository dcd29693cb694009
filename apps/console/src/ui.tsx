import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api/client';

/** Loads once per change of `deps`, and again on `reload()`; `every` (ms) polls while mounted. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  options: { every?: number } = {},
): { data: T | undefined; error: unknown; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to load again
  useEffect(() => {
    let live = true;
    loadRef.current().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(undefined);
      },
      (e: unknown) => live && setError(e),
    );
    const timer = options.every ? window.setTimeout(() => setTick((t) => t + 1), options.every) : undefined;
    return () => {
      live = false;
      if (timer) window.clearTimeout(timer);
    };
  }, [...deps, tick, options.every]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

const EXPONENT = 2; // every currency the engine pays (INR, THB, USD, COP) has two decimals

/** Minor units as the amount a person reads: `INR 1,234.50`. */
export function Money({ amount, currency }: { amount: number | string; currency: string }) {
  const minor = BigInt(amount);
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const scale = 10n ** BigInt(EXPONENT);
  const whole = (abs / scale).toLocaleString('en-US');
  const fraction = (abs % scale).toString().padStart(EXPONENT, '0');
  return (
    <span className="money">
      {currency} {negative ? '−' : ''}
      {whole}.{fraction}
    </span>
  );
}

export function Status({ value }: { value: string }) {
  return <span className={`status status-${value}`}>{value.replaceAll('_', ' ')}</span>;
}

export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  return <time dateTime={at}>{new Date(at).toLocaleString()}</time>;
}

export function Card({
  title,
  children,
  testId,
  wide,
}: {
  title: string;
  children: ReactNode;
  testId?: string;
  /** Across the whole grid: a table with many columns. */
  wide?: boolean;
}) {
  return (
    <section className={wide ? 'card wide' : 'card'} data-testid={testId}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** A problem answer as a person reads it: its detail, then each field it names. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof ApiError) {
    return (
      <div className="error" role="alert">
        <strong>{error.message}</strong>
        {error.problem.errors && error.problem.errors.length > 0 && (
          <ul>
            {error.problem.errors.slice(0, 20).map((e) => (
              <li key={`${e.field}:${e.message}`}>
                <code>{e.field}</code> {e.message}
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  return (
    <div className="error" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="muted">Loading {what}…</p>;
}

/** A button that runs an action once at a time and shows what came of it. */
export function ActionButton({
  label,
  run,
  confirm,
  kind = 'secondary',
}: {
  label: string;
  run: () => Promise<ReactNode | undefined>;
  confirm?: string;
  kind?: 'primary' | 'secondary' | 'danger';
}) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ReactNode>();
  const [error, setError] = useState<unknown>();
  const onClick = async () => {
    if (confirm && !window.confirm(confirm)) return;
    setBusy(true);
    setError(undefined);
    setOutcome(undefined);
    try {
      setOutcome(await run());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="action">
      <button type="button" className={kind} disabled={busy} onClick={onClick}>
        {busy ? `${label}…` : label}
      </button>
      {outcome && <span className="outcome">{outcome}</span>}
      <ErrorBox error={error} />
    </span>
  );
}

/**
 * A form's per-field errors (a problem's `errors`, or the form's own): `at(field)` shows the one
 * for a field beside it; `others()`, called after every `at`, lists those no field showed.
 */
export function useFieldErrors() {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const placed = new Set<string>();
  const at = (field: string) => {
    placed.add(field);
    return errors[field] ? (
      <span className="field-error" data-testid={`error-${field}`}>
        {errors[field]}
      </span>
    ) : null;
  };
  const others = () => {
    const rest = Object.entries(errors).filter(([field]) => !placed.has(field));
    if (rest.length === 0) return null;
    return (
      <ul className="field-error">
        {rest.map(([field, message]) => (
          <li key={field}>
            <code>{field}</code> {message}
          </li>
        ))}
      </ul>
    );
  };
  /** Takes the fields a problem names; returns whether it named any. */
  const fromProblem = (e: unknown): boolean => {
    const named = e instanceof ApiError ? (e.problem.errors ?? []) : [];
    setErrors(Object.fromEntries(named.map((x) => [x.field, x.message])));
    return named.length > 0;
  };
  return { set: setErrors, at, others, fromProblem };
}
