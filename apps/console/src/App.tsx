import { type FormEvent, useState } from 'react';
import type { PageDefinition, Session } from './pages/page';
import { PAGES } from './pages/registry';
import { Link, match, useLocation } from './router';
import { useSession } from './session';
import { ErrorBox, Loading } from './ui';

export function App() {
  const { state } = useSession();
  if (state.kind === 'loading') return <Loading what="the console" />;
  if (state.kind === 'signed-out') return <SignIn {...(state.reason ? { reason: state.reason } : {})} />;
  return <Shell session={state.session} />;
}

function SignIn({ reason }: { reason?: string }) {
  const { signIn } = useSession();
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(key);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      setKey('');
    }
  };
  return (
    <main className="sign-in">
      <h1>Payouts console</h1>
      {reason && <p className="muted">{reason}</p>}
      <form onSubmit={submit}>
        <label>
          API key
          <input
            type="password"
            name="api_key"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="sk_test_… or an operator key"
            required
          />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      <p className="muted small">
        The key is exchanged for a 30-minute session and is not kept by the browser. A tenant key sees its own tenant;
        an operator key sees every tenant and the operator actions.
      </p>
      <ErrorBox error={error} />
    </main>
  );
}

function findPage(path: string): { page: PageDefinition; params: Record<string, string> } | null {
  for (const page of PAGES) {
    const params = match(page.path, path);
    if (params) return { page, params };
  }
  return null;
}

function mayOpen(page: PageDefinition, session: Session): boolean {
  return page.audiences.includes(session.role) && (page.only?.(session) ?? true);
}

function Shell({ session }: { session: Session }) {
  const { signOut } = useSession();
  const { path } = useLocation();
  const found = findPage(path);
  const nav = PAGES.filter((p) => p.nav && mayOpen(p, session)).sort(
    (a, b) => (a.nav?.order ?? 0) - (b.nav?.order ?? 0),
  );
  const who =
    session.role === 'operator'
      ? `Operator${session.label ? ` · ${session.label}` : ''}`
      : `Tenant ${session.tenant_id} · ${session.tenant_role}${session.label ? ` · ${session.label}` : ''}`;
  return (
    <div className="shell">
      <header>
        <span className="brand">Payouts console</span>
        <nav>
          {nav.map((p) => (
            <Link key={p.path} to={p.path} className={found?.page === p ? 'active' : ''}>
              {p.nav?.label}
            </Link>
          ))}
        </nav>
        <span className="who" data-testid="who">
          {who}
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main>
        {!found ? (
          <NotAvailable text="No such page." />
        ) : !mayOpen(found.page, session) ? (
          <NotAvailable
            text={`This page is for ${found.page.audiences.join(' and ')} sessions${found.page.only ? ' with more rights' : ''}; this session is a ${session.role}'s.`}
          />
        ) : (
          <>
            <h1>{found.page.title}</h1>
            <found.page.Component params={found.params} session={session} />
          </>
        )}
      </main>
    </div>
  );
}

function NotAvailable({ text }: { text: string }) {
  return (
    <div className="not-available" role="alert">
      <h1>Not available</h1>
      <p>{text}</p>
      <Link to="/">Back to the overview</Link>
    </div>
  );
}
