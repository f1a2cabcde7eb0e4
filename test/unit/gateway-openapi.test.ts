/**
 * The gateway's OpenAPI document (`/openapi.json`, generated from the zod schemas that validate the
 * requests; gateway/routes.ts): it validates as OpenAPI 3.1, documents every route the app registers
 * with its parameters, answers and problem types, and the reference at `/docs` loads from the gateway.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import test from 'ava';
import { createGatewayApp } from '../../gateway/app.js';
import { problemTypes } from '../../gateway/routes.js';
import { gatewayOptions } from '../support/stand-in-services.js';

const unreachable = 'http://127.0.0.1:1';
const gateway = createGatewayApp(
  gatewayOptions({
    urls: {
      ORDER_URL: unreachable,
      INVENTORY_URL: unreachable,
      FULFILLMENT_URL: unreachable,
      ANALYTICS_URL: unreachable,
      NOTIFICATION_URL: unreachable,
      PAYMENT_VAULT_URL: unreachable,
    },
  }),
);

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
  security?: unknown[];
}
async function openapi(): Promise<{ openapi: string; paths: Record<string, Record<string, Operation>>; components: any }> {
  const answer = await gateway.request('http://gateway.test/openapi.json');
  if (answer.status !== 200) throw new Error(`/openapi.json: ${answer.status}`);
  return (await answer.json()) as any;
}

test('/openapi.json is a valid OpenAPI 3.1 document', async (t) => {
  const document = await openapi();
  t.is(document.openapi, '3.1.0');
  const result = await new Validator().validate(document);
  t.deepEqual(result.errors ?? [], []);
  t.true(result.valid);
});

test('every route the app registers is in the document, with its path parameters, and nothing else', async (t) => {
  const document = await openapi();
  const registered = new Set(
    gateway.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method.toLowerCase()} ${route.path.replaceAll(/:([A-Za-z]+)/g, '{$1}')}`),
  );
  const documented = new Set(
    Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`)),
  );
  t.deepEqual([...registered].sort(), [...documented].sort());
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const declared = (operation.parameters ?? [])
        .filter((parameter) => parameter.in === 'path')
        .map((parameter) => parameter.name)
        .sort();
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      t.deepEqual(declared, inPath, `${method} ${path}`);
    }
  }
});

test('every protected operation needs the bearer token and documents 401, 429 and its problems; public ones need none', async (t) => {
  const document = await openapi();
  t.like(document.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const isPublic = /^\/(health|openapi\.json|docs|assets|console\/config\.json|dev\/login|$)/.test(path);
      t.deepEqual(operation.security, isPublic ? [] : [{ bearerAuth: [] }], `${method} ${path}`);
      if (!isPublic) for (const status of ['401', '429']) t.truthy(operation.responses[status], `${method} ${path} documents ${status}`);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) t.truthy(response.content?.['application/problem+json'], `${method} ${path} ${status} is a problem`);
      }
    }
  }
  const problem = document.components.schemas.Problem;
  t.deepEqual([...problem.properties.type.enum].sort(), Object.keys(problemTypes).sort(), 'every problem type is listed');
});

test("the order request is the order contract's schema, with customerId optional (it comes from the token)", async (t) => {
  const document = await openapi();
  const order = document.components.schemas.OrderRequest;
  t.deepEqual([...order.required].sort(), ['items', 'payment', 'shippingAddress']);
  t.false(order.additionalProperties ?? true, 'unknown fields are refused, as the validator does');
  t.truthy(order.properties.customerId);
  t.is(document.paths['/orders']!.post!.parameters?.find((parameter) => parameter.name === 'idempotency-key')?.in, 'header');
});

test('/docs is a page that loads Swagger UI and the document from the gateway itself (no CDN)', async (t) => {
  const page = await gateway.request('http://gateway.test/docs');
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
  const html = await page.text();
  t.notRegex(html, /https?:\/\//, 'nothing from another host');
  t.notRegex(html, /<script>(?!<\/script>)/, 'no inline script (the CSP allows script-src self only)');
  for (const asset of [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!)) {
    const answer = await gateway.request(`http://gateway.test${asset}`);
    t.is(answer.status, 200, asset);
    t.true((await answer.text()).length > 10, asset);
  }
  const start = await (await gateway.request('http://gateway.test/docs/assets/start.js')).text();
  t.true(start.includes("'/openapi.json'"));
  t.is((await gateway.request('http://gateway.test/docs/assets/..%2Fpackage.json')).status, 404);
  t.is((await gateway.request('http://gateway.test/docs/assets/toString')).status, 404);
});
