import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type RequestHandler, Router } from 'express';
import { sendProblem } from './problem.ts';

/**
 * `/console`: the operators' and tenants' web console (apps/console), a React app built by Vite
 * into apps/console/dist when the workspace is installed (`pnpm install` runs its `prepare`), and
 * served here as static files: no CDN, nothing from another origin. Every path under /console that
 * is not a built asset answers the app's index.html, whose router draws the page.
 *
 * The Content-Security-Policy allows scripts, styles and fetches from this origin only: the build
 * emits no inline script or style, so nothing injected into a page can run.
 */
export const CONSOLE_PATH = '/console';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** The @payouts/console package's build folder, wherever the install put the package. */
function consoleDist(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@payouts/console/package.json')), 'dist');
}

export function consoleApp(): Router {
  const router = Router();
  const dist = consoleDist();
  const indexFile = join(dist, 'index.html');
  router.use((_req, res, next) => {
    res.set(securityHeaders);
    next();
  });
  // Hashed file names (Vite): an asset never changes under its name.
  router.use(
    '/assets',
    express.static(join(dist, 'assets'), { immutable: true, maxAge: '365d', index: false }),
    // A missing asset (a page from an older build asking for a file a newer build renamed) is a 404, not the page.
    (req, res) => sendProblem(res, 404, 'not_found', `No console asset ${req.originalUrl}.`),
  );
  const page: RequestHandler = (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendProblem(res, 404, 'route_not_found', `No route for ${req.method} ${req.originalUrl}.`);
      return;
    }
    // Read per request (a few KB): a rebuild while the API runs is picked up without a restart.
    if (!existsSync(indexFile)) {
      sendProblem(
        res,
        503,
        'console_not_built',
        'The console is not built: run `pnpm install` (or `pnpm --filter @payouts/console build`).',
      );
      return;
    }
    res.set('Cache-Control', 'no-cache').type('html').send(readFileSync(indexFile));
  };
  router.use(page);
  return router;
}
