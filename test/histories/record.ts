/**
 * `make record-histories`: re-records the replay fixtures from a running estate (`make up`). One
 * order per saga path is driven through the gateway; each finished workflow's history is written to
 * test/histories/<path>.json, which `make test` replays against the current workflow code.
 *
 * Re-record only when a change is meant to be incompatible with every saga in flight; otherwise
 * keep the old files (they are what in-flight sagas look like) and guard the change with `patched`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { config } from '../../platform/config.js';
import { type OrderState, workflowIdFor } from '../../platform/contracts/workflow.js';
import { shipmentIdFor, shipmentWorkflowIdFor } from '../../platform/contracts/shipment.js';
import { demoBatch } from '../../infra/programs/setup/demo.js';
import { asOwnerOf, eventually, gatewayUrl, submitOrder, waitForStatus } from '../support/estate.js';
import { temporalCliPath } from '../support/temporal.js';

const base = demoBatch()[0]!.order;
const seoul = base.shippingAddress;
/**
 * A race to set up before the order and undo after it: a fault that holds one step open (the fault
 * APIs of inventory and fulfillment, payment-sim's scenarios), and the status after which the
 * cancel is sent, so it lands while that step runs.
 */
interface Race {
  hold: { url: string; body: unknown; clear: { url: string; method: 'DELETE' } };
  cancelAfter?: string;
}
const env = config();
const holdStep = (serviceUrl: string, activity: string, fault: Record<string, unknown>): Race['hold'] => ({
  url: `${serviceUrl}/admin/faults`,
  body: { [activity]: fault },
  clear: { url: `${serviceUrl}/admin/faults`, method: 'DELETE' },
});
const paths: { name: string; order: typeof base; cancel?: boolean; race?: Race }[] = [
  { name: 'completed-http', order: base },
  { name: 'completed-tcp', order: { ...base, payment: { channel: 'tcp', cardNumber: '4242424242424242' } } },
  { name: 'declined-http', order: { ...base, payment: { channel: 'http', cardNumber: '4000000000000002' } } },
  { name: 'insufficient-funds-tcp', order: { ...base, payment: { channel: 'tcp', cardNumber: '4000000000009995' } } },
  { name: 'out-of-stock', order: { ...base, items: [{ sku: 'LTD-024', quantity: 50 }] } },
  { name: 'undeliverable', order: { ...base, shippingAddress: { ...seoul, postalCode: '99999' } } },
  { name: 'gateway-errors-exhausted', order: { ...base, payment: { channel: 'http', cardNumber: '4000000000000119' } } },
  { name: 'cancelled', order: base, cancel: true },
  // v4 races: the cancel lands while the step is held open; the saga waits for it, then undoes.
  {
    name: 'cancelled-during-reserve',
    order: base,
    cancel: true,
    race: { hold: holdStep(env.INVENTORY_URL, 'reserveStock', { latencyMs: 3000 }) },
  },
  {
    name: 'cancelled-during-authorize',
    order: base,
    cancel: true,
    race: {
      hold: {
        url: `${env.PAYMENT_HTTP_URL}/admin/scenario/http`,
        body: { latencyMs: 3000 },
        clear: { url: `${env.PAYMENT_HTTP_URL}/admin/scenario`, method: 'DELETE' },
      },
      cancelAfter: 'STOCK_RESERVED',
    },
  },
  {
    name: 'cancelled-during-schedule',
    order: base,
    cancel: true,
    race: { hold: holdStep(env.FULFILLMENT_URL, 'scheduleShipment', { latencyMs: 3000 }), cancelAfter: 'PAYMENT_AUTHORIZED' },
  },
  // A compensation whose first rounds fail (cancelShipment errors for 4 s), retried until done.
  {
    name: 'compensation-retried',
    order: { ...base, shippingAddress: { ...seoul, postalCode: '99999' } },
    race: { hold: holdStep(env.FULFILLMENT_URL, 'cancelShipment', { errorRate: 1 }) },
  },
];

/**
 * A shipment's paths (test/histories/shipment/): the order is driven as above, then the shipment's
 * own run is followed to its end on the carrier's clock. `shipment-abandoned` (a v1 run whose order
 * was cancelled) is kept as recorded: v2 runs start only for completed orders, so it cannot recur.
 */
const shipmentPaths: { name: string; order: typeof base; cancel?: boolean; race?: Race }[] = [
  { name: 'shipment-delivered', order: base },
  { name: 'shipment-lost-refunded', order: { ...base, shippingAddress: { ...seoul, postalCode: '44444' } } },
];

async function send(url: string, method: string, body?: unknown): Promise<void> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`);
}

/** Drives one order down its path (the race set up, the cancel sent) until its saga has ended. */
async function driveOrder(path: (typeof paths)[number]): Promise<{ orderId: string; status: string }> {
  if (path.race) await send(path.race.hold.url, 'PUT', path.race.hold.body);
  const submitted = await submitOrder(path.order);
  if (submitted.status !== 202) throw new Error(`${path.name}: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  const { orderId } = submitted.body as { orderId: string };
  if (path.race?.cancelAfter) await waitForStatus(orderId, (status) => status === path.race?.cancelAfter, 30_000);
  if (path.name === 'compensation-retried') {
    // Let two rounds of the undo fail, as the saga's own query reports them, then let it through.
    await eventually(
      'two failed rounds of cancelShipment',
      async () => {
        const response = await fetch(`${gatewayUrl}/orders/${orderId}/saga`, { headers: await asOwnerOf(orderId) });
        const saga = response.ok ? ((await response.json()) as OrderState) : undefined;
        const undo = saga?.compensations?.find((progress) => progress.name === 'cancelShipment');
        return undo && undo.status === 'failing' && undo.rounds >= 2 ? true : undefined;
      },
      60_000,
      200,
    );
    await send(path.race!.hold.clear.url, path.race!.hold.clear.method);
  }
  if (path.cancel) {
    const response = await fetch(`${gatewayUrl}/orders/${orderId}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await asOwnerOf(orderId)) },
      body: '{"reason":"recorded cancel"}',
    });
    if (response.status !== 202) throw new Error(`${path.name}: cancel answered ${response.status} ${await response.text()}`);
  }
  const order = await waitForStatus(
    orderId,
    (status) => ['COMPLETED', 'REJECTED', 'PAYMENT_DECLINED', 'FAILED', 'CANCELLED'].includes(status),
    90_000,
  );
  if (path.race) await send(path.race.hold.clear.url, path.race.hold.clear.method);
  return { orderId, status: order.status };
}

/** Waits for a workflow to end and writes its history where the replay test reads it. */
async function recordHistory(workflowId: string, file: URL): Promise<void> {
  await client.workflow
    .getHandle(workflowId)
    .result()
    .catch(() => undefined);
  // The CLI's JSON is the format the Web UI downloads and Worker.runReplayHistories reads.
  const history = execFileSync(
    temporalCliPath(),
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--output',
      'json',
      '--address',
      config().TEMPORAL_ADDRESS,
      '--namespace',
      config().TEMPORAL_NAMESPACE,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(file, history);
}

// `record.ts [path...]` records only the named paths; RECORD_SUFFIX=-v2 keeps the files of an
// earlier workflow version beside the new ones instead of overwriting them.
const wanted = process.argv.slice(2);
const suffix = process.env.RECORD_SUFFIX ?? '';
const isWanted = (name: string): boolean => wanted.length === 0 || wanted.includes(name);
const connection = await Connection.connect({ address: config().TEMPORAL_ADDRESS });
const client = new Client({ connection, namespace: config().TEMPORAL_NAMESPACE });
for (const path of paths.filter((candidate) => isWanted(candidate.name))) {
  const { orderId, status } = await driveOrder(path);
  await recordHistory(workflowIdFor(orderId), new URL(`./${path.name}${suffix}.json`, import.meta.url));
  console.log(`[record] ${path.name}: ${status} → test/histories/${path.name}${suffix}.json`);
}
for (const path of shipmentPaths.filter((candidate) => isWanted(candidate.name))) {
  const { orderId, status } = await driveOrder(path);
  // The carrier's clock runs on (CARRIER_PICKUP_AFTER_MS, CARRIER_TRANSIT_MS): result() waits for it.
  await recordHistory(shipmentWorkflowIdFor(shipmentIdFor(orderId)), new URL(`./shipment/${path.name}${suffix}.json`, import.meta.url));
  console.log(`[record] ${path.name}: order ${status} → test/histories/shipment/${path.name}${suffix}.json`);
}
await connection.close();
