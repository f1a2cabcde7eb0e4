/**
 * The gateway: the one public edge (docs/security.md). Closed by default: every route but health,
 * `/openapi.json` and `/docs` needs a bearer token, and the customer a request acts for comes from
 * that token, never from its body. A customer sees and cancels only their own orders and
 * notifications (anyone else's answer 404, as an id that does not exist would); listings across
 * customers are for admins; the services' internal routes (`/orders/ids`, `/orders/summary`,
 * `/admin/*`) are not routed here at all. It validates orders completely before any service sees
 * them (so a bad order never starts a saga), reads through the services' APIs, and owns no data.
 *
 * Card numbers stop here: an order's card number is exchanged for a token at payment-sim's card
 * vault before the order is relayed, so the order service, Temporal and everything after them see
 * only the token and the last four digits (docs/decisions.md, "Card data").
 *
 * Every route is declared in gateway/routes.ts from the zod schemas that validate it, which also
 * make `/openapi.json`.
 *
 * It also serves the web console at `/` (gateway/console.ts), the live order feed the console's
 * list reads (`/live/orders`, gateway/live-orders.ts), the admins' operations behind its controls
 * (`/operations/*`, gateway/operations.ts) and, in development only, a dev login (gateway/dev-login.ts).
 */
import { OpenAPIHono, type OpenAPIHonoOptions } from '@hono/zod-openapi';
import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, type Hono } from 'hono';
import type { BlankEnv } from 'hono/types';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { type Environment } from '../platform/config.js';
import { mountHealth } from '../platform/health.js';
import { CardVaultClient, CardVaultError } from '../platform/card-vault.js';
import { callService, problem, PROBLEM_CONTENT_TYPE, ServiceCallError, withProblemDefaults } from '../platform/http.js';
import type { Caller } from '../platform/identity.js';
import { logger } from '../platform/logger.js';
import { zodProblem } from '../platform/validation.js';
import { mountConsole, type ConsoleOptions } from './console.js';
import { devLoginOpen, devLoginToken, type DevLoginOptions } from './dev-login.js';
import { mountDocs } from './docs.js';
import { createTokenVerifier, requireAdmin, requireCaller, type IdentityOptions } from './identity.js';
import { type OrderEventFeed, streamOrderEvents } from './live-orders.js';
import { type DeadLetterDesk, mountOperations } from './operations.js';
import { RateLimiter, rateLimit } from './rate-limit.js';
import { KnownSkus } from './known-skus.js';
import {
  cancelOrderRoute,
  devLoginRoute,
  kpisRoute,
  liveOrdersRoute,
  listOrdersRoute,
  notificationsRoute,
  publicRoutes,
  readOrderRoute,
  readSagaRoute,
  rolesDescription,
  shipmentsRoute,
  stockRoute,
  submitOrderRoute,
} from './routes.js';

const CANCEL_TIMEOUT_MS = 20_000;
/** Paths that answer without a token: probes, the API's own description, the console's files, the dev login (when open). */
const PUBLIC_PATHS = /^\/(health(\/live|\/ready)?|openapi\.json|docs(\/assets\/[^/]+)?|assets\/[^/]+|console\/config\.json|dev\/login)?$/;

type Services = Pick<
  Environment,
  'ORDER_URL' | 'INVENTORY_URL' | 'FULFILLMENT_URL' | 'ANALYTICS_URL' | 'NOTIFICATION_URL' | 'PAYMENT_VAULT_URL' | 'PAYMENT_HTTP_URL'
>;
export type GatewayOptions = Services &
  IdentityOptions &
  Pick<
    Environment,
    | 'GATEWAY_BODY_LIMIT_BYTES'
    | 'GATEWAY_CORS_ORIGINS'
    | 'GATEWAY_RATE_LIMIT_PER_ADDRESS'
    | 'GATEWAY_RATE_LIMIT_PER_TOKEN'
    | 'GATEWAY_TRUST_FORWARDED_FOR'
  > &
  ConsoleOptions &
  DevLoginOptions & {
    /** The live order feed (`/live/orders`); without one the route answers 503. gateway/main.ts feeds it from Kafka. */
    feed?: OrderEventFeed;
    /** The dead-letter queue (`/operations/dead-letters`); without one those routes answer 503. */
    deadLetters?: DeadLetterDesk;
  };

/** A failed request check answers as an RFC 9457 problem naming each field (platform/validation.ts). */
const validationProblem: OpenAPIHonoOptions<BlankEnv>['defaultHook'] = (result, c) => {
  if (!result.success) return zodProblem(c, result.error);
};

/**
 * The gateway app. Throws a ConfigurationError (naming GATEWAY_JWT_SECRET / GATEWAY_JWKS_URL)
 * when it has no key material: it never starts open.
 */
export function createGatewayApp(options: GatewayOptions): Hono {
  const verify = createTokenVerifier(options);
  const devLogin = devLoginOpen(options);
  const vault = new CardVaultClient(options.PAYMENT_VAULT_URL);
  const knownSkus = new KnownSkus();
  const app = new OpenAPIHono<BlankEnv>({ defaultHook: validationProblem });
  withProblemDefaults(app, 'gateway');
  const log = logger('gateway');
  app.onError((error, c) => answerError(c, error));

  app.use(requestId());
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Swagger UI sets style attributes on its elements.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'none'"],
      },
    }),
  );
  app.use(
    cors({
      // Only the configured origins; any other gets no Access-Control-Allow-Origin at all.
      origin: (origin) => (options.GATEWAY_CORS_ORIGINS.includes(origin) ? origin : null),
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'traceparent', 'x-request-id'],
      exposeHeaders: ['location', 'retry-after', 'x-request-id', 'www-authenticate'],
      maxAge: 600,
    }),
  );
  const perAddress = new RateLimiter({ perSecond: options.GATEWAY_RATE_LIMIT_PER_ADDRESS });
  app.use(rateLimit(perAddress, 'address', (c) => clientAddress(c, options.GATEWAY_TRUST_FORWARDED_FOR)));
  app.use(
    bodyLimit({
      maxSize: options.GATEWAY_BODY_LIMIT_BYTES,
      onError: (c) =>
        problem(c, {
          status: 413,
          type: 'https://ordersaga.dev/problems/content-too-large',
          title: 'Content Too Large',
          detail: `request bodies are limited to ${options.GATEWAY_BODY_LIMIT_BYTES} bytes`,
        }),
    }),
  );

  // Liveness and readiness (platform/health.ts): the gateway needs no dependency of its own to be ready.
  mountHealth(app);
  mountDocs(app);
  mountConsole(app, { ...options, devLogin });
  if (devLogin) {
    log.warn('dev login open: POST /dev/login mints a token for anyone (GATEWAY_DEV_LOGIN; never in production)');
    app.openapi(devLoginRoute, async (c) => c.json(await devLoginToken(options, c.req.valid('json')), 200));
  }
  for (const route of publicRoutes) app.openAPIRegistry.registerPath(route);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: rolesDescription,
  });
  let document: unknown;
  app.get('/openapi.json', (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'ordersaga gateway',
        version: '1',
        description:
          'The public edge of ordersaga. Every route but health, this document and /docs needs a bearer token (docs/security.md).',
      },
      security: [{ bearerAuth: [] }],
    });
    return c.json(document);
  });

  // Everything below needs a token; then a rate per token subject.
  const authenticate = requireCaller(verify);
  app.use(async (c, next) => (PUBLIC_PATHS.test(c.req.path) ? next() : authenticate(c, next)));
  const perToken = new RateLimiter({ perSecond: options.GATEWAY_RATE_LIMIT_PER_TOKEN });
  app.use(
    rateLimit(perToken, 'token', (c) => {
      const caller = c.get('caller') as Caller | undefined;
      return caller ? `${caller.role}|${caller.customerId}` : undefined;
    }),
  );

  /**
   * Relays a downstream answer (status, JSON or problem body). An unreachable service is a 503 and
   * a failing one keeps its 5xx status, both with a body that names the service but never its
   * address; what happened is logged with the request and trace ids.
   *
   * `validated`: the body relayed is one the gateway has checked against the same contract the
   * service checks it against. A 400 for it is then not the client's mistake but the two sides
   * disagreeing on the contract (one runs another version, as in chaos run 1, docs/benchmarks.md:
   * an order service restarted on newer code refused every order of the older gateway); relayed
   * as it was, it looked to clients like their own fault and to the operators like nothing at all.
   */
  async function relay(
    c: Context,
    service: string,
    url: string,
    init?: RequestInit & { timeoutMs?: number; validated?: boolean },
  ): Promise<Response> {
    const { validated, ...request } = init ?? {};
    try {
      const answer = await callService(service, url, {
        ...request,
        headers: { ...(request.headers as Record<string, string>), 'x-request-id': c.get('requestId') },
      });
      if (answer.status >= 500) return serviceFailed(c, service, answer.status, answer.body);
      if (validated && answer.status === 400) return contractBroken(c, service, answer.body);
      const location = answer.headers.get('location');
      if (location) c.header('Location', location);
      const contentType = answer.headers.get('content-type') ?? 'application/json';
      return c.body(JSON.stringify(answer.body ?? null), answer.status as 200, {
        'content-type': contentType.startsWith(PROBLEM_CONTENT_TYPE) ? PROBLEM_CONTENT_TYPE : 'application/json',
      });
    } catch (error) {
      if (!(error instanceof ServiceCallError)) throw error;
      return serviceUnreachable(c, service, error);
    }
  }

  function serviceUnreachable(c: Context, service: string, error: ServiceCallError): Response {
    log.error({ service, err: error, requestId: c.get('requestId') }, `${service} unreachable`);
    return problem(c, {
      status: 503,
      title: 'Service Unavailable',
      detail: `the ${service} service did not answer; request id ${c.get('requestId')}`,
      service,
    });
  }

  function serviceFailed(c: Context, service: string, status: number, body: unknown): Response {
    log.error({ service, status, body, requestId: c.get('requestId') }, `${service} answered ${status}`);
    return problem(c, {
      status,
      title: status === 503 ? 'Service Unavailable' : 'Bad Gateway',
      detail: `the ${service} service failed; request id ${c.get('requestId')}`,
      service,
    });
  }

  /** The service refused as invalid a request the gateway had validated: a 502, logged with what the service said. */
  function contractBroken(c: Context, service: string, body: unknown): Response {
    log.error(
      { service, status: 400, body, requestId: c.get('requestId') },
      `${service} refused a request the gateway had validated: the two disagree on its contract (is one of them running another version?)`,
    );
    return problem(c, {
      status: 502,
      title: 'Bad Gateway',
      detail: `the ${service} service refused a request the gateway had validated; request id ${c.get('requestId')}`,
      service,
    });
  }

  function answerError(c: Context, error: Error): Response {
    if (error instanceof HTTPException) {
      // Raised by the request validators before a handler runs: the body's media type or its JSON.
      if (error.status === 415) {
        return problem(c, {
          status: 415,
          type: 'https://ordersaga.dev/problems/unsupported-media-type',
          title: 'Unsupported Media Type',
          detail: 'send the body as application/json',
        });
      }
      if (error.status === 400 && /malformed json/i.test(error.message)) {
        return problem(c, {
          status: 400,
          type: 'https://ordersaga.dev/problems/malformed-json',
          title: 'Malformed JSON',
          detail: 'the body is not valid JSON',
          errors: [{ pointer: '', detail: 'not valid JSON' }],
        });
      }
      return problem(c, { status: error.status, title: error.message || 'Error' });
    }
    log.error({ err: error, path: c.req.path, requestId: c.get('requestId') }, 'request failed');
    return problem(c, {
      status: 500,
      title: 'Internal Server Error',
      detail: `the gateway could not handle the request; request id ${c.get('requestId')}`,
    });
  }

  const notFound = (c: Context, what: string) => problem(c, { status: 404, title: 'Not Found', detail: `no ${what}` });

  /**
   * The order, when the caller may see it; otherwise the answer to give: 404 alike for an order
   * that does not exist and for another customer's, so an answer never confirms that an id exists.
   */
  async function ownOrder(c: Context, orderId: string): Promise<{ order: { customerId: string } } | { answer: Response }> {
    const caller = c.get('caller');
    try {
      const found = await callService('order', `${options.ORDER_URL}/orders/${encodeURIComponent(orderId)}`, {
        headers: { 'x-request-id': c.get('requestId') },
      });
      if (found.status === 404) return { answer: notFound(c, `order ${orderId}`) };
      if (found.status !== 200)
        return {
          answer: found.status >= 500 ? serviceFailed(c, 'order', found.status, found.body) : serviceFailed(c, 'order', 502, found.body),
        };
      const order = found.body as { customerId: string };
      if (caller.role !== 'admin' && order.customerId !== caller.customerId) return { answer: notFound(c, `order ${orderId}`) };
      return { order };
    } catch (error) {
      if (!(error instanceof ServiceCallError)) throw error;
      return { answer: serviceUnreachable(c, 'order', error) };
    }
  }

  /** Whose data a listing is for: the token's customer, or for an admin whoever the query names. */
  function listingCustomer(c: Context, requested: string | undefined): { customerId: string | undefined } | { answer: Response } {
    const caller = c.get('caller');
    if (caller.role === 'admin') return { customerId: requested };
    if (requested !== undefined && requested !== caller.customerId) return { answer: notFound(c, `customer ${requested}`) };
    return { customerId: caller.customerId };
  }

  // The handlers below answer with the services' own answers, relayed as they are, and with
  // problems; their shapes are documented in gateway/routes.ts, but the route types cannot follow a
  // relayed Response, hence the `as never` on those returns.
  app.openapi(submitOrderRoute, async (c) => {
    const caller = c.get('caller');
    const order = c.req.valid('json');
    if (order.customerId !== undefined && order.customerId !== caller.customerId) {
      return problem(c, {
        status: 403,
        type: 'https://ordersaga.dev/problems/customer-mismatch',
        title: 'Customer mismatch',
        detail: "an order is placed for the token's customer; leave customerId out or make it the token's",
        errors: [{ pointer: '/customerId', detail: "is not the token's customer" }],
      }) as never;
    }
    const items = order.items;
    const unknownSkus = await findUnknownSkus(items.map((item) => item.sku));
    if (unknownSkus instanceof Response) return unknownSkus as never;
    if (unknownSkus.length > 0) {
      return problem(c, {
        status: 422,
        type: 'https://ordersaga.dev/problems/unknown-sku',
        title: 'Unknown SKU',
        detail: `not in the catalogue: ${unknownSkus.join(', ')}`,
        errors: items
          .map((item, index) => ({ item, index }))
          .filter(({ item }) => unknownSkus.includes(item.sku))
          .map(({ item, index }) => ({ pointer: `/items/${index}/sku`, detail: `unknown SKU ${item.sku}` })),
      }) as never;
    }
    const card = await tokenize(order.payment.cardNumber);
    if (card instanceof Response) return card as never;
    const idempotencyKey = c.req.valid('header')['idempotency-key'];
    return relay(c, 'order', `${options.ORDER_URL}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      body: JSON.stringify({ ...order, customerId: caller.customerId, payment: { channel: order.payment.channel, ...card } }),
      validated: true,
    }) as never;

    /**
     * The card number for the vault's token, last, once the order is known to be valid (nothing is
     * vaulted for an order that would be refused). A vault that fails is a 503 like any service's.
     */
    async function tokenize(cardNumber: string) {
      try {
        return await vault.tokenize(cardNumber, { 'x-request-id': c.get('requestId') });
      } catch (error) {
        if (error instanceof ServiceCallError) return serviceUnreachable(c, 'payment-sim', error);
        if (error instanceof CardVaultError) return serviceFailed(c, 'payment-sim', 503, error.message);
        throw error;
      }
    }

    /** The SKUs the catalogue does not have; only those not lately seen there are asked about (gateway/known-skus.ts). */
    async function findUnknownSkus(skus: string[]): Promise<string[] | Response> {
      const toAsk = knownSkus.notKnown(skus);
      if (toAsk.length === 0) return [];
      try {
        const answer = await callService('inventory', `${options.INVENTORY_URL}/products?sku=${toAsk.map(encodeURIComponent).join(',')}`);
        if (answer.status !== 200) return serviceFailed(c, 'inventory', 503, answer.body);
        const known = new Set((answer.body as { products: { sku: string }[] }).products.map((product) => product.sku));
        knownSkus.remember(known);
        return toAsk.filter((sku) => !known.has(sku));
      } catch (error) {
        if (!(error instanceof ServiceCallError)) throw error;
        return serviceUnreachable(c, 'inventory', error);
      }
    }
  });

  app.openapi(readOrderRoute, async (c) => {
    const { orderId } = c.req.valid('param');
    const owned = await ownOrder(c, orderId);
    if ('answer' in owned) return owned.answer as never;
    const shipment = await shipmentProgress(c, orderId);
    return c.json({ ...owned.order, ...(shipment === undefined ? {} : { shipment }) }, 200) as never;
  });

  /**
   * The order's shipment as its progress (status and the time of each step), from fulfillment;
   * null when the order has none; undefined when fulfillment did not answer, and the order is
   * answered without it (the order is what was asked for).
   */
  async function shipmentProgress(c: Context, orderId: string): Promise<Record<string, unknown> | null | undefined> {
    try {
      const answer = await callService('fulfillment', `${options.FULFILLMENT_URL}/shipments?${new URLSearchParams({ orderId })}`, {
        headers: { 'x-request-id': c.get('requestId') },
      });
      if (answer.status !== 200) return undefined;
      const found = (answer.body as { shipments: Record<string, unknown>[] }).shipments[0];
      if (!found) return null;
      const { shipmentId, status, carrier, estimatedDelivery, scheduledAt, shippedAt, deliveredAt, lostAt } = found;
      return Object.fromEntries(
        Object.entries({ shipmentId, status, carrier, estimatedDelivery, scheduledAt, shippedAt, deliveredAt, lostAt }).filter(
          ([, value]) => value !== undefined,
        ),
      );
    } catch (error) {
      if (!(error instanceof ServiceCallError)) throw error;
      return undefined;
    }
  }

  app.openapi(cancelOrderRoute, async (c) => {
    const { orderId } = c.req.valid('param');
    const owned = await ownOrder(c, orderId);
    if ('answer' in owned) return owned.answer as never;
    return relay(c, 'order', `${options.ORDER_URL}/orders/${encodeURIComponent(orderId)}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(c.req.valid('json') ?? {}),
      // The answer waits for the saga itself to accept or refuse, which a busy worker can delay.
      timeoutMs: CANCEL_TIMEOUT_MS,
      validated: true,
    }) as never;
  });

  app.openapi(readSagaRoute, async (c) => {
    const { orderId } = c.req.valid('param');
    const owned = await ownOrder(c, orderId);
    if ('answer' in owned) return owned.answer as never;
    return relay(c, 'order', `${options.ORDER_URL}/orders/${encodeURIComponent(orderId)}/saga`) as never;
  });

  app.openapi(listOrdersRoute, async (c) => {
    const whose = listingCustomer(c, c.req.valid('query').customerId);
    if ('answer' in whose) return whose.answer as never;
    const query = new URLSearchParams(whose.customerId === undefined ? {} : { customerId: whose.customerId });
    return relay(c, 'order', `${options.ORDER_URL}/orders?${query}`) as never;
  });

  app.openapi(notificationsRoute, async (c) => {
    const { customerId, orderId } = c.req.valid('query');
    const whose = listingCustomer(c, customerId);
    if ('answer' in whose) return whose.answer as never;
    const query = new URLSearchParams({
      ...(whose.customerId === undefined ? {} : { customerId: whose.customerId }),
      ...(orderId ? { orderId } : {}),
    });
    return relay(c, 'notification', `${options.NOTIFICATION_URL}/notifications?${query}`) as never;
  });

  app.openapi(stockRoute, async (c) => {
    try {
      const answer = await callService('inventory', `${options.INVENTORY_URL}/products`);
      if (answer.status !== 200) return relay(c, 'inventory', `${options.INVENTORY_URL}/products`) as never;
      const { products } = answer.body as {
        products: { sku: string; name: string; available: number; unitPriceMinor: number; currency: string }[];
      };
      return c.json(
        {
          items: products.map(({ sku, name, available, unitPriceMinor, currency }) => ({ sku, name, available, unitPriceMinor, currency })),
        },
        200,
      );
    } catch (error) {
      if (!(error instanceof ServiceCallError)) throw error;
      return serviceUnreachable(c, 'inventory', error) as never;
    }
  });

  app.openapi(shipmentsRoute, async (c) => {
    const { orderId } = c.req.valid('query');
    if (orderId === undefined) {
      // Every shipment, with its address: for admins only.
      if (c.get('caller').role !== 'admin') {
        return problem(c, {
          status: 403,
          type: 'https://ordersaga.dev/problems/forbidden',
          title: 'Forbidden',
          detail: 'listing every shipment is for admins; ask for your order with ?orderId=',
        }) as never;
      }
      return relay(c, 'fulfillment', `${options.FULFILLMENT_URL}/shipments`) as never;
    }
    const owned = await ownOrder(c, orderId);
    if ('answer' in owned) return owned.answer as never;
    return relay(c, 'fulfillment', `${options.FULFILLMENT_URL}/shipments?${new URLSearchParams({ orderId })}`) as never;
  });

  app.use('/analytics/kpis', requireAdmin());
  app.openapi(kpisRoute, (c) => relay(c, 'analytics', `${options.ANALYTICS_URL}/analytics/kpis`) as never);

  app.openapi(liveOrdersRoute, (c) =>
    options.feed
      ? (streamOrderEvents(c, options.feed) as never)
      : (problem(c, { status: 503, title: 'Service Unavailable', detail: 'this gateway has no live order feed' }) as never),
  );

  app.use('/operations/*', requireAdmin());
  mountOperations(app, { options, deadLetters: options.deadLetters, relay, serviceUnreachable });

  return app;
}

/** The client's address: the socket's, or (behind our own proxy) the last X-Forwarded-For entry. */
function clientAddress(c: Context, trustForwardedFor: boolean): string {
  if (trustForwardedFor) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // In-process requests (app.request in tests) have no socket.
    return 'unknown';
  }
}
