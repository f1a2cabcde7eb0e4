/**
 * The API reference at `/docs`: Swagger UI (npm swagger-ui-dist, a dependency) served by the gateway
 * itself, reading `/openapi.json`. No CDN at runtime, and no inline script, so the page works under
 * the gateway's Content-Security-Policy (`script-src 'self'`) and on a machine with no internet.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';
import { problem } from '../platform/http.js';

const swaggerUiDirectory = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The only files served under /docs/assets/: two from swagger-ui-dist and the page's start script. */
const assets: Record<string, { type: string; body: () => string }> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', body: () => readFileSync(join(swaggerUiDirectory, 'swagger-ui.css'), 'utf8') },
  'swagger-ui-bundle.js': {
    type: 'text/javascript; charset=utf-8',
    body: () => readFileSync(join(swaggerUiDirectory, 'swagger-ui-bundle.js'), 'utf8'),
  },
  'start.js': {
    type: 'text/javascript; charset=utf-8',
    body: () => "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#reference', persistAuthorization: false });\n",
  },
};

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>ordersaga gateway API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="reference"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/start.js"></script>
</body>
</html>
`;

export function mountDocs(app: Hono): void {
  const cache = new Map<string, string>();
  app.get('/docs', (c) => c.html(page));
  app.get('/docs/assets/:file', (c) => {
    const name = c.req.param('file');
    const asset = Object.hasOwn(assets, name) ? assets[name] : undefined;
    if (!asset) return problem(c, { status: 404, title: 'Not Found', detail: `no file ${name} under /docs/assets` });
    if (!cache.has(name)) cache.set(name, asset.body());
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(cache.get(name)!, 200, { 'content-type': asset.type });
  });
}
