import type { ComponentType } from 'react';
import type { Schemas } from '../api/client';

export type Session = Schemas['ConsoleSession'];
export type Audience = Session['role'];

/**
 * One page of the console. A page is one file in pages/ named `*.page.tsx` whose default export is
 * `definePage({...})`: the registry finds it, the navigation lists it (when it has `nav`), and the
 * shell shows it only to the audiences it names — the API still decides what each session may do.
 */
export interface PageDefinition {
  /** Below /console, with `:name` parameters: `/payouts/:id`. */
  path: string;
  title: string;
  /** In the navigation, in this order; absent for detail pages reached by a link. */
  nav?: { label: string; order: number };
  audiences: readonly Audience[];
  /** Narrower still, e.g. a tenant's admin keys only; the API refuses the rest anyway. */
  only?: (session: Session) => boolean;
  Component: ComponentType<{ params: Record<string, string>; session: Session }>;
}

export function definePage(page: PageDefinition): PageDefinition {
  return page;
}
