/**
 * Helpers for tests against the running estate (started by `make test`): the gateway's address and
 * the tokens it wants, read-only database access for assertions, JSON reads of the services, and
 * polling with a deadline.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { config } from '../../platform/config.js';
import { localAuthorization } from '../../platform/identity.js';

export const gatewayUrl = process.env.GATEWAY_URL ?? `http://localhost:${config().GATEWAY_PORT}`;

/**
 * The name of the database a URL points at: `orders` in the user's estate, `orders_test` under the
 * test identity `make test` runs (infra/setup/test-estate.ts). Telemetry names a database peer after it
 * (`orders-db`, `orders_test-db`).
 */
export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/**
 * Polls `probe` until it returns a value that is not undefined, or fails after `timeoutMs` with the
 * last error seen, so a test waits on a condition (a consumer catching up) rather than a sleep.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/**
 * Runs a clean-up step for at most `timeoutMs`, then gives up on it with a log line. AVA 7 bounds
 * tests, not teardowns: a step that waits on something a failed test left broken (a Kafka consumer
 * disconnecting while its group never formed, a pool ending while a connection hangs) would hold its
 * test file, and so the whole suite, open until CI's own limit.
 */
export async function boundedCleanup(
  t: { log: (...values: unknown[]) => void },
  what: string,
  step: () => Promise<unknown>,
  timeoutMs = 15_000,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'gave up'>((resolve) => {
    timer = setTimeout(() => resolve('gave up'), timeoutMs);
  });
  const outcome = await Promise.race([
    step().then(
      () => 'done' as const,
      (error: unknown) => `failed: ${(error as Error)?.message ?? String(error)}`,
    ),
    gaveUp,
  ]);
  clearTimeout(timer);
  if (outcome === 'gave up') t.log(`clean-up "${what}" did not finish within ${timeoutMs} ms; left behind`);
  else if (outcome !== 'done') t.log(`clean-up "${what}" ${outcome}`);
}

/** One query against a service's database, as that service's own role. */
export async function queryDatabase<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A product only this test orders, so stock assertions are not disturbed by other tests. */
export async function stockTestProduct(quantity: number, unitPriceMinor = 10_000): Promise<string> {
  const sku = `T-${randomBytes(4).toString('hex').toUpperCase()}`;
  const response = await fetch(`${config().INVENTORY_URL}/admin/products/${sku}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `test product ${sku}`, unitPriceMinor, quantity }),
  });
  if (!response.ok) throw new Error(`restock ${sku}: ${response.status} ${await response.text()}`);
  return sku;
}

// ---- tokens: minted from the local secret the services run with (platform/identity.ts) -----------

/** `Authorization` of a customer: the gateway takes the customer from it. */
export const asCustomer = (customerId: string) => localAuthorization(customerId);
/** `Authorization` of an admin, for the listings across customers and the KPIs. */
export const asAdmin = () => localAuthorization('test-suite', 'admin');

/** Whose each order placed through submitOrder is, so it is read with its own customer's token. */
const customerOfOrder = new Map<string, string>();
/** `Authorization` of the customer who placed an order through submitOrder (an admin's for any other). */
export function asOwnerOf(orderId: string): Promise<{ authorization: string }> {
  const customerId = customerOfOrder.get(orderId);
  return customerId ? asCustomer(customerId) : asAdmin();
}

/** POSTs an order as the customer its body names (any customer when it names none). */
export async function submitOrder(
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; location: string | null }> {
  const named = (body as { customerId?: unknown } | null)?.customerId;
  const customerId = typeof named === 'string' && named ? named : 'test-suite-customer';
  const response = await fetch(`${gatewayUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await asCustomer(customerId)), ...headers },
    body: JSON.stringify(body),
  });
  const answer = { status: response.status, body: (await response.json()) as any, location: response.headers.get('location') };
  if (typeof answer.body?.orderId === 'string') customerOfOrder.set(answer.body.orderId, customerId);
  return answer;
}

export async function waitForStatus(orderId: string, accept: (status: string) => boolean, timeoutMs = 60_000): Promise<any> {
  return eventually(
    `order ${orderId} to reach the expected status`,
    async () => {
      const response = await fetch(`${gatewayUrl}/orders/${orderId}`, { headers: await asOwnerOf(orderId) });
      if (!response.ok) return undefined;
      const order = (await response.json()) as { status: string };
      return accept(order.status) ? order : undefined;
    },
    timeoutMs,
    200,
  );
}

/** GETs a JSON document from a running service; throws on a non-2xx answer. */
export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}
