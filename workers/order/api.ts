/**
 * The order service's HTTP API: accepts an order (recorded PENDING, then its saga started) and
 * reads orders back. Only the gateway calls it.
 */
import { randomUUID } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Hono } from 'hono';
import { v5 as uuidv5 } from 'uuid';
import { z } from 'zod';
import { type OrderStore } from '../../activities/order/store.js';
import { isTerminal, orderRequestSchema } from '../../platform/contracts/order.js';
import {
  CustomerIdAttribute,
  OrderStatusAttribute,
  PaymentChannelAttribute,
} from '../../platform/contracts/search-attributes.js';
import { type OrderWorkflowInput, taskQueues, workflowIdFor } from '../../platform/contracts/workflow.js';
import { type Database, withTransaction } from '../../platform/db.js';
import { problem, withProblemDefaults } from '../../platform/http.js';
import { zodProblem } from '../../platform/validation.js';
import { cancelOrderUpdate, orderStateQuery, type OrderWorkflow } from '../../workflows/order.js';

const cancelRequestSchema = z.strictObject({ reason: z.string().min(1).max(500).optional() });

const IDEMPOTENCY_NAMESPACE = 'b3b0c2de-5f0e-4a5b-8f57-5a0e3c1d9e42';

/**
 * A client that retries a submission with the same `Idempotency-Key` gets the same order id, and
 * the workflow id derived from it makes a second saga impossible.
 */
export function orderIdFor(customerId: string, idempotencyKey: string | undefined): string {
  return idempotencyKey ? uuidv5(`${customerId}|${idempotencyKey}`, IDEMPOTENCY_NAMESPACE) : randomUUID();
}

export function createOrderApi(deps: { db: Database; store: OrderStore; temporal: Client }): Hono {
  const { db, store, temporal } = deps;
  const app = withProblemDefaults(new Hono(), 'order');

  app.get('/health', async (c) => {
    await db.query('SELECT 1');
    return c.json({ status: 'ok' });
  });

  app.post('/orders', async (c) => {
    const parsed = orderRequestSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return zodProblem(c, parsed.error);
    const order = parsed.data;
    const orderId = orderIdFor(order.customerId, c.req.header('idempotency-key'));
    const input: OrderWorkflowInput = { orderId, order, acceptedAt: new Date().toISOString() };

    try {
      // The row and the saga start stand or fall together: if Temporal refuses, the row is rolled
      // back. (If the commit fails after the start, the saga's first step writes the row itself.)
      await withTransaction(db, async (tx) => {
        await store.insertPending(orderId, order, input.acceptedAt, tx);
        await temporal.workflow.start<typeof OrderWorkflow>('OrderWorkflow', {
          workflowId: workflowIdFor(orderId),
          taskQueue: taskQueues.orders,
          args: [input],
          typedSearchAttributes: [
            { key: OrderStatusAttribute, value: 'PENDING' },
            { key: CustomerIdAttribute, value: order.customerId },
            { key: PaymentChannelAttribute, value: order.payment.channel },
          ],
        });
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        const existing = await store.find(orderId);
        if (existing) {
          c.header('Location', `/orders/${orderId}`);
          return c.json({ orderId, status: existing.status, duplicate: true }, 200);
        }
      }
      throw error;
    }
    c.header('Location', `/orders/${orderId}`);
    return c.json({ orderId, status: 'PENDING' }, 202);
  });

  app.get('/orders/summary', async (c) => c.json(await store.summary()));
  /** The newest 10,000 order ids, for the invariant checker. */
  app.get('/orders/ids', async (c) => c.json({ orderIds: await store.listIds(10_000) }));

  app.get('/orders/:orderId', async (c) => {
    const orderId = c.req.param('orderId');
    if (!z.uuid().safeParse(orderId).success) {
      return problem(c, { status: 400, title: 'Bad Request', detail: 'order id must be a UUID', errors: [{ pointer: '/orderId', detail: 'must be a UUID' }] });
    }
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
    if (!z.uuid().safeParse(orderId).success) {
      return problem(c, { status: 400, title: 'Bad Request', detail: 'order id must be a UUID', errors: [{ pointer: '/orderId', detail: 'must be a UUID' }] });
    }
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
    if (!customerId) return problem(c, { status: 400, title: 'Bad Request', detail: 'customerId is required', errors: [{ pointer: '/customerId', detail: 'is required' }] });
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
