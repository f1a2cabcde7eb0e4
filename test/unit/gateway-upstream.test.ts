/**
 * The gateway and an order service that comes and goes or changes under it (chaos run 1,
 * docs/benchmarks.md "Chaos runs"): the gateway app in process, relaying over real sockets to a
 * stand-in order service in a child process on a random port.
 *
 * - Killed with SIGKILL mid-traffic and started again on the same port, the order service is
 *   reached again within seconds of answering: no pooled keep-alive socket to the dead process, no
 *   cached lookup and no limiter keeps the gateway away from it.
 * - An order service that refuses as invalid an order the gateway has validated (it runs another
 *   version of the order contract, as the order service restarted on newer code did in run 1) is the
 *   service failing, not the client: a logged 502, where it used to be relayed as the client's 400,
 *   silently.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import test from 'ava';
import { createGatewayApp } from '../../gateway/app.js';
import { mintToken } from '../../platform/identity.js';
import { eventually } from '../support/estate.js';
import { validOrderBody } from '../support/fixtures.js';
import { gatewayOptions, startStandIns, type StandIns, TEST_SECRET } from '../support/stand-in-services.js';

/**
 * A stand-in order service in its own process: POST /orders answers 202 (or, with `refuse`, the
 * order service's 400 invalid-request problem), every other route 200. Listens as the real one does
 * (0.0.0.0), with Node's keep-alive, and says `listening` on stdout once it is.
 */
const STAND_IN = `
const http = require('node:http');
const [port, refuse] = [Number(process.argv[1]), process.argv[2] === 'refuse'];
http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    if (request.method === 'POST' && request.url === '/orders' && refuse) {
      response.writeHead(400, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ type: 'https://ordersaga.dev/problems/invalid-request', title: 'Invalid request', status: 400,
        detail: '/payment/cardToken: Invalid input; /payment: Unrecognized key: "cardNumber"' }));
      return;
    }
    response.writeHead(request.method === 'POST' ? 202 : 200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ orderId: '00000000-0000-4000-8000-000000000001', status: 'PENDING' }));
  });
}).listen(port, '0.0.0.0', () => console.log('listening'));
`;

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function startOrderService(port: number, mode: 'accept' | 'refuse' = 'accept'): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', STAND_IN, String(port), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit').then(() => [Buffer.from('exited')])])) as [Buffer];
  if (!chunk.toString().includes('listening')) throw new Error(`stand-in order service did not start: ${chunk.toString()}`);
  return child;
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

let standIns: StandIns;
const children: ChildProcess[] = [];
test.before(async () => {
  standIns = await startStandIns();
});
test.after.always(async () => {
  await Promise.all(children.map(killHard));
  await standIns.close();
});

async function gatewayTo(port: number) {
  // localhost, as ORDER_URL is in the estate: its lookup is part of what is under test.
  const gateway = createGatewayApp(gatewayOptions(standIns, { ORDER_URL: `http://localhost:${port}` }));
  const authorization = `Bearer ${await mintToken({ secret: TEST_SECRET, customerId: 'cust-restart' })}`;
  return (idempotencyKey?: string) =>
    gateway.request('http://gateway.test/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      body: JSON.stringify(validOrderBody({ customerId: 'cust-restart' })),
    });
}

test.serial('an order service killed with SIGKILL and started again on its port is reached again within seconds', async (t) => {
  const port = await freePort();
  let order = await startOrderService(port);
  children.push(order);
  const submit = await gatewayTo(port);

  // Traffic in parallel, so the gateway's connection pool holds several keep-alive sockets to the
  // process that is about to die (the estate's gateway had relayed for minutes before the kill).
  const warm = await Promise.all(Array.from({ length: 8 }, async () => submit()));
  t.deepEqual(
    warm.map((answer) => answer.status),
    Array(8).fill(202),
  );

  await killHard(order);
  await eventually('the gateway to notice the kill', async () => ((await submit()).status === 503 ? true : undefined), 10_000);
  // A few more failures while it is down, as the load generator's submissions would be.
  for (let index = 0; index < 5; index += 1) t.is((await submit()).status, 503);

  order = await startOrderService(port);
  children.push(order);
  const restartedAt = performance.now();
  await eventually('a relay to the restarted order service', async () => ((await submit()).status === 202 ? true : undefined), 5_000, 50);
  t.log(`relays succeed ${Math.round(performance.now() - restartedAt)} ms after the order service listens again`);
  const after = await Promise.all(Array.from({ length: 8 }, async () => submit()));
  t.deepEqual(
    after.map((answer) => answer.status),
    Array(8).fill(202),
    'and keep succeeding',
  );
});

test.serial(
  "an order the gateway validated but the order service refuses as invalid is a 502 naming the service, not the client's 400",
  async (t) => {
    const port = await freePort();
    children.push(await startOrderService(port, 'refuse'));
    const submit = await gatewayTo(port);
    const answer = await submit('skew-1');
    t.is(answer.status, 502, 'the client sent a valid order: the refusal is not theirs to fix');
    const body = (await answer.json()) as { title: string; detail: string; service: string };
    t.like(body, { title: 'Bad Gateway', service: 'order' });
    t.regex(body.detail, /order service refused a request the gateway had validated/);
    t.notRegex(body.detail, /localhost|127\.0\.0\.1|cardNumber/, "neither the address nor the other side's field errors reach the client");
  },
);
