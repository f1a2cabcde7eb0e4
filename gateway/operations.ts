/**
 * The operator's controls behind the web console's Operations tab, for admins only
 * (`/operations/*`; docs/console.md): the payment simulator's scenarios, the workers' injected
 * faults, restocking, and the dead-letter queue with its replay. The services keep their own
 * `/admin/*` routes internal; the gateway relays to them here, after checking the caller is an
 * admin, so a browser never reaches a service directly. Dead letters are read and replayed with the
 * same code as `make dlq-replay` (consumers/dead-letters/replay.ts), so the two cannot differ.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Kafka } from 'kafkajs';
import type { BlankEnv } from 'hono/types';
import { readDeadLetterTopic, replayDeadLetters, type ReplaySelection } from '../consumers/dead-letters/replay.js';
import type { Environment } from '../platform/config.js';
import type { DeadLetter } from '../platform/dead-letters.js';
import { deadLetterTopic } from '../platform/events/catalog.js';
import { callService, problem, ServiceCallError } from '../platform/http.js';
import {
  clearFaultsRoute,
  deadLettersRoute,
  readFaultsRoute,
  readScenariosRoute,
  replayDeadLettersRoute,
  resetScenariosRoute,
  restockRoute,
  setFaultsRoute,
  setScenarioRoute,
} from './routes.js';

/** How long a replay may read the dead-letter topic before it answers 503. */
const DEAD_LETTER_READ_TIMEOUT_MS = 15_000;
/** As `make dlq-replay`'s default: a record replayed this often keeps failing and is left alone. */
const MAX_REPLAYS = 3;

/** A dead letter as the console lists it: where it sits, why, and which order's event it holds. */
export interface DeadLetterView {
  position: string;
  reason: string;
  errorClass: string;
  detail: string;
  consumerGroup: string;
  sourceTopic: string;
  attempts: number;
  time: string;
  replayCount: number;
  eventType: string | null;
  orderId: string | null;
}

export interface ReplayAnswer {
  dryRun: boolean;
  read: number;
  replayed: DeadLetterView[];
  skipped: { position: string; why: string }[];
}

/** The dead-letter queue as the gateway reaches it: Kafka in the estate, a stand-in in tests. */
export interface DeadLetterDesk {
  list(): Promise<{ deadLetters: DeadLetterView[]; unreadable: string[] }>;
  replay(selection: Omit<ReplaySelection, 'maxReplays'> & { dryRun: boolean }): Promise<ReplayAnswer>;
}

export function viewOf(deadLetter: DeadLetter): DeadLetterView {
  let event: { type?: unknown; subject?: unknown } = {};
  try {
    event = JSON.parse(deadLetter.message.value?.toString('utf8') ?? '{}') as typeof event;
  } catch {
    // not JSON: often the very reason it is here
  }
  return {
    position: deadLetter.position,
    reason: deadLetter.reason,
    errorClass: deadLetter.errorClass,
    detail: deadLetter.detail,
    consumerGroup: deadLetter.consumerGroup,
    sourceTopic: deadLetter.sourceTopic,
    attempts: deadLetter.attempts,
    time: deadLetter.time.toISOString(),
    replayCount: deadLetter.replayCount,
    eventType: typeof event.type === 'string' ? event.type : null,
    orderId: typeof event.subject === 'string' ? event.subject : null,
  };
}

/** The estate's dead-letter topic, through replay.ts. */
export function kafkaDeadLetterDesk(kafka: Kafka): DeadLetterDesk {
  return {
    async list() {
      const { deadLetters, unreadable } = await readDeadLetterTopic(kafka, deadLetterTopic, DEAD_LETTER_READ_TIMEOUT_MS);
      return { deadLetters: deadLetters.map(viewOf).reverse(), unreadable };
    },
    async replay(selection) {
      const report = await replayDeadLetters({
        kafka,
        deadLetterTopic,
        maxReplays: MAX_REPLAYS,
        readTimeoutMs: DEAD_LETTER_READ_TIMEOUT_MS,
        ...selection,
      });
      return {
        dryRun: report.dryRun,
        read: report.read,
        replayed: report.replayed.map(viewOf),
        skipped: report.skipped.map(({ deadLetter, why }) => ({ position: deadLetter.position, why })),
      };
    },
  };
}

export interface OperationsDeps {
  options: Pick<Environment, 'PAYMENT_HTTP_URL' | 'INVENTORY_URL' | 'FULFILLMENT_URL'>;
  deadLetters: DeadLetterDesk | undefined;
  /** The gateway's relay (gateway/app.ts): the service's answer as it is, a 503 when it is away. */
  relay: (c: Context, service: string, url: string, init?: RequestInit) => Promise<Response>;
  serviceUnreachable: (c: Context, service: string, error: ServiceCallError) => Response;
}

/** Mounts `/operations/*`; the caller has mounted requireAdmin() on the prefix. */
export function mountOperations(app: OpenAPIHono<BlankEnv>, deps: OperationsDeps): void {
  const { options, relay } = deps;
  const json = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const faultsUrl = (service: 'inventory' | 'fulfillment') =>
    `${service === 'inventory' ? options.INVENTORY_URL : options.FULFILLMENT_URL}/admin/faults`;

  // The handlers relay the services' answers; their shapes are documented in gateway/routes.ts.
  app.openapi(readScenariosRoute, (c) => relay(c, 'payment-sim', `${options.PAYMENT_HTTP_URL}/admin/scenario`) as never);
  app.openapi(
    setScenarioRoute,
    (c) =>
      relay(
        c,
        'payment-sim',
        `${options.PAYMENT_HTTP_URL}/admin/scenario/${c.req.valid('param').channel}`,
        json('PUT', c.req.valid('json')),
      ) as never,
  );
  app.openapi(
    resetScenariosRoute,
    (c) => relay(c, 'payment-sim', `${options.PAYMENT_HTTP_URL}/admin/scenario`, { method: 'DELETE' }) as never,
  );

  app.openapi(readFaultsRoute, (c) => {
    const { service } = c.req.valid('param');
    return relay(c, service, faultsUrl(service)) as never;
  });
  app.openapi(setFaultsRoute, (c) => {
    const { service } = c.req.valid('param');
    return relay(c, service, faultsUrl(service), json('PUT', c.req.valid('json'))) as never;
  });
  app.openapi(clearFaultsRoute, (c) => {
    const { service } = c.req.valid('param');
    return relay(c, service, faultsUrl(service), { method: 'DELETE' }) as never;
  });

  // Restock adds to a product the catalogue has; the service's restock wants its name and price too.
  app.openapi(restockRoute, async (c) => {
    const { sku } = c.req.valid('param');
    try {
      const found = await callService('inventory', `${options.INVENTORY_URL}/products?sku=${encodeURIComponent(sku)}`);
      const product = (found.body as { products?: { sku: string; name: string; unitPriceMinor: number }[] } | undefined)?.products?.[0];
      if (found.status !== 200) return relay(c, 'inventory', `${options.INVENTORY_URL}/products?sku=${encodeURIComponent(sku)}`) as never;
      if (!product) return problem(c, { status: 404, title: 'Not Found', detail: `no product ${sku} in the catalogue` }) as never;
      const { quantity } = c.req.valid('json');
      return relay(
        c,
        'inventory',
        `${options.INVENTORY_URL}/admin/products/${encodeURIComponent(sku)}`,
        json('PUT', { name: product.name, unitPriceMinor: product.unitPriceMinor, quantity }),
      ) as never;
    } catch (error) {
      if (!(error instanceof ServiceCallError)) throw error;
      return deps.serviceUnreachable(c, 'inventory', error) as never;
    }
  });

  const noDesk = (c: Context) =>
    problem(c, { status: 503, title: 'Service Unavailable', detail: 'this gateway has no Kafka connection for the dead-letter queue' });
  const kafkaFailed = (c: Context, error: unknown) =>
    problem(c, {
      status: 503,
      title: 'Service Unavailable',
      detail: `the dead-letter topic could not be read: ${(error as Error).message}; request id ${c.get('requestId')}`,
    });
  app.openapi(deadLettersRoute, async (c) => {
    if (!deps.deadLetters) return noDesk(c) as never;
    try {
      return c.json(await deps.deadLetters.list(), 200);
    } catch (error) {
      return kafkaFailed(c, error) as never;
    }
  });
  app.openapi(replayDeadLettersRoute, async (c) => {
    if (!deps.deadLetters) return noDesk(c) as never;
    const selection = c.req.valid('json') ?? { dryRun: false };
    try {
      return c.json(await deps.deadLetters.replay(selection), 200);
    } catch (error) {
      return kafkaFailed(c, error) as never;
    }
  });
}
