/**
 * `make token` (infra/programs/setup/token.ts) and the shared minting (platform/identity.ts): the options it
 * takes, and that what it mints is what the gateway accepts (gateway/identity.ts), role and all.
 */
import test from 'ava';
import { createTokenVerifier } from '../../gateway/identity.js';
import { parseTokenOptions } from '../../infra/programs/setup/token.js';
import { mintToken } from '../../platform/identity.js';
import { TEST_SECRET } from '../support/stand-in-services.js';

test('options: a customer is required; role and ttl have defaults; make passes empty ones', (t) => {
  t.deepEqual(parseTokenOptions(['--customer', 'cust-kim']), { customer: 'cust-kim', role: 'customer', ttl: 3600 });
  t.deepEqual(parseTokenOptions(['--customer', 'ops', '--role', 'admin', '--ttl', '15m']), { customer: 'ops', role: 'admin', ttl: 900 });
  t.deepEqual(parseTokenOptions(['--customer', 'cust-kim', '--role', '', '--ttl', '']), {
    customer: 'cust-kim',
    role: 'customer',
    ttl: 3600,
  });
  t.throws(() => parseTokenOptions([]), { message: /--customer: required/ });
  t.throws(() => parseTokenOptions(['--customer', '']), { message: /--customer: required/ });
  t.throws(() => parseTokenOptions(['--customer', 'x', '--role', 'root']), { message: /--role/ });
  t.throws(() => parseTokenOptions(['--customer', 'x', '--ttl', '31d']), { message: /at most 30d/ });
  t.throws(() => parseTokenOptions(['--customer', 'x', '--ttl', 'forever']), { message: /--ttl/ });
  t.throws(() => parseTokenOptions(['--customer', 'x'.repeat(65)]), { message: /--customer/ });
  t.throws(() => parseTokenOptions(['--customer', 'x', '--admin']));
});

test('a minted token is what the gateway accepts, with its customer and role', async (t) => {
  const verify = createTokenVerifier({
    GATEWAY_JWT_SECRET: TEST_SECRET,
    GATEWAY_JWKS_URL: '',
    GATEWAY_JWT_ISSUER: 'ordersaga-local',
    GATEWAY_JWT_AUDIENCE: 'ordersaga-gateway',
  });
  t.deepEqual(await verify(await mintToken({ secret: TEST_SECRET, customerId: 'cust-kim' })), {
    ok: true,
    caller: { customerId: 'cust-kim', role: 'customer' },
  });
  t.deepEqual(await verify(await mintToken({ secret: TEST_SECRET, customerId: 'ops', role: 'admin', ttlSeconds: 60 })), {
    ok: true,
    caller: { customerId: 'ops', role: 'admin' },
  });
  t.like(await verify(await mintToken({ secret: TEST_SECRET, customerId: 'cust-kim', issuer: 'elsewhere' })), { ok: false });
});
