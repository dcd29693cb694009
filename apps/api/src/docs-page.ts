import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RequestHandler } from 'express';

/**
 * `GET /docs`: the OpenAPI document as an interactive reference (Swagger UI), served entirely by
 * the API from the pinned `swagger-ui-dist` package, so it works offline and loads nothing from
 * a CDN. The page has no inline script or style, which keeps its Content-Security-Policy strict:
 * scripts, styles and fetches from this origin only, nothing else. Swagger UI's base layout is
 * used on purpose: the standalone layout's top bar draws its logo with an inline `<style>`.
 */
export const DOCS_ASSETS_PATH = '/docs/assets';

/**
 * `img-src data:` is for the icons Swagger UI's stylesheet embeds as data: URIs (an image cannot
 * run code); everything else is this origin or nothing.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Starts Swagger UI on the document; relative, so the reference works behind a path prefix too. */
const INIT_SCRIPT = `'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '../openapi.json',
    dom_id: '#reference',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // Swagger's online validator is another origin: never called.
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payout engine API reference</title>
<link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css">
<script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js" defer></script>
<script src="${DOCS_ASSETS_PATH}/init.js" defer></script>
</head>
<body>
<noscript>The interactive reference needs JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript>
<div id="reference"></div>
</body>
</html>
`;

const securityHeaders = {
  'Content-Security-Policy': DOCS_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export const docsPage: RequestHandler = (_req, res) => {
  res.set(securityHeaders).type('html').send(PAGE);
};

/**
 * The page's three assets, and nothing else of the package (its own index.html points at a demo
 * document and carries inline scripts). Read once at start: a missing file fails the start, not
 * the first reader.
 */
export function docsAssets(): RequestHandler {
  const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const assets = new Map<string, { type: string; body: string | Buffer }>([
    ['/swagger-ui.css', { type: 'text/css', body: readFileSync(join(dist, 'swagger-ui.css')) }],
    ['/swagger-ui-bundle.js', { type: 'text/javascript', body: readFileSync(join(dist, 'swagger-ui-bundle.js')) }],
    ['/init.js', { type: 'text/javascript', body: INIT_SCRIPT }],
  ]);
  return (req, res, next) => {
    const asset = req.method === 'GET' || req.method === 'HEAD' ? assets.get(req.path) : undefined;
    if (!asset) return next();
    res
      .set(securityHeaders)
      // The package version is pinned, so an asset changes only with a deploy.
      .set('Cache-Control', 'public, max-age=3600')
      .type(asset.type)
      .send(asset.body);
  };
}
