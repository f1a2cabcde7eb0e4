/**
 * The edge's rate limits (gateway/rate-limit.ts): the token bucket on a fake clock, and the gateway
 * answering 429 with Retry-After per client address and per token subject.
 */
import test from 'ava';
import { createGatewayApp } from '../../gateway/app.js';
import { RateLimiter } from '../../gateway/rate-limit.js';
import { mintToken } from '../../platform/identity.js';
import { gatewayOptions, startStandIns, type StandIns, TEST_SECRET } from '../support/stand-in-services.js';

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('a bucket lets a burst of twice the rate through, then one request per 1/rate seconds', (t) => {
  const time = clock();
  const limiter = new RateLimiter({ perSecond: 5, now: time.now });
  for (let index = 0; index < 10; index += 1) t.true(limiter.take('a').allowed, `request ${index}`);
  t.deepEqual(limiter.take('a'), { allowed: false, retryAfterSeconds: 1 });
  t.true(limiter.take('b').allowed, 'keys are independent');
  time.advance(200);
  t.true(limiter.take('a').allowed, 'one token back after 1/5 s');
  t.false(limiter.take('a').allowed);
  time.advance(10_000);
  for (let index = 0; index < 10; index += 1) t.true(limiter.take('a').allowed, 'refilled to the burst, not beyond');
  t.false(limiter.take('a').allowed);
});

test('Retry-After is the whole seconds until a token is back, at least 1', (t) => {
  const time = clock();
  const slow = new RateLimiter({ perSecond: 0.1, burst: 1, now: time.now });
  t.true(slow.take('a').allowed);
  t.deepEqual(slow.take('a'), { allowed: false, retryAfterSeconds: 10 });
  time.advance(4_000);
  t.deepEqual(slow.take('a'), { allowed: false, retryAfterSeconds: 6 });
});

test('0 per second is no limit, and the number of keys held is bounded', (t) => {
  const unlimited = new RateLimiter({ perSecond: 0 });
  for (let index = 0; index < 1000; index += 1) t.true(unlimited.take('a').allowed);
  const bounded = new RateLimiter({ perSecond: 1, maxKeys: 100 });
  for (let index = 0; index < 10_000; index += 1) bounded.take(`address-${index}`);
  t.is(bounded.size, 100);
});

let standIns: StandIns;
test.before(async () => {
  standIns = await startStandIns();
});
test.after.always(() => standIns.close());

/** node-server's socket, as getConnInfo reads it, so each request comes from `address`. */
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address, remotePort: 40000, remoteFamily: 'IPv4' } } });

test('per address: a flood from one address is a 429 with Retry-After, other addresses go on', async (t) => {
  const gateway = createGatewayApp(gatewayOptions(standIns, { GATEWAY_RATE_LIMIT_PER_ADDRESS: 2 }));
  const statuses: number[] = [];
  for (let index = 0; index < 6; index += 1)
    statuses.push((await gateway.request('http://gateway.test/health/live', {}, from('10.0.0.1'))).status);
  t.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
  const limited = await gateway.request('http://gateway.test/inventory', {}, from('10.0.0.1'));
  t.is(limited.status, 429, 'counted before the token is looked at');
  t.is(limited.headers.get('retry-after'), '1');
  t.like(await limited.json(), { status: 429, type: 'https://ordersaga.dev/problems/rate-limited' });
  t.is((await gateway.request('http://gateway.test/health/live', {}, from('10.0.0.2'))).status, 200);
});

test('per address behind our proxy: the last X-Forwarded-For entry, only when trusted', async (t) => {
  const trusting = createGatewayApp(gatewayOptions(standIns, { GATEWAY_RATE_LIMIT_PER_ADDRESS: 1, GATEWAY_TRUST_FORWARDED_FOR: true }));
  const via = (chain: string) =>
    trusting.request('http://gateway.test/health/live', { headers: { 'x-forwarded-for': chain } }, from('10.9.9.9'));
  t.deepEqual(
    [(await via('1.1.1.1, 203.0.113.5')).status, (await via('1.1.1.1, 203.0.113.5')).status, (await via('9.9.9.9, 203.0.113.5')).status],
    [200, 200, 429],
  );
  t.is((await via('203.0.113.6')).status, 200, 'another client');
});

test('per token: one customer flooding gets 429s; another customer does not', async (t) => {
  const gateway = createGatewayApp(gatewayOptions(standIns, { GATEWAY_RATE_LIMIT_PER_TOKEN: 1 }));
  const kim = { authorization: `Bearer ${await mintToken({ secret: TEST_SECRET, customerId: 'cust-kim' })}` };
  const lee = { authorization: `Bearer ${await mintToken({ secret: TEST_SECRET, customerId: 'cust-lee' })}` };
  const statuses: number[] = [];
  for (let index = 0; index < 4; index += 1)
    statuses.push((await gateway.request('http://gateway.test/inventory', { headers: kim })).status);
  t.deepEqual(statuses, [200, 200, 429, 429]);
  const again = await gateway.request('http://gateway.test/inventory', { headers: kim });
  t.truthy(again.headers.get('retry-after'));
  t.is((await gateway.request('http://gateway.test/inventory', { headers: lee })).status, 200);
});
