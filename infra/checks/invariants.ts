/**
 * The saga's invariants, checked against any running estate through the services' own APIs
 * (`make check`, and the mixed-batch test). Given order ids, it checks those orders; it always
 * checks the estate-wide stock and notification rules. Consumers are eventually consistent, so each
 * check is retried until it holds or its deadline passes; what still fails is a violation.
 *
 *   1. every order is in a terminal state, and its reservation is settled (SHIPPED if it completed,
 *      RELEASED or never made otherwise);
 *   2. stock is conserved: for every product, stocked = available + reserved + shipped;
 *   3. every approved payment belongs to a completed order, or was voided, reversed or refunded;
 *      a completed order has exactly one live approval;
 *   4. analytics applied exactly the order's transitions: the order.* events it holds for the order
 *      are those of the statuses in the order's history, each once;
 *   5. each notification was sent once: no order has two of the same kind, and every
 *      customer-facing event processed has exactly one notification.
 */
import { config } from '../../platform/config.js';
import { isTerminal, type OrderStatus } from '../../platform/contracts/order.js';
import { type EventType, statusOfOrderEvent } from '../../platform/events/catalog.js';

export interface InvariantReport {
  ordersChecked: number;
  byStatus: Record<string, number>;
  violations: string[];
}

interface Endpoints {
  orderUrl: string;
  inventoryUrl: string;
  analyticsUrl: string;
  notificationUrl: string;
  paymentUrl: string;
}

function defaultEndpoints(): Endpoints {
  const env = config();
  return {
    orderUrl: env.ORDER_URL,
    inventoryUrl: env.INVENTORY_URL,
    analyticsUrl: env.ANALYTICS_URL,
    notificationUrl: env.NOTIFICATION_URL,
    paymentUrl: env.PAYMENT_HTTP_URL,
  };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** Retries `check` (which returns its violations) until it returns none or the deadline passes. */
async function settle(check: () => Promise<string[]>, deadline: number): Promise<string[]> {
  for (;;) {
    let violations: string[];
    try {
      violations = await check();
    } catch (error) {
      violations = [(error as Error).message];
    }
    if (violations.length === 0 || Date.now() > deadline) return violations;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const orderEventOfStatus = Object.fromEntries(
  Object.entries(statusOfOrderEvent).map(([type, status]) => [status, type]),
) as Partial<Record<OrderStatus, EventType>>;

interface OrderView {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  history: { status: OrderStatus }[];
}

async function checkOrder(endpoints: Endpoints, orderId: string, byStatus: Record<string, number>): Promise<string[]> {
  const order = await getJson<OrderView>(`${endpoints.orderUrl}/orders/${orderId}`);
  const problems: string[] = [];
  const where = `order ${orderId} (${order.status})`;
  if (!isTerminal(order.status)) return [`${where}: not in a terminal state`];
  byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;

  const reservation = await fetch(`${endpoints.inventoryUrl}/reservations/${orderId}`);
  const reservationStatus = reservation.ok ? ((await reservation.json()) as { status: string }).status : 'none';
  const expectedReservation = order.status === 'COMPLETED' ? ['SHIPPED'] : ['RELEASED', 'none'];
  if (!expectedReservation.includes(reservationStatus)) problems.push(`${where}: reservation is ${reservationStatus}`);

  const { payments } = await getJson<{ payments: { paymentId: string; status: string }[] }>(
    `${endpoints.paymentUrl}/payments?orderId=${orderId}`,
  );
  const live = payments.filter((payment) => payment.status === 'authorized');
  if (order.status === 'COMPLETED' && live.length !== 1) problems.push(`${where}: ${live.length} live approvals, expected 1`);
  if (order.status !== 'COMPLETED' && live.length > 0) {
    problems.push(`${where}: approval ${live.map((payment) => payment.paymentId).join(', ')} left behind (not voided)`);
  }

  const { events } = await getJson<{ events: { type: string }[] }>(`${endpoints.analyticsUrl}/analytics/orders/${orderId}/events`);
  const applied = events.map((event) => event.type).filter((type) => type.startsWith('order.')).sort();
  const expected = order.history.map((entry) => orderEventOfStatus[entry.status]).filter((type) => type !== undefined).sort();
  if (JSON.stringify(applied) !== JSON.stringify(expected)) {
    problems.push(`${where}: analytics holds [${applied.join(', ')}], transitions say [${expected.join(', ')}]`);
  }

  const { notifications } = await getJson<{ notifications: { eventType: string }[] }>(
    `${endpoints.notificationUrl}/notifications?customerId=${encodeURIComponent(order.customerId)}&orderId=${orderId}`,
  );
  const kinds = notifications.map((notification) => notification.eventType);
  const repeated = kinds.filter((kind, index) => kinds.indexOf(kind) !== index);
  if (repeated.length > 0) problems.push(`${where}: notified more than once for ${repeated.join(', ')}`);
  const terminalEvent = orderEventOfStatus[order.status];
  if (terminalEvent && !kinds.includes(terminalEvent)) problems.push(`${where}: no ${terminalEvent} notification`);
  return problems;
}

async function checkStock(endpoints: Endpoints): Promise<string[]> {
  const { products } = await getJson<{ products: { sku: string; available: number; reserved: number; shipped: number; stocked: number }[] }>(
    `${endpoints.inventoryUrl}/products`,
  );
  return products
    .filter((product) => product.stocked !== product.available + product.reserved + product.shipped)
    .map((product) => `stock of ${product.sku} not conserved: stocked ${product.stocked} ≠ ${product.available} + ${product.reserved} + ${product.shipped}`);
}

async function checkNotifications(endpoints: Endpoints): Promise<string[]> {
  const stats = await getJson<{ notifiableEventsProcessed: number; notifications: number; duplicates: number }>(
    `${endpoints.notificationUrl}/notifications/stats`,
  );
  const problems: string[] = [];
  if (stats.duplicates > 0) problems.push(`${stats.duplicates} (order, event type) pairs were notified more than once`);
  if (stats.notifications !== stats.notifiableEventsProcessed) {
    problems.push(`${stats.notifiableEventsProcessed} customer-facing events processed but ${stats.notifications} notifications recorded`);
  }
  return problems;
}

/** Checks the given orders (all must already have been submitted) and the estate-wide rules. */
export async function checkInvariants(orderIds: string[], options: { deadlineMs?: number; endpoints?: Endpoints } = {}): Promise<InvariantReport> {
  const endpoints = options.endpoints ?? defaultEndpoints();
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  const byStatus: Record<string, number> = {};
  const violations: string[] = [];
  // Orders one at a time per worker, eight workers: enough to be quick, gentle on a busy estate.
  const queue = [...orderIds];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let orderId = queue.shift(); orderId; orderId = queue.shift()) {
        const tally: Record<string, number> = {};
        const found = await settle(() => {
          for (const key of Object.keys(tally)) delete tally[key];
          return checkOrder(endpoints, orderId!, tally);
        }, deadline);
        violations.push(...found);
        for (const [status, count] of Object.entries(tally)) byStatus[status] = (byStatus[status] ?? 0) + count;
      }
    }),
  );
  violations.push(...(await settle(() => checkStock(endpoints), deadline)));
  violations.push(...(await settle(() => checkNotifications(endpoints), deadline)));
  return { ordersChecked: orderIds.length, byStatus, violations };
}

async function allOrderIds(orderUrl: string): Promise<string[]> {
  const { orderIds } = await getJson<{ orderIds: string[] }>(`${orderUrl}/orders/ids`);
  return orderIds;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const given = process.argv.slice(2);
  const orderIds = given.length > 0 ? given : await allOrderIds(config().ORDER_URL);
  console.log(`[check] checking ${orderIds.length} orders and the estate-wide invariants…`);
  const report = await checkInvariants(orderIds, { deadlineMs: 60_000 });
  console.log(`[check] orders by status: ${JSON.stringify(report.byStatus)}`);
  if (report.violations.length === 0) {
    console.log('[check] all invariants hold');
  } else {
    for (const violation of report.violations) console.log(`[check] VIOLATION ${violation}`);
    process.exitCode = 1;
  }
}
