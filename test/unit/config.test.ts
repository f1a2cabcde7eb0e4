/**
 * Configuration: documented defaults, and a wrong value fails naming the variable.
 */
import test from 'ava';
import { ConfigurationError, parseEnvironment } from '../../platform/config.js';

test('an empty environment parses to the documented dev defaults', (t) => {
  const environment = parseEnvironment({});
  t.like(environment, {
    DEPLOYMENT_ENVIRONMENT: 'dev',
    LOG_LEVEL: 'info',
    TEMPORAL_ADDRESS: 'localhost:7233',
    TEMPORAL_NAMESPACE: 'default',
    KAFKA_BROKERS: ['localhost:9092'],
    ORDER_DATABASE_URL: 'postgres://order_service:order_service@localhost:5432/orders',
    INVENTORY_DATABASE_URL: 'postgres://inventory_service:inventory_service@localhost:5432/inventory',
    FULFILLMENT_DATABASE_URL: 'postgres://fulfillment_service:fulfillment_service@localhost:5432/fulfillment',
    ANALYTICS_DATABASE_URL: 'postgres://analytics_service:analytics_service@localhost:5432/analytics',
    NOTIFICATION_DATABASE_URL: 'postgres://notification_service:notification_service@localhost:5432/notifications',
    GATEWAY_PORT: 8080,
    ORDER_PORT: 8081,
    INVENTORY_PORT: 8082,
    FULFILLMENT_PORT: 8084,
    ANALYTICS_PORT: 8085,
    NOTIFICATION_PORT: 8086,
    PAYMENT_SIM_HTTP_PORT: 9090,
    PAYMENT_SIM_TCP_PORT: 9091,
    ORDER_URL: 'http://localhost:8081',
    INVENTORY_URL: 'http://localhost:8082',
    PAYMENT_TCP_ADDRESS: 'localhost:9091',
    GATEWAY_JWT_SECRET: '',
    GATEWAY_JWKS_URL: '',
    GATEWAY_JWT_ISSUER: 'ordersaga-local',
    GATEWAY_JWT_AUDIENCE: 'ordersaga-gateway',
    GATEWAY_CORS_ORIGINS: [],
    GATEWAY_RATE_LIMIT_PER_ADDRESS: 300,
    GATEWAY_RATE_LIMIT_PER_TOKEN: 30,
    GATEWAY_TRUST_FORWARDED_FOR: false,
    GATEWAY_BODY_LIMIT_BYTES: 65_536,
    HTTP_CLIENT_TIMEOUT_MS: 5000,
    DATABASE_POOL_SIZE: 10,
  });
});

test('the service URLs and ports agree with each other by default', (t) => {
  const environment = parseEnvironment({});
  for (const [url, port] of [
    [environment.ORDER_URL, environment.ORDER_PORT],
    [environment.INVENTORY_URL, environment.INVENTORY_PORT],
    [environment.FULFILLMENT_URL, environment.FULFILLMENT_PORT],
    [environment.ANALYTICS_URL, environment.ANALYTICS_PORT],
    [environment.NOTIFICATION_URL, environment.NOTIFICATION_PORT],
    [environment.PAYMENT_HTTP_URL, environment.PAYMENT_SIM_HTTP_PORT],
  ] as const) {
    t.is(Number(new URL(url).port), port, url);
  }
});

test('values given as strings are coerced and lists are split and trimmed', (t) => {
  const environment = parseEnvironment({
    GATEWAY_PORT: '18080',
    KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092 ,,',
    GATEWAY_CORS_ORIGINS: ' https://shop.example ,http://localhost:5173,',
    GATEWAY_BODY_LIMIT_BYTES: '2048',
    LOG_LEVEL: 'debug',
  });
  t.is(environment.GATEWAY_PORT, 18080);
  t.deepEqual(environment.KAFKA_BROKERS, ['kafka-1:9092', 'kafka-2:9092']);
  t.deepEqual(environment.GATEWAY_CORS_ORIGINS, ['https://shop.example', 'http://localhost:5173']);
  t.is(environment.GATEWAY_BODY_LIMIT_BYTES, 2048);
  t.is(environment.LOG_LEVEL, 'debug');
});

function configurationError(t: import('ava').ExecutionContext, environment: NodeJS.ProcessEnv): ConfigurationError | undefined {
  return t.throws(() => parseEnvironment(environment), { instanceOf: ConfigurationError });
}

const wrongValues: [variable: string, value: string][] = [
  ['GATEWAY_PORT', 'abc'],
  ['GATEWAY_PORT', '0'],
  ['ORDER_PORT', '70000'],
  ['INVENTORY_PORT', '80.5'],
  ['ORDER_DATABASE_URL', 'notaurl'],
  ['INVENTORY_URL', 'localhost'],
  ['LOG_LEVEL', 'verbose'],
  ['DATABASE_POOL_SIZE', '0'],
  ['GATEWAY_BODY_LIMIT_BYTES', '100'],
  ['HTTP_CLIENT_TIMEOUT_MS', 'soon'],
  ['KAFKA_BROKERS', ''],
  ['GATEWAY_JWKS_URL', 'not-a-url'],
  ['GATEWAY_CORS_ORIGINS', '*'],
  ['GATEWAY_RATE_LIMIT_PER_TOKEN', '-1'],
];

for (const [variable, value] of wrongValues) {
  test(`${variable}=${JSON.stringify(value)} is refused, naming the variable and the value`, (t) => {
    const error = configurationError(t, { [variable]: value });
    t.deepEqual(error?.variables, [variable]);
    t.true(error?.message.includes(`${variable}:`), error?.message);
    t.true(error?.message.includes(`(got ${JSON.stringify(value)})`), error?.message);
    t.is(error?.name, 'ConfigurationError');
  });
}

test('every wrong variable is named, not only the first', (t) => {
  const error = configurationError(t, { GATEWAY_PORT: 'abc', ORDER_DATABASE_URL: 'notaurl', ORDER_URL: 'http://localhost:8081' });
  t.deepEqual([...(error?.variables ?? [])].sort(), ['GATEWAY_PORT', 'ORDER_DATABASE_URL']);
  t.true(error?.message.includes('GATEWAY_PORT'));
  t.true(error?.message.includes('ORDER_DATABASE_URL'));
  t.false(error?.message.includes('ORDER_URL:'), 'a valid variable is not blamed');
});

test('a gateway secret that is too short is refused without its value in the message', (t) => {
  const error = configurationError(t, { GATEWAY_JWT_SECRET: 'hunter2-is-short' });
  t.deepEqual(error?.variables, ['GATEWAY_JWT_SECRET']);
  t.true(error?.message.includes('at least 32 characters'), error?.message);
  t.false(error?.message.includes('hunter2'), 'the secret is not in the message');
  t.true(error?.message.includes('16 characters, not shown'), error?.message);
});

test('variables the schema does not know are ignored', (t) => {
  t.notThrows(() => parseEnvironment({ PATH: '/usr/bin', SOMETHING_ELSE: '???' }));
});
