/**
 * The order service's HTTP API: accepts an order (recorded PENDING, then its saga started) and
 * reads orders back. Only the gateway calls it.
 */
import { randomUUID } from 'node:crypto';
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { Hono } from 'hono';
import { v5 as uuidv5 } from 'uuid';
import { type OrderRecord, type OrderStore } from '../../activities/order/store.js';
import { pageOf, parsePageQuery } from '../../platform/admin-pages.js';
import { cancelRequestSchema, isTerminal, type Order, orderSchema } from '../../platform/contracts/order.js';
import { cancelOrderUpdate, orderStateQuery, type OrderWorkflowInput, workflowIdFor } from '../../platform/contracts/workflow.js';
import type { Database } from '../../platform/db.js';
import { logger } from '../../platform/logger.js';
import { problem, withProblemDefaults } from '../../platform/http.js';
import { rejectNonUuidOrderId, zodProblem } from '../../platform/validation.js';
import { startSaga } from './saga-starts.js';

const IDEMPOTENCY_NAMESPACE = 'b3b0c2de-5f0e-4a5b-8f57-5a0e3c1d9e42';

/**
 * A client that retries a submission with the same `Idempotency-Key` gets the same order id, and
 * the workflow id derived from it makes a second saga impossible.
 */
export function orderIdFor(customerId: string, idempotencyKey: string | undefined): string {
  return idempotencyKey ? uuidv5(`${customerId}|${idempotencyKey}`, IDEMPOTENCY_NAMESPACE) : randomUUID();
}

/**
 * Whether a retry under the same Idempotency-Key (so the same order id) carries the order that was
 * recorded. A different one is refused with 422, as the IETF idempotency-key draft says, instead of
 * answering with the first order. Only what this service keeps can be compared: it keeps a card's
 * last four digits, never the number, so bodies that differ only in a card's other digits count as
 * the same. Key order in objects and the order of the lines do not matter.
 */
export function isSameSubmission(
  recorded: Pick<OrderRecord, 'customerId' | 'paymentChannel' | 'cardLast4' | 'items' | 'shippingAddress'>,
  request: Order,
): boolean {
  const canonical = (value: unknown): string =>
    JSON.stringify(value, (_key, inner: unknown) =>
      inner && typeof inner === 'object' && !Array.isArray(inner)
        ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
        : inner,
    );
  const lines = (items: Order['items']) => canonical([...items].sort((a, b) => a.sku.localeCompare(b.sku)));
  return (
    recorded.customerId === request.customerId &&
    recorded.paymentChannel === request.payment.channel &&
    recorded.cardLast4 === request.payment.last4 &&
    lines(recorded.items) === lines(request.items) &&
    canonical(recorded.shippingAddress) === canonical(request.shippingAddress)
  );
}

/**
 * The order API. Liveness and readiness (`/health/live`, `/health/ready`) are mounted by the entry
 * point (workers/order/main.ts), which knows the worker and the Temporal connection.
 */
export function createOrderApi(deps: { db: Database; store: OrderStore; temporal: Client; sagaStartTimeoutMs: number }): Hono {
  const { db, store, temporal } = deps;
  const app = withProblemDefaults(new Hono(), 'order');
  const log = logger('order-api');

  app.post('/orders', async (c) => {
    // The card is a vault token: the gateway exchanged the number before relaying (docs/decisions.md).
    // A body with a card number is refused, so none is ever stored or handed to Temporal here.
    const parsed = orderSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return zodProblem(c, parsed.error);
    const order = parsed.data;
    const orderId = orderIdFor(order.customerId, c.req.header('idempotency-key'));
    const input: OrderWorkflowInput = { orderId, order, acceptedAt: new Date().toISOString() };

    // 1. The order (PENDING) and its saga start (the outbox row), committed together in one
    //    statement; no transaction stays open past it.
    const { created } = await store.acceptPending(input);
    if (!created) {
      // A retry of an accepted order (same Idempotency-Key): its saga runs or the sweeper starts it.
      // The same key with another order is the client's mistake, not a retry.
      const existing = await store.find(orderId);
      if (existing && !isSameSubmission(existing, order)) {
        return problem(c, {
          status: 422,
          type: 'https://ordersaga.dev/problems/idempotency-key-reused',
          title: 'Idempotency-Key reused',
          detail: 'this Idempotency-Key was already used for a different order; send a new key for a new order',
          errors: [{ pointer: '', detail: 'differs from the order first sent with this Idempotency-Key' }],
        });
      }
      c.header('Location', `/orders/${orderId}`);
      return c.json({ orderId, status: existing?.status ?? 'PENDING', duplicate: true }, 200);
    }
    c.header('Location', `/orders/${orderId}`);
    // 2. The saga, outside any transaction. If Temporal does not answer in time the order is still
    //    accepted: its start stays in the outbox and the sweeper makes it (docs/saga.md).
    const start = await startSaga({ store, temporal }, input, deps.sagaStartTimeoutMs);
    if (start.outcome === 'not-started') {
      log.warn({ orderId, reason: start.reason }, 'order accepted; its saga start is deferred to the sweeper');
      return c.json({ orderId, status: 'PENDING', sagaStart: 'deferred' }, 202);
    }
    // The outbox row goes after the answer (saga-starts.ts, SagaStart): one that stays is the sweeper's.
    start.cleared.catch((error: unknown) => log.warn({ orderId, err: error }, 'saga started; its outbox row is left to the sweeper'));
    return c.json({ orderId, status: 'PENDING' }, 202);
  });

  app.get('/orders/summary', async (c) => c.json(await store.summary()));
  /** The newest 10,000 order ids, for the invariant checker. */
  app.get('/orders/ids', async (c) => c.json({ orderIds: await store.listIds(10_000) }));

  /**
   * For the auditor (infra/programs/checks/): every order with its status history, paged by order id
   * (platform/admin-pages.ts). `asOf` is the database's clock, which the history's times are on, so
   * the auditor measures an order's age without trusting its own clock.
   */
  app.get('/admin/orders', async (c) => {
    const page = parsePageQuery(c, 'orderId');
    if (!page.ok) return page.response;
    const { after, limit, only } = page.query;
    const { rows } = await db.query<{ orderId: string; asOf: string }>(
      `SELECT o.order_id AS "orderId", o.customer_id AS "customerId", o.status, o.items, o.amount_minor AS "amountMinor",
              o.currency, o.payment_id AS "paymentId", o.accepted_at AS "acceptedAt", o.updated_at AS "updatedAt", now() AS "asOf",
              COALESCE((SELECT json_agg(json_build_object('status', h.status, 'at', h.at) ORDER BY h.at, h.status)
                        FROM order_status_history h WHERE h.order_id = o.order_id), '[]') AS history
       FROM orders o WHERE ($1::uuid IS NULL OR o.order_id > $1) AND ($3::uuid[] IS NULL OR o.order_id = ANY($3))
       ORDER BY o.order_id LIMIT $2`,
      [after, limit, only],
    );
    const asOf = rows[0]?.asOf ?? (await db.query<{ now: string }>('SELECT now()')).rows[0]!.now;
    const orders = rows.map(({ asOf: _, ...order }) => order);
    return c.json({ asOf, ...pageOf('orders', orders, page.query, (order) => order.orderId) });
  });

  app.get('/orders/:orderId', async (c) => {
    const orderId = c.req.param('orderId');
    const invalid = rejectNonUuidOrderId(c, orderId);
    if (invalid) return invalid;
    const order = await store.find(orderId);
    if (!order) return problem(c, { status: 404, title: 'Not Found', detail: `no order ${orderId}` });
    return c.json(toOrderView(order));
  });

  /**
   * Asks the saga to cancel. 202 when it accepted (compensations then run; poll the order), 409
   * with the reason when the order is past the point of cancelling, 404 for an unknown order.
   */
  app.post('/orders/:orderId/cancel', async (c) => {
    const orderId = c.req.param('orderId');
    const invalid = rejectNonUuidOrderId(c, orderId);
    if (invalid) return invalid;
    const body = cancelRequestSchema.safeParse((await c.req.json().catch(() => ({}))) ?? {});
    if (!body.success) return zodProblem(c, body.error);
    try {
      const result = await temporal.workflow
        .getHandle(workflowIdFor(orderId))
        .executeUpdate(cancelOrderUpdate, { args: [{ reason: body.data.reason }] });
      c.header('Location', `/orders/${orderId}`);
      return c.json({ orderId, accepted: true, status: result.status }, 202);
    } catch (error) {
      const order = await store.find(orderId);
      if (!order) return problem(c, { status: 404, title: 'Not Found', detail: `no order ${orderId}` });
      const reason =
        error instanceof WorkflowUpdateFailedError
          ? (error.cause?.message ?? error.message)
          : isTerminal(order.status)
            ? `the order is already ${order.status}`
            : undefined;
      if (reason === undefined) throw error;
      return problem(c, {
        status: 409,
        type: 'https://ordersaga.dev/problems/not-cancellable',
        title: 'Order cannot be cancelled',
        detail: reason,
        orderId,
        orderStatus: order.status,
      });
    }
  });

  /** The saga's own live view (a workflow query), including a compensation in progress. */
  app.get('/orders/:orderId/saga', async (c) => {
    const orderId = c.req.param('orderId');
    try {
      return c.json(await temporal.workflow.getHandle(workflowIdFor(orderId)).query(orderStateQuery));
    } catch {
      return problem(c, { status: 404, title: 'Not Found', detail: `no saga for order ${orderId}` });
    }
  });

  app.get('/orders', async (c) => {
    const customerId = c.req.query('customerId');
    if (!customerId)
      return problem(c, {
        status: 400,
        title: 'Bad Request',
        detail: 'customerId is required',
        errors: [{ pointer: '/customerId', detail: 'is required' }],
      });
    const orders = await store.listByCustomer(customerId, 50);
    return c.json({ orders: orders.map(toOrderView) });
  });

  return app;
}

function toOrderView(order: NonNullable<Awaited<ReturnType<OrderStore['find']>>>) {
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    status: order.status,
    items: order.items,
    payment: { channel: order.paymentChannel, cardLast4: order.cardLast4 },
    shippingAddress: order.shippingAddress,
    amountMinor: order.amountMinor,
    currency: order.currency,
    paymentId: order.paymentId,
    reason: order.reason,
    acceptedAt: order.acceptedAt,
    history: order.history,
  };
}
