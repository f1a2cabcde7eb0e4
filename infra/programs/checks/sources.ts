/**
 * What the auditor reads, and from whom: each service's read-only admin listing (keyset pages,
 * platform/admin-pages.ts) and payment-sim's ledger, validated with zod as they arrive. Each source
 * is owned by a different service and database, which is the point: the rules in ./rules/ compare
 * sources that were written independently.
 *
 * A service that does not answer (connection refused, a timeout, a 5xx, a body that is not the
 * contract) is a DependencyError naming the service and the URL. The auditor reports it as an
 * error; it is never read as "nothing there".
 */
import { z } from 'zod';
import { ADMIN_FILTER_MAX_IDS, ADMIN_PAGE_MAX_LIMIT } from '../../../platform/admin-pages.js';
import { config } from '../../../platform/config.js';
import { orderStatuses } from '../../../platform/contracts/order.js';
import { shipmentStatuses } from '../../../platform/contracts/shipment.js';

export interface Endpoints {
  orderUrl: string;
  inventoryUrl: string;
  fulfillmentUrl: string;
  analyticsUrl: string;
  notificationUrl: string;
  paymentUrl: string;
}

export function defaultEndpoints(): Endpoints {
  const env = config();
  return {
    orderUrl: env.ORDER_URL,
    inventoryUrl: env.INVENTORY_URL,
    fulfillmentUrl: env.FULFILLMENT_URL,
    analyticsUrl: env.ANALYTICS_URL,
    notificationUrl: env.NOTIFICATION_URL,
    paymentUrl: env.PAYMENT_HTTP_URL,
  };
}

export type DependencyFailure = 'unreachable' | 'timeout' | 'server-error' | 'unexpected-status' | 'malformed';

/** A service did not answer as its contract says. Never a pass, never "no data". */
export class DependencyError extends Error {
  constructor(
    readonly service: string,
    readonly url: string,
    readonly failure: DependencyFailure,
    detail: string,
    readonly status?: number,
  ) {
    super(`${service}: GET ${url} ${detail}`);
    this.name = 'DependencyError';
  }
}

export interface Fetcher {
  timeoutMs: number;
}

async function getJson<S extends z.ZodType>(service: string, url: string, schema: S, fetcher: Fetcher): Promise<z.infer<S>> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(fetcher.timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if ((error as Error).name === 'TimeoutError') {
      throw new DependencyError(service, url, 'timeout', `did not answer within ${fetcher.timeoutMs} ms`);
    }
    throw new DependencyError(service, url, 'unreachable', `failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    const failure = response.status >= 500 ? 'server-error' : 'unexpected-status';
    throw new DependencyError(service, url, failure, `answered ${response.status}: ${text.slice(0, 200)}`, response.status);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new DependencyError(service, url, 'malformed', `answered a body that is not JSON: ${text.slice(0, 200)}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new DependencyError(service, url, 'malformed', `answered outside its contract: ${z.prettifyError(parsed.error).slice(0, 300)}`);
  }
  return parsed.data;
}

/**
 * Every row of a keyed listing: page after page (`after`, `limit`) over the whole table, or, for a
 * scoped audit, only the rows of the given keys, a hundred keys per request.
 */
async function walk<T>(
  service: string,
  base: string,
  path: string,
  filterName: 'orderId' | 'sku',
  only: string[] | undefined,
  pageSchema: z.ZodType<{ rows: T[]; next?: string | undefined }>,
  fetcher: Fetcher,
): Promise<T[]> {
  const rows: T[] = [];
  const requests: URLSearchParams[] = [];
  if (only) {
    if (only.length === 0) return rows;
    for (let index = 0; index < only.length; index += ADMIN_FILTER_MAX_IDS) {
      requests.push(
        new URLSearchParams({
          [filterName]: only.slice(index, index + ADMIN_FILTER_MAX_IDS).join(','),
          limit: String(ADMIN_FILTER_MAX_IDS),
        }),
      );
    }
  } else {
    requests.push(new URLSearchParams({ limit: String(ADMIN_PAGE_MAX_LIMIT) }));
  }
  for (const params of requests) {
    for (;;) {
      const page = await getJson(service, `${base}${path}?${params}`, pageSchema, fetcher);
      rows.push(...page.rows);
      if (!page.next) break;
      params.set('after', page.next);
    }
  }
  return rows;
}

/** A listing `{ <name>: rows, next? }` as `{ rows, next? }`. */
function pageSchema<T extends z.ZodType>(name: string, row: T) {
  return z.object({ [name]: z.array(row), next: z.string().optional() }).transform((page) => ({
    rows: page[name] as z.infer<T>[],
    next: page.next as string | undefined,
  }));
}

const timestamp = z.string().min(1);

// ---- order service: the orders and their histories -------------------------------------------

const orderRow = z.object({
  orderId: z.string(),
  customerId: z.string(),
  status: z.enum(orderStatuses),
  items: z.array(z.object({ sku: z.string(), quantity: z.number() })),
  amountMinor: z.number().nullable(),
  currency: z.string().nullable(),
  paymentId: z.string().nullable(),
  acceptedAt: timestamp,
  updatedAt: timestamp,
  history: z.array(z.object({ status: z.enum(orderStatuses), at: timestamp })),
});
export type AuditedOrder = z.infer<typeof orderRow>;

const ordersPage = z
  .object({ asOf: timestamp, orders: z.array(orderRow), next: z.string().optional() })
  .transform((page) => ({ rows: page.orders, next: page.next, asOf: page.asOf }));

/** Every order (or those named), and the order database's clock at the last page. */
export async function readOrders(
  endpoints: Endpoints,
  only: string[] | undefined,
  fetcher: Fetcher,
): Promise<{ orders: AuditedOrder[]; asOf: number }> {
  let asOf = 0;
  const recordingClock = ordersPage.transform((page) => {
    asOf = Math.max(asOf, Date.parse(page.asOf));
    return page;
  });
  const orders = await walk('order', endpoints.orderUrl, '/admin/orders', 'orderId', only, recordingClock, fetcher);
  return { orders, asOf: asOf || Date.now() };
}

// ---- inventory: counters beside lines, and reservations ---------------------------------------

const stockRow = z.object({
  sku: z.string(),
  reserved: z.number().nullable(),
  shipped: z.number().nullable(),
  reservedInLines: z.number(),
  shippedInLines: z.number(),
});
export type StockRow = z.infer<typeof stockRow>;

export function readStock(endpoints: Endpoints, only: string[] | undefined, fetcher: Fetcher): Promise<StockRow[]> {
  return walk('inventory', endpoints.inventoryUrl, '/admin/stock-reconciliation', 'sku', only, pageSchema('products', stockRow), fetcher);
}

const reservationRow = z.object({
  orderId: z.string(),
  status: z.enum(['RESERVED', 'RELEASED', 'SHIPPED']),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number() })),
  createdAt: timestamp,
});
export type ReservationRow = z.infer<typeof reservationRow>;

export function readReservations(endpoints: Endpoints, only: string[] | undefined, fetcher: Fetcher): Promise<ReservationRow[]> {
  return walk(
    'inventory',
    endpoints.inventoryUrl,
    '/admin/reservations',
    'orderId',
    only,
    pageSchema('reservations', reservationRow),
    fetcher,
  );
}

// ---- fulfillment: shipments --------------------------------------------------------------------

const shipmentRow = z.object({
  shipmentId: z.string(),
  orderId: z.string(),
  status: z.enum(shipmentStatuses),
  createdAt: timestamp,
});
export type ShipmentRow = z.infer<typeof shipmentRow>;

export function readShipments(endpoints: Endpoints, only: string[] | undefined, fetcher: Fetcher): Promise<ShipmentRow[]> {
  return walk('fulfillment', endpoints.fulfillmentUrl, '/admin/shipments', 'orderId', only, pageSchema('shipments', shipmentRow), fetcher);
}

// ---- payment-sim: the ledger ----------------------------------------------------------------------

const paymentRow = z.object({
  paymentId: z.string(),
  orderId: z.string(),
  status: z.enum(['authorized', 'voided', 'refunded', 'reversed']),
  amountMinor: z.number(),
  currency: z.string(),
  channel: z.string().optional(),
});
export type PaymentRow = z.infer<typeof paymentRow>;

export interface Ledger {
  payments: PaymentRow[];
  /** True when payment-sim has no `GET /admin/ledger` and only known orders' payments were read. */
  perOrderFallback: boolean;
}

/**
 * The whole ledger, through payment-sim's paged `GET /admin/ledger?after=&limit=`; undefined when
 * payment-sim has no such route (404), so the caller can fall back to readLedgerPerOrder.
 */
export async function readLedgerPages(endpoints: Endpoints, fetcher: Fetcher): Promise<PaymentRow[] | undefined> {
  const payments: PaymentRow[] = [];
  const params = new URLSearchParams({ limit: String(ADMIN_PAGE_MAX_LIMIT) });
  try {
    for (;;) {
      const page = await getJson(
        'payment-sim',
        `${endpoints.paymentUrl}/admin/ledger?${params}`,
        pageSchema('payments', paymentRow),
        fetcher,
      );
      payments.push(...page.rows);
      if (!page.next) return payments;
      params.set('after', page.next);
    }
  } catch (error) {
    if (error instanceof DependencyError && error.status === 404 && payments.length === 0) return undefined;
    throw error;
  }
}

/**
 * The payments of the given orders, one `GET /payments?orderId=` each: the older payment-sim's only
 * reading. It cannot show an approval for an order nobody knows; the report says so.
 */
export async function readLedgerPerOrder(endpoints: Endpoints, orderIds: string[], fetcher: Fetcher): Promise<PaymentRow[]> {
  const payments: PaymentRow[] = [];
  const queue = [...orderIds];
  const perOrder = z.object({ payments: z.array(paymentRow) });
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let orderId = queue.shift(); orderId !== undefined; orderId = queue.shift()) {
        const answer = await getJson(
          'payment-sim',
          `${endpoints.paymentUrl}/payments?orderId=${encodeURIComponent(orderId)}`,
          perOrder,
          fetcher,
        );
        payments.push(...answer.payments);
      }
    }),
  );
  return payments;
}

// ---- analytics: per-order projections, and the per-type counters --------------------------------

const analyticsRow = z.object({ orderId: z.string(), factStatus: z.string().nullable(), events: z.array(z.string()) });
export type AnalyticsRow = z.infer<typeof analyticsRow>;

export function readAnalyticsOrders(endpoints: Endpoints, only: string[] | undefined, fetcher: Fetcher): Promise<AnalyticsRow[]> {
  return walk('analytics', endpoints.analyticsUrl, '/admin/orders', 'orderId', only, pageSchema('orders', analyticsRow), fetcher);
}

const eventCounts = z.object({ eventCounts: z.record(z.string(), z.number()), inboxByType: z.record(z.string(), z.number()) });
export type EventCounts = z.infer<typeof eventCounts>;

export function readEventCounts(endpoints: Endpoints, fetcher: Fetcher): Promise<EventCounts> {
  return getJson('analytics', `${endpoints.analyticsUrl}/admin/event-counts`, eventCounts, fetcher);
}

// ---- notification: notifications beside the events processed -----------------------------------

const notificationRow = z.object({
  orderId: z.string(),
  notified: z.record(z.string(), z.number()),
  processed: z.record(z.string(), z.number()),
});
export type NotificationRow = z.infer<typeof notificationRow>;

export async function readNotifications(
  endpoints: Endpoints,
  only: string[] | undefined,
  fetcher: Fetcher,
): Promise<{ customerFacingTypes: string[]; orders: NotificationRow[] }> {
  let customerFacingTypes: string[] = [];
  const page = z
    .object({ customerFacingTypes: z.array(z.string()), orders: z.array(notificationRow), next: z.string().optional() })
    .transform((body) => {
      customerFacingTypes = body.customerFacingTypes;
      return { rows: body.orders, next: body.next };
    });
  const orders = await walk('notification', endpoints.notificationUrl, '/admin/orders', 'orderId', only, page, fetcher);
  if (customerFacingTypes.length === 0) {
    // A scoped audit of orders the service never heard of reads no page; ask once for the list.
    customerFacingTypes = (
      await getJson(
        'notification',
        `${endpoints.notificationUrl}/admin/orders?limit=1`,
        z.object({ customerFacingTypes: z.array(z.string()) }),
        fetcher,
      )
    ).customerFacingTypes;
  }
  return { customerFacingTypes, orders };
}
