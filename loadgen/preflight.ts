/**
 * Before the first order: is the gateway there, and which products can an ordinary basket hold
 * without running into an empty shelf (the catalogue is not restocked between runs).
 */
import { catalogue, scarceProduct } from '../platform/contracts/demo-triggers.js';
import type { GatewayClient } from './gateway-client.js';

/** Below this many units a product is left out of ordinary baskets, so `happy` stays happy. */
export const LOW_STOCK_UNITS = 20;

export class PreflightError extends Error {
  override name = 'PreflightError';
}

export async function checkGateway(client: GatewayClient, baseUrl: string): Promise<void> {
  const answer = await client.health();
  if (answer.kind === 'answer' && answer.status === 200) return;
  const what = answer.kind === 'answer' ? `HTTP ${answer.status}` : answer.kind === 'network' ? answer.code : 'a timeout';
  throw new PreflightError(`the gateway at ${baseUrl} answered GET /health with ${what}; is the estate running? (make up)`);
}

/**
 * The SKUs with at least LOW_STOCK_UNITS available, and the ones left out. When stock cannot be read
 * (an older gateway, a 503), every catalogue product is allowed and the run just goes ahead.
 */
export async function basketSkus(client: GatewayClient): Promise<{ skus: string[] | undefined; low: string[] }> {
  const answer = await client.inventory();
  if (answer.kind !== 'answer' || answer.status !== 200 || !answer.body) return { skus: undefined, low: [] };
  const available = new Map(answer.body.items.map((item) => [item.sku, item.available]));
  const ordinary = catalogue.filter((product) => product.sku !== scarceProduct.sku);
  return {
    skus: ordinary.filter((product) => (available.get(product.sku) ?? 0) >= LOW_STOCK_UNITS).map((product) => product.sku),
    low: ordinary.filter((product) => (available.get(product.sku) ?? 0) < LOW_STOCK_UNITS).map((product) => product.sku),
  };
}
