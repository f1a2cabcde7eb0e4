/**
 * The load generator's only way out: the gateway's order API at the base URL it was given. Every
 * request has a timeout, never follows a redirect (so it cannot be led to another host), and comes
 * back as a value rather than an exception: an HTTP answer, a network failure, or a timeout.
 *
 * Every request carries a bearer token (docs/security.md): by default one per customer, minted from
 * the local secret (platform/identity.ts), so each order is placed, read and cancelled by its own
 * customer as in life; or one fixed token (`--api-key`, e.g. from an identity provider), whose
 * customer then places every order (the gateway takes the customer from the token).
 */
import { z } from 'zod';
import type { OrderRequest } from '../platform/contracts/order.js';
import { localSigningSecret, localToken } from '../platform/identity.js';
import { formatTraceparent, type TraceContext } from './traceparent.js';

/** A cancel is a Temporal update behind the gateway, which gives it 20 s; wait a little longer than that. */
const CANCEL_TIMEOUT_MS = 25_000;

export type Exchange<T> =
  { kind: 'answer'; status: number; body: T | undefined; problem?: string } | { kind: 'network'; code: string } | { kind: 'timeout' };

const acceptedSchema = z.object({ orderId: z.string().min(1), status: z.string() });
export type AcceptedOrder = z.infer<typeof acceptedSchema>;

/** The part of the gateway's order view the load generator reads. */
const orderViewSchema = z.object({
  status: z.string(),
  history: z.array(z.object({ status: z.string(), at: z.string() })).default([]),
});
export type OrderView = z.infer<typeof orderViewSchema>;

export interface GatewayClientOptions {
  baseUrl: string;
  requestTimeoutMs: number;
  /** A fixed bearer token for every request; its customer places every order. */
  apiKey?: string | undefined;
  /** Mints a token per customer (used when no apiKey is given), e.g. platform/identity.ts localToken. */
  tokens?: ((customerId: string) => Promise<string>) | undefined;
  /** Aborts every request in flight (the run is being abandoned). */
  signal?: AbortSignal;
}

/**
 * How the tools (load generator, chaos run, benchmarks) authenticate: the fixed token when one is
 * given, else a token per customer from the local secret. Throws at once, saying how to get a
 * secret or a token, when there is neither, rather than failing every request later.
 */
export function gatewayCredentials(apiKey: string | undefined): Pick<GatewayClientOptions, 'apiKey' | 'tokens'> {
  if (apiKey) return { apiKey };
  localSigningSecret();
  return { tokens: localToken };
}

/** Customers whose orders' ids are remembered for reads and cancels; older ones are forgotten first. */
const REMEMBERED_ORDERS = 100_000;
/** Who asks when no customer is involved (the catalogue, the check before a run). */
const TOOL_CUSTOMER = 'loadgen';

export class GatewayClient {
  private readonly base: string;
  /** orderId → customerId of the orders this client placed, so their reads and cancels carry that customer's token. */
  private readonly customerOfOrder = new Map<string, string>();

  constructor(private readonly options: GatewayClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  async submitOrder(order: OrderRequest, trace: TraceContext, idempotencyKey: string): Promise<Exchange<AcceptedOrder>> {
    // With a fixed token the order is its customer's: the body names none.
    const { customerId, ...withoutCustomer } = order;
    const answer = await this.exchange('POST', '/orders', acceptedSchema, trace, {
      body: JSON.stringify(this.options.apiKey ? withoutCustomer : order),
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      customerId,
    });
    if (answer.kind === 'answer' && answer.body) this.remember(answer.body.orderId, customerId);
    return answer;
  }

  readOrder(orderId: string, trace: TraceContext): Promise<Exchange<OrderView>> {
    return this.exchange('GET', `/orders/${encodeURIComponent(orderId)}`, orderViewSchema, trace, {
      customerId: this.customerOfOrder.get(orderId),
    });
  }

  /**
   * Asks for a cancel with a reason; only the status matters (202 taken, 409 too late). The answer
   * comes once the saga has taken the request, which can take a while when the estate is busy.
   */
  cancelOrder(orderId: string, trace: TraceContext, reason: string): Promise<Exchange<unknown>> {
    return this.exchange('POST', `/orders/${encodeURIComponent(orderId)}/cancel`, z.unknown(), trace, {
      body: JSON.stringify({ reason }),
      headers: { 'content-type': 'application/json' },
      timeoutMs: Math.max(this.options.requestTimeoutMs, CANCEL_TIMEOUT_MS),
      customerId: this.customerOfOrder.get(orderId),
    });
  }

  /** GET /health, for the check before the run. */
  health(): Promise<Exchange<unknown>> {
    return this.exchange('GET', '/health', z.unknown(), undefined);
  }

  /** GET /inventory: what is in stock, so ordinary baskets avoid products that have run out. */
  inventory(): Promise<Exchange<{ items: { sku: string; available: number }[] }>> {
    return this.exchange(
      'GET',
      '/inventory',
      z.object({ items: z.array(z.object({ sku: z.string(), available: z.number() })) }),
      undefined,
    );
  }

  private async exchange<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: z.ZodType<T>,
    trace: TraceContext | undefined,
    init: { body?: string; headers?: Record<string, string>; timeoutMs?: number; customerId?: string | undefined } = {},
  ): Promise<Exchange<T>> {
    const authorization = await this.authorization(init.customerId, path);
    // One controller per request, aborted by its timeout or by the run giving up; both are removed
    // afterwards, so thousands of requests leave no listeners behind on the run's signal.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, init.timeoutMs ?? this.options.requestTimeoutMs);
    const giveUp = () => controller.abort();
    this.options.signal?.addEventListener('abort', giveUp, { once: true });
    if (this.options.signal?.aborted) controller.abort();

    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (trace) headers.traceparent = formatTraceparent(trace);
    if (authorization) headers.authorization = authorization;
    try {
      const response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: init.body,
        signal: controller.signal,
        redirect: 'manual',
      });
      const text = await response.text();
      const json = parseJson(text);
      if (!response.ok) return { kind: 'answer', status: response.status, body: undefined, problem: problemDetail(json) };
      const parsed = schema.safeParse(json);
      return parsed.success
        ? { kind: 'answer', status: response.status, body: parsed.data }
        : { kind: 'answer', status: response.status, body: undefined, problem: `unexpected body: ${text.slice(0, 200)}` };
    } catch (error) {
      if (timedOut) return { kind: 'timeout' };
      if (this.options.signal?.aborted) return { kind: 'network', code: 'ABORTED' };
      return { kind: 'network', code: networkCode(error) };
    } finally {
      clearTimeout(timer);
      this.options.signal?.removeEventListener('abort', giveUp);
    }
  }

  private async authorization(customerId: string | undefined, path: string): Promise<string | undefined> {
    if (this.options.apiKey) return `Bearer ${this.options.apiKey}`;
    if (!this.options.tokens || path === '/health') return undefined;
    return `Bearer ${await this.options.tokens(customerId ?? TOOL_CUSTOMER)}`;
  }

  private remember(orderId: string, customerId: string): void {
    this.customerOfOrder.set(orderId, customerId);
    if (this.customerOfOrder.size > REMEMBERED_ORDERS) this.customerOfOrder.delete(this.customerOfOrder.keys().next().value as string);
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function problemDetail(json: unknown): string | undefined {
  if (json && typeof json === 'object' && 'detail' in json && typeof json.detail === 'string') return json.detail;
  return undefined;
}

/** The most specific code a fetch failure carries: ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, … */
function networkCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    if (typeof current === 'object' && 'code' in current && typeof current.code === 'string') return current.code;
    current = typeof current === 'object' && 'cause' in current ? current.cause : undefined;
  }
  return error instanceof Error ? error.name : 'UNKNOWN';
}
