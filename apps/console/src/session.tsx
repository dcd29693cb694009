import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { api, type Schemas, setCsrfToken, unwrap, whenSessionEnds } from './api/client';

type Session = Schemas['ConsoleSession'];
type State = { kind: 'loading' } | { kind: 'signed-out'; reason?: string } | { kind: 'signed-in'; session: Session };

interface SessionApi {
  state: State;
  signIn(apiKey: string): Promise<void>;
  signOut(): Promise<void>;
}

const Context = createContext<SessionApi | null>(null);

/**
 * Who the console acts as. The key typed at sign-in goes to `POST /v1/console/session` and is
 * dropped; from then on the browser holds only the HttpOnly cookie, and this holds the CSRF token
 * in memory. A reload asks `GET /v1/console/session` for both again.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ kind: 'loading' });

  const adopt = useCallback((session: Session | null, reason?: string) => {
    setCsrfToken(session?.csrf_token ?? null);
    setState(session ? { kind: 'signed-in', session } : { kind: 'signed-out', ...(reason ? { reason } : {}) });
  }, []);

  useEffect(() => {
    whenSessionEnds(() => adopt(null, 'Your session has ended. Sign in again.'));
    api.GET('/v1/console/session').then(
      (r) => adopt(r.data ?? null),
      () => adopt(null),
    );
  }, [adopt]);

  const signIn = useCallback(
    async (apiKey: string) => {
      adopt(unwrap(await api.POST('/v1/console/session', { body: { api_key: apiKey } })));
    },
    [adopt],
  );
  const signOut = useCallback(async () => {
    await api.DELETE('/v1/console/session');
    adopt(null, 'Signed out.');
  }, [adopt]);

  return <Context.Provider value={{ state, signIn, signOut }}>{children}</Context.Provider>;
}

export function useSession(): SessionApi {
  const value = useContext(Context);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
