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
import { workflowIdFor } from '../../platform/contracts/workflow.js';
import { demoBatch } from '../../infra/setup/demo.js';
import { submitOrder, waitForStatus, gatewayUrl } from '../support/estate.js';
import { temporalCliPath } from '../support/temporal.js';

const base = demoBatch()[0]!.order;
const seoul = base.shippingAddress;
const paths: { name: string; order: typeof base; cancel?: boolean }[] = [
  { name: 'completed-http', order: base },
  { name: 'completed-tcp', order: { ...base, payment: { channel: 'tcp', cardNumber: '4242424242424242' } } },
  { name: 'declined-http', order: { ...base, payment: { channel: 'http', cardNumber: '4000000000000002' } } },
  { name: 'insufficient-funds-tcp', order: { ...base, payment: { channel: 'tcp', cardNumber: '4000000000009995' } } },
  { name: 'out-of-stock', order: { ...base, items: [{ sku: 'LTD-024', quantity: 50 }] } },
  { name: 'undeliverable', order: { ...base, shippingAddress: { ...seoul, postalCode: '99999' } } },
  { name: 'gateway-errors-exhausted', order: { ...base, payment: { channel: 'http', cardNumber: '4000000000000119' } } },
  { name: 'cancelled', order: base, cancel: true },
];

// `record.ts [path...]` records only the named paths; RECORD_SUFFIX=-v2 keeps the files of an
// earlier workflow version beside the new ones instead of overwriting them.
const wanted = process.argv.slice(2);
const suffix = process.env.RECORD_SUFFIX ?? '';
const connection = await Connection.connect({ address: config().TEMPORAL_ADDRESS });
const client = new Client({ connection, namespace: config().TEMPORAL_NAMESPACE });
for (const path of paths.filter((candidate) => wanted.length === 0 || wanted.includes(candidate.name))) {
  const submitted = await submitOrder(path.order);
  if (submitted.status !== 202) throw new Error(`${path.name}: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  const { orderId } = submitted.body as { orderId: string };
  if (path.cancel) {
    const response = await fetch(`${gatewayUrl}/orders/${orderId}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"reason":"recorded cancel"}' });
    if (response.status !== 202) throw new Error(`${path.name}: cancel answered ${response.status} ${await response.text()}`);
  }
  const order = await waitForStatus(orderId, (status) => ['COMPLETED', 'REJECTED', 'PAYMENT_DECLINED', 'FAILED', 'CANCELLED'].includes(status), 90_000);
  const handle = client.workflow.getHandle(workflowIdFor(orderId));
  await handle.result().catch(() => undefined);
  const file = new URL(`./${path.name}${suffix}.json`, import.meta.url);
  // The CLI's JSON is the format the Web UI downloads and Worker.runReplayHistories reads.
  const history = execFileSync(
    temporalCliPath(),
    ['workflow', 'show', '--workflow-id', workflowIdFor(orderId), '--output', 'json', '--address', config().TEMPORAL_ADDRESS, '--namespace', config().TEMPORAL_NAMESPACE],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(file, history);
  console.log(`[record] ${path.name}: ${order.status} → test/histories/${path.name}${suffix}.json`);
}
await connection.close();
