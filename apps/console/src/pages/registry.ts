import type { PageDefinition } from './page';

/**
 * Every `*.page.tsx` in this folder, found at build time (Vite's import.meta.glob): adding a page
 * (approvals, reconciliation runs, …) is adding one file.
 */
const modules = import.meta.glob<{ default: PageDefinition }>('./*.page.tsx', { eager: true });

export const PAGES: readonly PageDefinition[] = Object.values(modules).map((m) => m.default);
