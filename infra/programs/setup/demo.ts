/**
 * `make demo` (run by `make up`): submits a small batch of orders through the gateway, covering the
 * happy path on both payment channels and each failure path, waits (with a deadline) until every
 * order is terminal, and prints what happened.
 */
import { config } from '../../../platform/config.js';
import type { OrderRequest } from '../../../platform/contracts/order.js';
import { isTerminal, type OrderStatus } from '../../../platform/contracts/order.js';
import { localAuthorization } from '../../../platform/identity.js';
import { demoCards, scarceProduct, undeliverablePostalCode } from '../../../platform/contracts/demo-triggers.js';

export interface DemoOrder {
  label: string;
  order: OrderRequest;
}

const seoul = { name: '김민준', line1: '세종대로 110', city: '서울', postalCode: '04524', country: 'KR' };
const london = { name: 'Alex Smith', line1: '10 Downing Street', city: 'London', postalCode: 'SW1A 2AA', country: 'GB' };

export function demoBatch(): DemoOrder[] {
  const card = (cardNumber: string, channel: 'http' | 'tcp' = 'http') => ({ channel, cardNumber });
  return [
    {
      label: 'happy path, HTTP',
      order: {
        customerId: 'cust-kim',
        items: [
          { sku: 'KB-001', quantity: 1 },
          { sku: 'MS-002', quantity: 2 },
        ],
        payment: card(demoCards.approved),
        shippingAddress: seoul,
      },
    },
    {
      label: 'happy path, HTTP, abroad',
      order: {
        customerId: 'cust-smith',
        items: [{ sku: 'TE-012', quantity: 3 }],
        payment: card(demoCards.approved),
        shippingAddress: london,
      },
    },
    {
      label: 'happy path, TCP',
      order: {
        customerId: 'cust-lee',
        items: [{ sku: 'BK-015', quantity: 1 }],
        payment: card(demoCards.approved, 'tcp'),
        shippingAddress: seoul,
      },
    },
    {
      label: 'card declined',
      order: {
        customerId: 'cust-park',
        items: [{ sku: 'SP-022', quantity: 1 }],
        payment: card(demoCards.declined),
        shippingAddress: seoul,
      },
    },
    {
      label: 'insufficient funds, TCP',
      order: {
        customerId: 'cust-garcia',
        items: [{ sku: 'HP-004', quantity: 1 }],
        payment: card(demoCards.insufficientFunds, 'tcp'),
        shippingAddress: london,
      },
    },
    {
      label: 'out of stock',
      order: {
        customerId: 'cust-kim',
        items: [{ sku: scarceProduct.sku, quantity: 50 }],
        payment: card(demoCards.approved),
        shippingAddress: seoul,
      },
    },
    {
      label: 'undeliverable address',
      order: {
        customerId: 'cust-lee',
        items: [{ sku: 'UM-018', quantity: 1 }],
        payment: card(demoCards.approved),
        shippingAddress: { ...seoul, postalCode: undeliverablePostalCode },
      },
    },
  ];
}

interface Submitted {
  label: string;
  orderId: string;
  customerId: string;
  status: OrderStatus;
}

export async function runDemo(gatewayUrl: string, batch = demoBatch(), deadlineMs = 60_000): Promise<Submitted[]> {
  const submitted: Submitted[] = [];
  for (const { label, order } of batch) {
    // Each order as its own customer: the gateway takes the customer from the token (docs/security.md).
    const response = await fetch(`${gatewayUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await localAuthorization(order.customerId)) },
      body: JSON.stringify(order),
    });
    const body = (await response.json()) as { orderId: string; status: OrderStatus };
    if (response.status !== 202) throw new Error(`demo order "${label}" was refused: ${response.status} ${JSON.stringify(body)}`);
    submitted.push({ label, orderId: body.orderId, customerId: order.customerId, status: body.status });
  }
  const deadline = Date.now() + deadlineMs;
  while (submitted.some((order) => !isTerminal(order.status))) {
    if (Date.now() > deadline) {
      const open = submitted.filter((order) => !isTerminal(order.status));
      throw new Error(
        `demo orders not finished after ${deadlineMs / 1000}s: ${open.map((order) => `${order.label} (${order.status})`).join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    for (const order of submitted.filter((candidate) => !isTerminal(candidate.status))) {
      const response = await fetch(`${gatewayUrl}/orders/${order.orderId}`, { headers: await localAuthorization(order.customerId) });
      if (response.ok) order.status = ((await response.json()) as { status: OrderStatus }).status;
    }
    const done = submitted.filter((order) => isTerminal(order.status)).length;
    process.stdout.write(`\r[demo] ${done}/${submitted.length} orders finished`);
  }
  process.stdout.write('\n');
  return submitted;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const gatewayUrl = process.env.GATEWAY_URL ?? `http://localhost:${config().GATEWAY_PORT}`;
  const results = await runDemo(gatewayUrl);
  const width = Math.max(...results.map((result) => result.label.length));
  for (const result of results)
    console.log(`[demo]   ${result.label.padEnd(width)}  → ${result.status.padEnd(16)} ${gatewayUrl}/orders/${result.orderId}`);
  const completed = results.filter((result) => result.status === 'COMPLETED').length;
  console.log(`[demo] ${completed} of ${results.length} orders completed; the rest ended where their scenario leads`);
}
