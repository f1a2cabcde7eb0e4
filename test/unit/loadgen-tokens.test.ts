/**
 * The load generator's tokens (loadgen/gateway-client.ts): by default each order is placed, read and
 * cancelled with its own customer's token; with a fixed token (--api-key) the body names no customer,
 * since the gateway takes it from the token.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { GatewayClient } from '../../loadgen/gateway-client.js';
import { validOrder } from '../support/fixtures.js';

const trace = { traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331', sampled: true };

async function recordingGateway(): Promise<{
  url: string;
  seen: { path: string; authorization?: string; body: string }[];
  close: () => void;
}> {
  const seen: { path: string; authorization?: string; body: string }[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      seen.push({ path: request.url ?? '', authorization: request.headers.authorization, body });
      response.writeHead(request.method === 'POST' && request.url === '/orders' ? 202 : 200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(request.url === '/orders' ? { orderId: 'o-1', status: 'PENDING' } : { status: 'PENDING', history: [], items: [] }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => server.close() };
}

test("each order's requests carry its customer's token", async (t) => {
  const gateway = await recordingGateway();
  try {
    const client = new GatewayClient({
      baseUrl: gateway.url,
      requestTimeoutMs: 2000,
      tokens: async (customerId) => `token-of-${customerId}`,
    });
    const order = validOrder({ customerId: 'cust-kim' });
    await client.submitOrder(order, trace, 'key-1');
    await client.readOrder('o-1', trace);
    await client.cancelOrder('o-1', trace, 'test');
    await client.inventory();
    await client.health();
    t.deepEqual(
      gateway.seen.map((request) => request.authorization),
      ['Bearer token-of-cust-kim', 'Bearer token-of-cust-kim', 'Bearer token-of-cust-kim', 'Bearer token-of-loadgen', undefined],
    );
    t.is((JSON.parse(gateway.seen[0]!.body) as { customerId: unknown }).customerId, 'cust-kim');
  } finally {
    gateway.close();
  }
});

test('with a fixed token every request carries it and orders name no customer', async (t) => {
  const gateway = await recordingGateway();
  try {
    const client = new GatewayClient({ baseUrl: gateway.url, requestTimeoutMs: 2000, apiKey: 'fixed' });
    await client.submitOrder(validOrder({ customerId: 'cust-kim' }), trace, 'key-1');
    await client.readOrder('o-1', trace);
    t.deepEqual(
      gateway.seen.map((request) => request.authorization),
      ['Bearer fixed', 'Bearer fixed'],
    );
    t.false('customerId' in JSON.parse(gateway.seen[0]!.body));
  } finally {
    gateway.close();
  }
});
