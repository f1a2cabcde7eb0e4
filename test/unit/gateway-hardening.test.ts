/**
 * The gateway's hardening (gateway/app.ts, docs/security.md), in process against stand-in services:
 * a body limit on every route, secure headers, a strict CORS allow-list, no internal address in any
 * error body, and JWKS-verified tokens that cannot be swapped for HS256 ones.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createGatewayApp } from '../../gateway/app.js';
import { createTokenVerifier } from '../../gateway/identity.js';
import { mintToken } from '../../platform/identity.js';
import { gatewayOptions, startStandIns, type StandIns, TEST_SECRET } from '../support/stand-in-services.js';
import { validOrderBody } from '../support/fixtures.js';

let standIns: StandIns;
let gateway: ReturnType<typeof createGatewayApp>;
let token: string;

test.before(async () => {
  standIns = await startStandIns();
  gateway = createGatewayApp(gatewayOptions(standIns, { GATEWAY_CORS_ORIGINS: ['https://shop.example'] }));
  token = await mintToken({ secret: TEST_SECRET, customerId: 'cust-kim' });
});
test.after.always(() => standIns.close());

const call = (path: string, init: RequestInit = {}, app = gateway) =>
  app.request(`http://gateway.test${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
  });

test('every route with a body has the limit: an oversized cancel is a 413 and never reaches the order service', async (t) => {
  const order = standIns.addOrder('cust-kim');
  const big = JSON.stringify({ reason: 'x'.repeat(10_000) });
  for (const path of [`/orders/${order.orderId}/cancel`, '/orders', '/inventory']) {
    const answer = await call(path, { method: 'POST', body: big, headers: { 'content-type': 'application/json' } });
    t.true([413, 404].includes(answer.status), `${path}: ${answer.status}`);
    if (path !== '/inventory') t.like(await answer.json(), { status: 413, type: 'https://ordersaga.dev/problems/content-too-large' });
  }
  t.false(standIns.received.some((request) => request.url.endsWith('/cancel')));
});

test('secure headers on every answer, including problems and public routes', async (t) => {
  for (const answer of [await call('/inventory'), await call('/nowhere'), await gateway.request('http://gateway.test/health')]) {
    t.is(answer.headers.get('x-content-type-options'), 'nosniff');
    t.is(answer.headers.get('x-frame-options'), 'SAMEORIGIN');
    t.regex(answer.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
    t.regex(answer.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    t.regex(answer.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    t.is(answer.headers.get('x-powered-by'), null);
  }
});

test('CORS answers only the configured origins', async (t) => {
  const preflight = (origin: string) =>
    gateway.request('http://gateway.test/orders', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
  const allowed = await preflight('https://shop.example');
  t.is(allowed.headers.get('access-control-allow-origin'), 'https://shop.example');
  t.regex(allowed.headers.get('access-control-allow-headers') ?? '', /authorization/);
  for (const origin of ['https://evil.example', 'null', 'https://shop.example.evil.example']) {
    const refused = await preflight(origin);
    t.is(refused.headers.get('access-control-allow-origin'), null, origin);
  }
  const simple = await call('/inventory', { headers: { origin: 'https://evil.example' } });
  t.is(simple.status, 200);
  t.is(simple.headers.get('access-control-allow-origin'), null);
});

test('an unreachable or failing service is a 503/5xx naming the service, never its address', async (t) => {
  const closed = createGatewayApp(
    gatewayOptions({ urls: { ...standIns.urls, ORDER_URL: 'http://internal-order.cluster.local:1', INVENTORY_URL: 'http://127.0.0.1:1' } }),
  );
  const failing = createServer((_request, response) => {
    response.writeHead(500, { 'content-type': 'application/problem+json' });
    response.end(
      JSON.stringify({
        type: 'about:blank',
        status: 500,
        title: 'Internal Server Error',
        detail: 'db at postgres://orders-db.internal:5432 refused',
      }),
    );
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  const failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
  const broken = createGatewayApp(gatewayOptions({ urls: { ...standIns.urls, ORDER_URL: failingUrl, NOTIFICATION_URL: failingUrl } }));
  try {
    const answers = [
      await call('/orders/00000000-0000-4000-8000-000000000000', {}, closed),
      await call(
        '/orders',
        {
          method: 'POST',
          body: JSON.stringify(validOrderBody({ customerId: 'cust-kim' })),
          headers: { 'content-type': 'application/json' },
        },
        closed,
      ),
      await call('/inventory', {}, closed),
      await call('/orders', {}, broken),
      await call('/notifications', {}, broken),
    ];
    for (const answer of answers) {
      const text = await answer.text();
      t.true(answer.status >= 500, text);
      t.notRegex(text, /127\.0\.0\.1|cluster\.local|internal|postgres:|[a-z0-9]:\d{2,5}\b|http:\/\//, 'no address in the body');
      const body = JSON.parse(text) as { service: string; detail: string };
      t.truthy(body.service);
      t.true(body.detail.includes(answer.headers.get('x-request-id')!), 'the request id leads to the log line');
    }
  } finally {
    failing.close();
  }
});

test('a JWKS gateway verifies RS256/ES256 tokens from its provider and refuses HS256 ones (no algorithm swap)', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const jwks = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  try {
    const verify = createTokenVerifier({
      GATEWAY_JWT_SECRET: '',
      GATEWAY_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
      GATEWAY_JWT_ISSUER: 'https://idp.example',
      GATEWAY_JWT_AUDIENCE: 'ordersaga-gateway',
    });
    const signed = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('ops-1')
      .setIssuer('https://idp.example')
      .setAudience('ordersaga-gateway')
      .setExpirationTime('5m')
      .sign(privateKey);
    t.deepEqual(await verify(signed), { ok: true, caller: { customerId: 'ops-1', role: 'admin' } });
    const hs256 = await mintToken({ secret: TEST_SECRET, customerId: 'ops-1', role: 'admin', issuer: 'https://idp.example' });
    t.false((await verify(hs256)).ok);
    const noRole = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('x')
      .setIssuer('https://idp.example')
      .setAudience('ordersaga-gateway')
      .setExpirationTime('5m')
      .sign(privateKey);
    t.like(await verify(noRole), { ok: false });
  } finally {
    jwks.close();
  }
});

test('an unsigned token (alg none) is refused', async (t) => {
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(
    JSON.stringify({
      sub: 'ops',
      role: 'admin',
      iss: 'ordersaga-local',
      aud: 'ordersaga-gateway',
      exp: Math.floor(Date.now() / 1000) + 60,
    }),
  ).toString('base64url');
  const answer = await gateway.request('http://gateway.test/analytics/kpis', {
    headers: { authorization: `Bearer ${header}.${payload}.` },
  });
  t.is(answer.status, 401);
});

test('bodies are checked before any service sees them: media type, JSON, fields (RFC 9457 problems with pointers)', async (t) => {
  const before = standIns.received.filter((request) => request.service === 'order').length;
  const post = (body: string, headers: Record<string, string>) => call('/orders', { method: 'POST', body, headers });
  const valid = JSON.stringify(validOrderBody({ customerId: 'cust-kim' }));
  const notJson: Record<string, string>[] = [{}, { 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }];
  for (const headers of notJson) {
    const answer = await post(valid, headers);
    t.is(answer.status, 415, JSON.stringify(headers));
    t.like(await answer.json(), { type: 'https://ordersaga.dev/problems/unsupported-media-type' });
  }
  const malformed = await post('{"items": [', { 'content-type': 'application/json' });
  t.is(malformed.status, 400);
  t.like(await malformed.json(), { type: 'https://ordersaga.dev/problems/malformed-json', errors: [{ pointer: '' }] });
  const { shippingAddress: _, ...withoutAddress } = validOrderBody({ customerId: 'cust-kim' });
  const missing = await post(JSON.stringify({ ...withoutAddress, coupon: 'FREE' }), { 'content-type': 'application/json; charset=utf-8' });
  t.is(missing.status, 400);
  const problem = (await missing.json()) as { type: string; errors: { pointer: string }[] };
  t.is(problem.type, 'https://ordersaga.dev/problems/invalid-request');
  t.deepEqual(problem.errors.map((error) => error.pointer).sort(), ['/coupon', '/shippingAddress']);
  const badId = await call('/orders/not-a-uuid');
  t.is(badId.status, 400);
  t.like(await badId.json(), { errors: [{ pointer: '/orderId' }] });
  const unknownSku = await post(JSON.stringify(validOrderBody({ customerId: 'cust-kim', items: [{ sku: 'NOPE-1', quantity: 1 }] })), {
    'content-type': 'application/json',
  });
  t.is(unknownSku.status, 422);
  t.like(await unknownSku.json(), { type: 'https://ordersaga.dev/problems/unknown-sku', errors: [{ pointer: '/items/0/sku' }] });
  t.is(standIns.received.filter((request) => request.service === 'order').length, before, 'no bad order reached the order service');
});

test('a token that never expires is refused, even when signed with the right secret', async (t) => {
  const forever = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('ops')
    .setIssuer('ordersaga-local')
    .setAudience('ordersaga-gateway')
    .sign(new TextEncoder().encode(TEST_SECRET));
  const answer = await gateway.request('http://gateway.test/analytics/kpis', { headers: { authorization: `Bearer ${forever}` } });
  t.is(answer.status, 401);
  t.regex(answer.headers.get('www-authenticate') ?? '', /exp/);
});
