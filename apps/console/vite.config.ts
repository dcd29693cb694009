import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the API under /console (apps/api/src/console-app.ts). In development, `pnpm --filter
// @payouts/console dev` proxies /v1 to a running API so the session cookie stays same-origin.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The Content-Security-Policy allows no inline script: nothing is inlined, not even tiny assets.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
