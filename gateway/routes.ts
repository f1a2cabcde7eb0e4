/**
 * The gateway's routes as OpenAPI 3.1 operations (@hono/zod-openapi): the same zod schemas validate
 * each request (platform/contracts/order.ts for orders and cancels) and describe it in
 * `/openapi.json`. Handlers live in gateway/app.ts; this file says what each route takes and answers.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { cancelRequestSchema, orderRequestSchema, orderStatuses, paymentChannels } from '../platform/contracts/order.js';
import { shipmentStatuses } from '../platform/contracts/shipment.js';
import { faultPlanSchema } from '../platform/faults.js';
import { roles, tokenClaimsSchema } from '../platform/identity.js';

/** Every problem `type` the gateway answers with (its own, and the services' it relays). */
export const problemTypes = {
  'about:blank': 'a plain HTTP status: not found, service unavailable, …',
  'https://ordersaga.dev/problems/invalid-request': 'a field is missing, unknown or of the wrong shape; `errors` points at each',
  'https://ordersaga.dev/problems/malformed-json': 'the body is not JSON',
  'https://ordersaga.dev/problems/unsupported-media-type': 'the body is not application/json',
  'https://ordersaga.dev/problems/content-too-large': 'the body is over the size limit',
  'https://ordersaga.dev/problems/unauthorized': 'no bearer token, or one that is not valid (see WWW-Authenticate)',
  'https://ordersaga.dev/problems/forbidden': 'the route is for admins',
  'https://ordersaga.dev/problems/customer-mismatch': "the body's customerId is not the token's customer",
  'https://ordersaga.dev/problems/rate-limited': 'too many requests; see Retry-After',
  'https://ordersaga.dev/problems/unknown-sku': 'an item names a SKU the catalogue does not have',
  'https://ordersaga.dev/problems/idempotency-key-reused': 'the Idempotency-Key was used before with a different order',
  'https://ordersaga.dev/problems/not-cancellable': 'the order is past the point of cancelling',
} as const;

export const problemSchema = z
  .looseObject({
    type: z.enum(Object.keys(problemTypes) as [keyof typeof problemTypes, ...(keyof typeof problemTypes)[]]),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
  })
  .openapi('Problem', {
    description: `An RFC 9457 problem. Types:\n${Object.entries(problemTypes)
      .map(([type, meaning]) => `- \`${type}\`: ${meaning}`)
      .join('\n')}`,
  });

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** Answers every authenticated route can give. */
const guarded = {
  401: problem('no valid bearer token (`WWW-Authenticate: Bearer`)'),
  413: problem('the body is over GATEWAY_BODY_LIMIT_BYTES'),
  429: problem('rate limited per address or per token (`Retry-After` says when to retry)'),
} as const;
const unavailable = {
  503: problem('a service behind the gateway did not answer (the body names the service, never its address)'),
} as const;
const security = [{ bearerAuth: [] }];

// ---- schemas of the answers (documentation; the services produce them) -------------------------

const orderId = z.uuid().openapi({ param: { name: 'orderId', in: 'path' }, example: '0b6f3c2e-4f6a-4d8e-9a53-2f6f1f2d7c11' });
const orderIdParams = z.object({ orderId });

/** The order at the edge: as the order contract, but `customerId` comes from the token (docs/security.md). */
export const gatewayOrderRequestSchema = orderRequestSchema.partial({ customerId: true }).openapi('OrderRequest', {
  description: "An order. `customerId` may be left out: it is the token's `sub`; when present it must be the same.",
});

/**
 * The contract's schemas may be built before @hono/zod-openapi extends zod (that depends on which
 * module a process imports first), and an instance built before has no `.openapi()`. Deriving a new
 * instance here (`.extend({})`, `.partial()`) gives one that has it, whatever the import order.
 */
const cancelRequestBody = cancelRequestSchema.extend({}).openapi('CancelRequest');

const acceptedOrderSchema = z
  .object({
    orderId: z.uuid(),
    status: z.enum(orderStatuses),
    duplicate: z.boolean().optional(),
    sagaStart: z.literal('deferred').optional(),
  })
  .openapi('AcceptedOrder');

const orderViewSchema = z
  .looseObject({
    orderId: z.uuid(),
    customerId: z.string(),
    status: z.enum(orderStatuses),
    items: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
    payment: z.object({ channel: z.enum(paymentChannels), cardLast4: z.string() }),
    shippingAddress: orderRequestSchema.shape.shippingAddress,
    amountMinor: z.number().int().nullable(),
    currency: z.string().nullable(),
    paymentId: z.string().nullable(),
    reason: z.string().nullable(),
    acceptedAt: z.string(),
    history: z.array(z.object({ status: z.enum(orderStatuses), at: z.string() })),
    shipment: z
      .object({
        shipmentId: z.string(),
        status: z.enum(shipmentStatuses),
        carrier: z.string(),
        estimatedDelivery: z.string(),
        scheduledAt: z.string(),
        shippedAt: z.string().optional(),
        deliveredAt: z.string().optional(),
        lostAt: z.string().optional(),
      })
      .nullable()
      .optional()
      .openapi('ShipmentProgress', {
        description:
          "The shipment's progress (ShipmentWorkflow): SCHEDULED → SHIPPED → DELIVERED (or LOST, and the order is REFUNDED), with the time of each step; null before one is scheduled; absent when fulfillment did not answer",
      }),
  })
  .openapi('Order');

const sagaViewSchema = z.looseObject({}).openapi('SagaState', { description: "The saga's live state, from a workflow query." });
const stockSchema = z
  .object({
    items: z.array(
      z.object({ sku: z.string(), name: z.string(), available: z.number().int(), unitPriceMinor: z.number().int(), currency: z.string() }),
    ),
  })
  .openapi('Stock');
const shipmentsSchema = z.object({ shipments: z.array(z.looseObject({ orderId: z.uuid() })) }).openapi('Shipments');
const notificationsSchema = z.object({ notifications: z.array(z.looseObject({})) }).openapi('Notifications');
const kpisSchema = z.looseObject({}).openapi('Kpis', { description: 'Business KPIs from the analytics service.' });
const healthSchema = z.looseObject({ status: z.string() }).openapi('Health');

const customerIdQuery = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .openapi({ description: "Admins: whose. Customers: may be left out; any other customer's id answers 404." });

// ---- the routes ---------------------------------------------------------------------------------

export const submitOrderRoute = createRoute({
  method: 'post',
  path: '/orders',
  summary: 'Place an order (starts its saga)',
  security,
  request: {
    headers: z.object({
      'idempotency-key': z
        .string()
        .min(1)
        .max(255)
        .optional()
        .openapi({ description: 'A retry with the same key and body gets the same order; the same key with another body is a 422.' }),
    }),
    body: { required: true, content: { 'application/json': { schema: gatewayOrderRequestSchema } } },
  },
  responses: {
    200: json(acceptedOrderSchema, 'a retry of an order already accepted with this Idempotency-Key'),
    202: json(acceptedOrderSchema, 'accepted; its saga runs (Location: /orders/{orderId})'),
    400: problem('invalid-request or malformed-json'),
    403: problem("customer-mismatch: the body names another customer than the token's"),
    415: problem('unsupported-media-type'),
    422: problem('unknown-sku, or idempotency-key-reused'),
    ...guarded,
    ...unavailable,
  },
});

export const listOrdersRoute = createRoute({
  method: 'get',
  path: '/orders',
  summary: "A customer's newest orders",
  security,
  request: { query: z.object({ customerId: customerIdQuery }) },
  responses: {
    200: json(z.object({ orders: z.array(orderViewSchema) }), 'the newest 50 orders'),
    400: problem('invalid-request (admins must name customerId)'),
    404: problem("another customer's id"),
    ...guarded,
    ...unavailable,
  },
});

export const readOrderRoute = createRoute({
  method: 'get',
  path: '/orders/{orderId}',
  summary: "One order with its status history and its shipment's progress",
  security,
  request: { params: orderIdParams },
  responses: {
    200: json(orderViewSchema, 'the order'),
    400: problem('invalid-request: the id is not a UUID'),
    404: problem('no such order, or not yours (the same answer)'),
    ...guarded,
    ...unavailable,
  },
});

export const cancelOrderRoute = createRoute({
  method: 'post',
  path: '/orders/{orderId}/cancel',
  summary: 'Cancel an order before it ships (its compensations run)',
  security,
  request: {
    params: orderIdParams,
    body: { required: false, content: { 'application/json': { schema: cancelRequestBody } } },
  },
  responses: {
    202: json(z.object({ orderId: z.uuid(), accepted: z.literal(true), status: z.enum(orderStatuses) }), 'the saga took the cancel'),
    400: problem('invalid-request or malformed-json'),
    404: problem('no such order, or not yours (the same answer)'),
    409: problem('not-cancellable'),
    415: problem('unsupported-media-type'),
    ...guarded,
    ...unavailable,
  },
});

export const readSagaRoute = createRoute({
  method: 'get',
  path: '/orders/{orderId}/saga',
  summary: "The saga's live state (a workflow query)",
  security,
  request: { params: orderIdParams },
  responses: {
    200: json(sagaViewSchema, 'the live state'),
    400: problem('invalid-request: the id is not a UUID'),
    404: problem('no such order or saga, or not yours (the same answer)'),
    ...guarded,
    ...unavailable,
  },
});

export const stockRoute = createRoute({
  method: 'get',
  path: '/inventory',
  summary: 'The catalogue with what is available',
  security,
  responses: { 200: json(stockSchema, 'every product'), ...guarded, ...unavailable },
});

export const shipmentsRoute = createRoute({
  method: 'get',
  path: '/shipments',
  summary: "An order's shipment; without orderId, every shipment (admins)",
  security,
  request: { query: z.object({ orderId: z.uuid().optional() }) },
  responses: {
    200: json(shipmentsSchema, 'the shipments'),
    400: problem('invalid-request'),
    403: problem('forbidden: listing every shipment is for admins'),
    404: problem('no such order, or not yours'),
    ...guarded,
    ...unavailable,
  },
});

export const kpisRoute = createRoute({
  method: 'get',
  path: '/analytics/kpis',
  summary: 'Business KPIs (admins)',
  security,
  responses: { 200: json(kpisSchema, 'the KPIs'), 403: problem('forbidden: for admins'), ...guarded, ...unavailable },
});

export const notificationsRoute = createRoute({
  method: 'get',
  path: '/notifications',
  summary: "A customer's notifications (e-mail, SMS, push)",
  security,
  request: { query: z.object({ customerId: customerIdQuery, orderId: z.uuid().optional() }) },
  responses: {
    200: json(notificationsSchema, 'the newest 100'),
    400: problem('invalid-request (admins must name customerId)'),
    404: problem("another customer's id"),
    ...guarded,
    ...unavailable,
  },
});

// ---- the web console's live feed and operations (docs/console.md) ------------------------------

export const liveOrdersRoute = createRoute({
  method: 'get',
  path: '/live/orders',
  summary: 'Order events as they happen (server-sent events): your orders, or every order for admins',
  description:
    'A `ready` event once the stream is live, then one `order` event per order event (its type, order, customer, time, trace id and data). ' +
    'Send the bearer token as a header (read it with fetch; EventSource cannot send one).',
  security,
  responses: {
    200: { description: 'the stream', content: { 'text/event-stream': { schema: z.string() } } },
    ...guarded,
  },
});

export const devLoginRoute = createRoute({
  method: 'post',
  path: '/dev/login',
  summary: 'A token for a demo customer or admin (development only: GATEWAY_DEV_LOGIN; docs/security.md)',
  security: [],
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({ customerId: tokenClaimsSchema.shape.sub, role: tokenClaimsSchema.shape.role.default('customer') })
            .openapi('DevLogin'),
        },
      },
    },
  },
  responses: {
    200: json(z.object({ token: z.string(), expiresIn: z.number().int() }).openapi('DevToken'), 'a bearer token'),
    400: problem('invalid-request'),
    429: problem('rate limited per address'),
  },
});

const forAdmins = { 403: problem('forbidden: for admins') } as const;
const channelParams = z.object({ channel: z.enum(paymentChannels).openapi({ param: { name: 'channel', in: 'path' } }) });
export const faultServices = ['inventory', 'fulfillment'] as const;
const faultServiceParams = z.object({ service: z.enum(faultServices).openapi({ param: { name: 'service', in: 'path' } }) });
const skuParams = z.object({
  sku: z
    .string()
    .regex(/^[A-Z0-9-]{1,32}$/)
    .openapi({ param: { name: 'sku', in: 'path' }, example: 'KB-001' }),
});
const scenariosSchema = z.looseObject({}).openapi('PaymentScenarios', { description: "payment-sim's scenario per line (http, tcp)" });
const faultsSchema = z.looseObject({ faults: z.looseObject({}), activities: z.array(z.string()) }).openapi('Faults');

export const readScenariosRoute = createRoute({
  method: 'get',
  path: '/operations/payment-scenarios',
  summary: "The payment simulator's scenario per line (admins)",
  security,
  responses: {
    200: json(scenariosSchema, 'per line: latency, error, decline and timeout rates'),
    ...forAdmins,
    ...guarded,
    ...unavailable,
  },
});
export const setScenarioRoute = createRoute({
  method: 'put',
  path: '/operations/payment-scenarios/{channel}',
  summary: 'Set one line\'s scenario, e.g. {"declineRate": 1} (admins)',
  security,
  request: {
    params: channelParams,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .looseObject({})
            .openapi('PaymentScenario', { description: 'latencyMs, errorRate, declineRate, timeoutRate (payment-sim validates)' }),
        },
      },
    },
  },
  responses: {
    200: json(scenariosSchema, 'the scenario in force'),
    400: problem('invalid-request'),
    ...forAdmins,
    ...guarded,
    ...unavailable,
  },
});
export const resetScenariosRoute = createRoute({
  method: 'delete',
  path: '/operations/payment-scenarios',
  summary: 'Every line back to its default scenario (admins)',
  security,
  responses: { 200: json(scenariosSchema, 'the defaults'), ...forAdmins, ...guarded, ...unavailable },
});

export const readFaultsRoute = createRoute({
  method: 'get',
  path: '/operations/faults/{service}',
  summary: "A worker's injected activity faults (admins)",
  security,
  request: { params: faultServiceParams },
  responses: {
    200: json(faultsSchema, 'the faults in force and the activities that can take one'),
    ...forAdmins,
    ...guarded,
    ...unavailable,
  },
});
export const setFaultsRoute = createRoute({
  method: 'put',
  path: '/operations/faults/{service}',
  summary: 'Replace a worker\'s faults, e.g. {"reserveStock": {"latencyMs": 3000}} (admins)',
  security,
  request: {
    params: faultServiceParams,
    body: { required: true, content: { 'application/json': { schema: faultPlanSchema.openapi('FaultPlan') } } },
  },
  responses: { 200: json(faultsSchema, 'the faults in force'), 400: problem('invalid-request'), ...forAdmins, ...guarded, ...unavailable },
});
export const clearFaultsRoute = createRoute({
  method: 'delete',
  path: '/operations/faults/{service}',
  summary: "Clear a worker's faults (admins)",
  security,
  request: { params: faultServiceParams },
  responses: { 200: json(faultsSchema, 'no faults'), ...forAdmins, ...guarded, ...unavailable },
});

export const restockRoute = createRoute({
  method: 'post',
  path: '/operations/stock/{sku}/restock',
  summary: 'Add stock to a product of the catalogue (admins)',
  security,
  request: {
    params: skuParams,
    body: {
      required: true,
      content: { 'application/json': { schema: z.strictObject({ quantity: z.number().int().min(1).max(1_000_000) }).openapi('Restock') } },
    },
  },
  responses: {
    200: json(z.looseObject({ sku: z.string(), available: z.number().int() }).openapi('Product'), 'the product after the restock'),
    400: problem('invalid-request'),
    404: problem('no such product'),
    ...forAdmins,
    ...guarded,
    ...unavailable,
  },
});

const deadLetterSchema = z
  .object({
    position: z.string(),
    reason: z.string(),
    errorClass: z.string(),
    detail: z.string(),
    consumerGroup: z.string(),
    sourceTopic: z.string(),
    attempts: z.number().int(),
    time: z.string(),
    replayCount: z.number().int(),
    eventType: z.string().nullable(),
    orderId: z.string().nullable(),
  })
  .openapi('DeadLetter');
export const deadLettersRoute = createRoute({
  method: 'get',
  path: '/operations/dead-letters',
  summary: 'The dead-letter topic, newest first (admins; docs/dead-letters.md)',
  security,
  responses: {
    200: json(z.object({ deadLetters: z.array(deadLetterSchema), unreadable: z.array(z.string()) }), 'every dead letter'),
    ...forAdmins,
    ...guarded,
    ...unavailable,
  },
});
export const replayDeadLettersRoute = createRoute({
  method: 'post',
  path: '/operations/dead-letters/replay',
  summary: 'Re-drive dead letters to their topics, as `make dlq-replay` does (admins)',
  security,
  request: {
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z
            .strictObject({
              consumerGroup: z.string().min(1).optional(),
              sourceTopic: z.string().min(1).optional(),
              limit: z.number().int().min(1).optional(),
              dryRun: z.boolean().default(false),
            })
            .openapi('ReplaySelection'),
        },
      },
    },
  },
  responses: {
    200: json(
      z
        .object({
          dryRun: z.boolean(),
          read: z.number().int(),
          replayed: z.array(deadLetterSchema),
          skipped: z.array(z.object({ position: z.string(), why: z.string() })),
        })
        .openapi('ReplayReport'),
      'what was replayed and what was left, and why',
    ),
    400: problem('invalid-request'),
    ...forAdmins,
    ...guarded,
    ...unavailable,
  },
});

// ---- public routes, documented only (mounted by platform/health.ts and gateway/docs.ts) ---------

const publicResponses = { 429: problem('rate limited per address') } as const;

export const publicRoutes = [
  createRoute({
    method: 'get',
    path: '/health',
    summary: 'Readiness (no token needed)',
    security: [],
    responses: { 200: json(healthSchema, 'ready'), 503: problem('stopping'), ...publicResponses },
  }),
  createRoute({
    method: 'get',
    path: '/health/ready',
    summary: 'Readiness (no token needed)',
    security: [],
    responses: { 200: json(healthSchema, 'ready'), 503: problem('stopping'), ...publicResponses },
  }),
  createRoute({
    method: 'get',
    path: '/health/live',
    summary: 'Liveness (no token needed)',
    security: [],
    responses: { 200: json(healthSchema, 'alive'), ...publicResponses },
  }),
  createRoute({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    security: [],
    responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: z.looseObject({}) } } }, ...publicResponses },
  }),
  createRoute({
    method: 'get',
    path: '/docs',
    summary: 'The API reference (Swagger UI, served from this gateway)',
    security: [],
    responses: { 200: { description: 'an HTML page', content: { 'text/html': { schema: z.string() } } }, ...publicResponses },
  }),
  createRoute({
    method: 'get',
    path: '/',
    summary: 'The web console (docs/console.md)',
    security: [],
    responses: {
      200: { description: 'its page', content: { 'text/html': { schema: z.string() } } },
      503: problem('the console is not built'),
      ...publicResponses,
    },
  }),
  createRoute({
    method: 'get',
    path: '/assets/{file}',
    summary: "The console's scripts and styles (content-hashed names, cached for a year)",
    security: [],
    request: { params: z.object({ file: z.string().openapi({ param: { name: 'file', in: 'path' } }) }) },
    responses: {
      200: { description: 'a file', content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() } } },
      404: problem('no such file'),
      ...publicResponses,
    },
  }),
  createRoute({
    method: 'get',
    path: '/console/config.json',
    summary: "The console's runtime settings: its links (Temporal Web UI, trace viewer) and whether the dev login is open",
    security: [],
    responses: { 200: json(z.looseObject({ devLogin: z.boolean() }).openapi('ConsoleSettings'), 'the settings'), ...publicResponses },
  }),
  createRoute({
    method: 'get',
    path: '/docs/assets/{file}',
    summary: "The reference page's script and style",
    security: [],
    request: { params: z.object({ file: z.string().openapi({ param: { name: 'file', in: 'path' } }) }) },
    responses: {
      200: { description: 'a file', content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() } } },
      404: problem('no such file'),
      ...publicResponses,
    },
  }),
];

export const rolesDescription = `Bearer JWT: \`sub\` is the customer id, \`role\` one of ${roles.map((role) => `\`${role}\``).join(', ')}.`;
