/**
 * `make seed` (run by `make up`): stocks the catalogue through the inventory API and sets the demo
 * customers' notification preferences through the notification API. Products already present are
 * left as they are, so running it again does not add stock.
 */
import { config } from '../../../platform/config.js';
import { catalogue, demoCustomers } from '../../../platform/contracts/demo-triggers.js';

async function call(url: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json' } });
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

export async function seed(): Promise<{ stocked: number; present: number }> {
  const { INVENTORY_URL, NOTIFICATION_URL } = config();
  const { products } = (await call(`${INVENTORY_URL}/products`)) as { products: { sku: string }[] };
  const present = new Set(products.map((product) => product.sku));
  const missing = catalogue.filter((product) => !present.has(product.sku));
  for (const { sku, ...product } of missing) {
    await call(`${INVENTORY_URL}/admin/products/${sku}`, { method: 'PUT', body: JSON.stringify(product) });
  }
  for (const { customerId, ...preference } of demoCustomers) {
    await call(`${NOTIFICATION_URL}/preferences/${customerId}`, { method: 'PUT', body: JSON.stringify(preference) });
  }
  return { stocked: missing.length, present: present.size };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await seed();
  console.log(
    `[seed] catalogue: ${result.stocked} products stocked, ${result.present} already present; ${demoCustomers.length} customer preferences set`,
  );
}
