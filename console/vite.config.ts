/**
 * Builds the web console (console/src) into console/dist, which the gateway serves at `/`
 * (gateway/console.ts). `npm run console:build`; `npm run console:dev` serves it with hot reload and
 * proxies the API to a gateway on :8080. The bundle budget fails the build over 150 KB gzipped.
 */
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { bundleBudget } from './budget.js';

const gateway = process.env.CONSOLE_GATEWAY_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [preact({ prerender: { enabled: false } }), bundleBudget()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The gateway's CSP has no inline script: no inlined module preload polyfill.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'es2022',
  },
  server: {
    proxy: Object.fromEntries(
      ['/orders', '/inventory', '/live', '/operations', '/analytics', '/shipments', '/notifications', '/dev', '/console/config.json'].map(
        (path) => [path, { target: gateway, changeOrigin: true }],
      ),
    ),
  },
});
