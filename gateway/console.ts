/**
 * The web console at `/` (console/, docs/console.md): the gateway serves the files Vite built
 * (`npm run console:build` writes console/dist) and the page's runtime settings. The page is static
 * and talks to the same public API as any client, with a bearer token, so it needs no route of its
 * own beyond these.
 *
 * Caching: `index.html` is revalidated on every load (`no-cache`), so a new build is seen at once;
 * the files under `/assets/` carry a content hash in their names and are cached for a year
 * (`immutable`). Everything is served under the gateway's Content-Security-Policy (`script-src
 * 'self'`): the build has no inline script.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { Environment } from '../platform/config.js';
import { workflowIdFor } from '../platform/contracts/workflow.js';
import { problem } from '../platform/http.js';

export type ConsoleOptions = Pick<Environment, 'GATEWAY_CONSOLE_DIR' | 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE' | 'TRACE_UI_URL'>;

/** What the page reads at start (`GET /console/config.json`): its links, and whether the dev login is open. */
export interface ConsoleSettings {
  devLogin: boolean;
  /** An order's workflow in the Temporal Web UI, with `{orderId}` where the order id goes. */
  workflowUrl: string;
  /** A URL with `{traceId}`, or empty: the page then shows trace ids without a link. */
  traceUiUrl: string;
}

export const defaultConsoleDirectory = fileURLToPath(new URL('../console/dist', import.meta.url));

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};
/** A built asset's name: no directories, no dot-files (Vite writes `name-<hash>.ext`). */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export function mountConsole(app: Hono, options: ConsoleOptions & { devLogin: boolean }): void {
  const directory = options.GATEWAY_CONSOLE_DIR || defaultConsoleDirectory;
  const files = new Map<string, Buffer>();
  const read = (path: string): Buffer | undefined => {
    const cached = files.get(path);
    if (cached) return cached;
    if (!existsSync(path)) return undefined;
    const body = readFileSync(path);
    files.set(path, body);
    return body;
  };
  const settings: ConsoleSettings = {
    devLogin: options.devLogin,
    workflowUrl: `${options.TEMPORAL_UI_URL.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(options.TEMPORAL_NAMESPACE)}/workflows/${workflowIdFor('{orderId}')}`,
    traceUiUrl: options.TRACE_UI_URL,
  };

  app.get('/', (c) => {
    const page = read(join(directory, 'index.html'));
    if (!page) {
      return problem(c, {
        status: 503,
        title: 'Service Unavailable',
        detail: 'the web console is not built: run `npm run console:build` (make up and the image do)',
      });
    }
    c.header('Cache-Control', 'no-cache');
    return c.body(new Uint8Array(page), 200, { 'content-type': 'text/html; charset=utf-8' });
  });

  app.get('/assets/:file', (c) => {
    const name = c.req.param('file');
    const type = contentTypes[extname(name)];
    const body = ASSET_NAME.test(name) && type ? read(join(directory, 'assets', name)) : undefined;
    if (!body || !type) return problem(c, { status: 404, title: 'Not Found', detail: `no file ${name} under /assets` });
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(new Uint8Array(body), 200, { 'content-type': type });
  });

  app.get('/console/config.json', (c) => {
    c.header('Cache-Control', 'no-cache');
    return c.json(settings);
  });
}
