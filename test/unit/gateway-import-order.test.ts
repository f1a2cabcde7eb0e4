/**
 * The gateway starts whatever its process imported first. The contract's zod schemas can be built
 * before @hono/zod-openapi extends zod (platform/http.ts pulls them in through the event envelope);
 * the gateway's routes must not depend on that order. This broke the gateway's start once (a chaos
 * run found it crash-looping after a kill).
 */
import test from 'ava';

test('the gateway app builds when the order contract was loaded before @hono/zod-openapi', async (t) => {
  // The order the real entry point has: the contract (through platform/http.ts) before the routes.
  const contract = await import('../../platform/contracts/order.js');
  t.is(
    typeof (contract.cancelRequestSchema as unknown as { openapi?: unknown }).openapi,
    'undefined',
    'the contract schema was built before zod was extended',
  );
  const { createGatewayApp } = await import('../../gateway/app.js');
  t.is(typeof createGatewayApp, 'function');
  const routes = await import('../../gateway/routes.js');
  t.truthy(routes.gatewayOrderRequestSchema);
});
