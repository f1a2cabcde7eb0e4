/**
 * The saga benchmarks' orders and how one is followed, shared by bench/saga-throughput.ts (the climb)
 * and bench/cost-per-order.ts (one fixed rate, for before/after comparisons of a change): the load
 * generator's happy orders for dedicated `BENCH-*` products kept stocked through the inventory admin
 * API, submitted through the gateway and followed to the end by the Temporal client's long poll.
 */
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { catalogue, scarceProduct } from '../platform/contracts/demo-triggers.js';
import { customerPool } from '../loadgen/customers.js';
import { GatewayClient, gatewayCredentials } from '../loadgen/gateway-client.js';
import { errorKind } from '../loadgen/order-journey.js';
import { seededRandom } from '../loadgen/random.js';
import { createOrderFactory, type LoadOrder } from '../loadgen/scenarios.js';
import { orderTraceContext } from '../loadgen/traceparent.js';
import { config } from '../platform/config.js';
import { workflowIdFor } from '../platform/contracts/workflow.js';
import type { OrderWorkflowV5 } from '../workflows/order.js';
import type { Journey } from './saga-steps.js';

export const gatewayUrl = process.env.GATEWAY_URL ?? 'http://localhost:8080';
export const inventoryUrl = config().INVENTORY_URL;
/** Each dedicated product starts every run with at least this much available. */
export const BENCH_STOCK = 200_000;

const benchSku = (sku: string) => `BENCH-${sku}`;

/** Tops every dedicated product up to BENCH_STOCK through the inventory admin API. */
export async function stockBenchProducts(): Promise<number> {
  const products = catalogue.filter((product) => product.sku !== scarceProduct.sku);
  const skus = products.map((product) => benchSku(product.sku));
  const answer = await fetch(`${inventoryUrl}/products?sku=${skus.join(',')}`);
  if (!answer.ok) throw new Error(`GET ${inventoryUrl}/products answered ${answer.status}; is the inventory service up?`);
  const { products: existing } = (await answer.json()) as { products: { sku: string; available: number }[] };
  const available = new Map(existing.map((product) => [product.sku, product.available]));
  for (const product of products) {
    const sku = benchSku(product.sku);
    const topUp = BENCH_STOCK - (available.get(sku) ?? 0);
    if (topUp <= 0) continue;
    const put = await fetch(`${inventoryUrl}/admin/products/${sku}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `${product.name} [saga benchmark]`, unitPriceMinor: product.unitPriceMinor, quantity: topUp }),
    });
    if (!put.ok) throw new Error(`PUT ${inventoryUrl}/admin/products/${sku} answered ${put.status}: ${await put.text()}`);
  }
  return products.length;
}

/** The load generator's happy orders, paid over HTTP, for the dedicated products. */
export function happyOrders(): () => LoadOrder {
  const random = seededRandom(Date.now() >>> 0);
  const next = createOrderFactory({ customers: customerPool(50, random), tcpShare: 0, random });
  return () => {
    const load = next('happy');
    return { ...load, order: { ...load.order, items: load.order.items.map((line) => ({ ...line, sku: benchSku(line.sku) })) } };
  };
}

export function failureOf(error: unknown, abandon: AbortSignal): string {
  if (abandon.aborted) return 'benchmark:abandoned';
  if (error instanceof WorkflowFailedError) return `workflow:${error.cause?.message ?? 'failed'}`;
  return `result:${(error as Error).name ?? 'error'}`;
}

/** One saga: POST /orders through the gateway, then the workflow's result by long poll. */
export function sagaJourney(temporal: Client, nextOrder: () => LoadOrder): Journey {
  return async (abandon) => {
    const load = nextOrder();
    const gateway = new GatewayClient({ baseUrl: gatewayUrl, requestTimeoutMs: 10_000, signal: abandon, ...gatewayCredentials(undefined) });
    const submittedAt = performance.now();
    const submitted = await gateway.submitOrder(load.order, orderTraceContext(), load.idempotencyKey);
    if (submitted.kind !== 'answer' || submitted.status !== 202 || !submitted.body) {
      return {
        outcome:
          submitted.kind === 'answer' && submitted.status < 300 ? `submit:status-${submitted.status}` : errorKind('submit', submitted),
      };
    }
    const acceptMs = performance.now() - submittedAt;
    const handle = temporal.workflow.getHandle<typeof OrderWorkflowV5>(workflowIdFor(submitted.body.orderId));
    try {
      const state = await temporal.connection.withAbortSignal(abandon, () => handle.result());
      return { outcome: state.status, acceptMs, completeMs: performance.now() - submittedAt };
    } catch (error) {
      return { outcome: failureOf(error, abandon), acceptMs };
    }
  };
}
