/**
 * OrderWorkflow on a real Temporal dev server, with in-memory activities: every path of the saga,
 * and a cancel at each stage.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import anyTest, { type TestFn } from 'ava';
import type { OrderRequest } from '../../platform/contracts/order.js';
import {
  cancelOrderUpdate,
  orderStateQuery,
  type OrderState,
  type OrderWorkflowInput,
  taskQueues,
  workflowIdFor,
  orderWorkflowType,
} from '../../platform/contracts/workflow.js';
import { type SagaOnFakeEstate, startSagaOnFakeEstate } from '../support/temporal.js';

const test = anyTest as TestFn<SagaOnFakeEstate>;

test.before(async (t) => {
  t.context = await startSagaOnFakeEstate();
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

function order(overrides: Partial<OrderRequest> = {}): OrderRequest {
  return {
    customerId: 'cust-test',
    items: [{ sku: 'KB-001', quantity: 2 }],
    payment: { channel: 'http', cardNumber: '4242424242424242' },
    shippingAddress: { name: '김민준', line1: '세종대로 110', city: '서울', postalCode: '04524', country: 'KR' },
    ...overrides,
  };
}

function start(t: { context: { env: TestWorkflowEnvironment } }, request: OrderRequest) {
  const input: OrderWorkflowInput = { orderId: randomUUID(), order: request, acceptedAt: new Date().toISOString() };
  const handle = t.context.env.client.workflow.start(orderWorkflowType, {
    workflowId: workflowIdFor(input.orderId),
    taskQueue: taskQueues.orders,
    args: [input],
  });
  return { orderId: input.orderId, handle };
}

type EstateContext = { context: SagaOnFakeEstate };

/** The transition to `status` the order activity was asked to record. */
function transitionOf(t: EstateContext, orderId: string, status: string): { reasonCode?: string } {
  const call = t.context.estate.calls.find((each) => each.orderId === orderId && each.activity === `status:${status}`);
  return (call?.input as { transition: { reasonCode?: string } }).transition;
}

/** The reason code each compensation of the order was handed. */
function reasonCodesGiven(t: EstateContext, orderId: string): Record<string, string | undefined> {
  const undos = ['releaseStock', 'voidPayment', 'cancelShipment'];
  return Object.fromEntries(
    t.context.estate.calls
      .filter((call) => call.orderId === orderId && undos.includes(call.activity))
      .map((call) => [call.activity, (call.input as { reasonCode?: string }).reasonCode]),
  );
}

test('happy path: reserve, prepare, authorize, schedule the shipment, COMPLETED (the stock is committed at pickup, not here)', async (t) => {
  const { orderId, handle } = start(t, order());
  const state = (await (await handle).result()) as OrderState;
  t.is(state.status, 'COMPLETED');
  const calls = t.context.estate.callsFor(orderId);
  t.deepEqual(calls.slice(0, 7), [
    'recordOrderAccepted',
    'reserveStock',
    'status:STOCK_RESERVED',
    'preparePayment',
    'authorizePayment',
    'status:PAYMENT_AUTHORIZED',
    'scheduleShipment',
  ]);
  // v6 (patch stock-committed-at-pickup): the saga leaves the reservation RESERVED; the shipment's
  // own workflow commits it when the carrier takes the parcel.
  t.deepEqual(calls.slice(7), ['status:SHIPMENT_SCHEDULED', 'status:COMPLETED']);
  t.deepEqual(
    state.history.map((entry) => entry.status),
    ['PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'SHIPMENT_SCHEDULED', 'COMPLETED'],
  );
  t.is(state.amountMinor, 23_000);
  // The order records what the card was charged (goods and shipping), not the goods subtotal.
  const authorized = t.context.estate.calls.find((call) => call.orderId === orderId && call.activity === 'status:PAYMENT_AUTHORIZED');
  t.is((authorized?.input as { transition: { amountMinor: number } }).transition.amountMinor, 23_000);
});

test('out of stock: REJECTED with the reason, no payment attempted', async (t) => {
  const { orderId, handle } = start(t, order({ items: [{ sku: 'LTD-024', quantity: 50 }] }));
  const state = (await (await handle).result()) as OrderState;
  t.is(state.status, 'REJECTED');
  t.regex(state.failureReason ?? '', /insufficient stock for LTD-024/);
  t.is(state.failureReasonCode, 'INSUFFICIENT_STOCK');
  t.is(transitionOf(t, orderId, 'REJECTED').reasonCode, 'INSUFFICIENT_STOCK');
  const calls = t.context.estate.callsFor(orderId);
  t.false(calls.includes('authorizePayment'));
  t.false(calls.includes('preparePayment'));
  t.deepEqual(calls, ['recordOrderAccepted', 'reserveStock', 'status:REJECTED']);
});

for (const [card, code] of [
  ['4000000000000002', 'card_declined'],
  ['4000000000009995', 'insufficient_funds'],
] as const) {
  for (const channel of ['http', 'tcp'] as const) {
    test(`payment declined (${code}, ${channel}): stock released, PAYMENT_DECLINED`, async (t) => {
      const { orderId, handle } = start(t, order({ payment: { channel, cardNumber: card } }));
      const state = (await (await handle).result()) as OrderState;
      t.is(state.status, 'PAYMENT_DECLINED');
      const calls = t.context.estate.callsFor(orderId);
      t.deepEqual(calls.slice(-3), ['authorizePayment', 'releaseStock', 'status:PAYMENT_DECLINED']);
      t.false(calls.includes('voidPayment'), 'nothing to void after a decline');
      const declined = t.context.estate.calls.find((call) => call.orderId === orderId && call.activity === 'status:PAYMENT_DECLINED');
      t.is((declined?.input as { transition: { declineCode: string } }).transition.declineCode, code);
      t.is(state.failureReasonCode, 'PAYMENT_DECLINED');
      t.deepEqual(reasonCodesGiven(t, orderId), { releaseStock: 'PAYMENT_DECLINED' });
    });
  }
}

test('payment gateway errors are retried under the policy, then the order completes', async (t) => {
  const orderId = randomUUID();
  t.context.estate.gatewayFailures.set(orderId, 2);
  const input: OrderWorkflowInput = { orderId, order: order(), acceptedAt: new Date().toISOString() };
  const handle = await t.context.env.client.workflow.start(orderWorkflowType, {
    workflowId: workflowIdFor(orderId),
    taskQueue: taskQueues.orders,
    args: [input],
  });
  const state = (await handle.result()) as OrderState;
  t.is(state.status, 'COMPLETED');
  t.is(t.context.estate.callsFor(orderId).filter((call) => call === 'authorizePayment').length, 3);
});

test('fulfillment fails: every compensation runs (shipment, payment, stock), then FAILED', async (t) => {
  const { orderId, handle } = start(
    t,
    order({ shippingAddress: { name: 'Alex', line1: '1 Road', city: 'Seoul', postalCode: '99999', country: 'KR' } }),
  );
  const state = (await (await handle).result()) as OrderState;
  t.is(state.status, 'FAILED');
  t.regex(state.failureReason ?? '', /no carrier delivers to postal code 99999/);
  t.is(state.failureReasonCode, 'UNDELIVERABLE_ADDRESS');
  t.is(transitionOf(t, orderId, 'FAILED').reasonCode, 'UNDELIVERABLE_ADDRESS');
  t.deepEqual(reasonCodesGiven(t, orderId), {
    cancelShipment: 'UNDELIVERABLE_ADDRESS',
    releaseStock: 'UNDELIVERABLE_ADDRESS',
    voidPayment: 'UNDELIVERABLE_ADDRESS',
  });
  const calls = t.context.estate.callsFor(orderId);
  // v4: the undos run side by side (independent services), all before the terminal status.
  t.deepEqual(calls.slice(-5, -1).slice(1).sort(), ['cancelShipment', 'releaseStock', 'voidPayment']);
  t.deepEqual([calls.at(-5), calls.at(-1)], ['scheduleShipment', 'status:FAILED']);
  t.is(state.compensating, undefined);
  t.deepEqual(state.compensations?.map((progress) => [progress.name, progress.status, progress.rounds]).sort(), [
    ['cancelShipment', 'done', 1],
    ['releaseStock', 'done', 1],
    ['voidPayment', 'done', 1],
  ]);
  t.deepEqual(t.context.estate.liveFor(orderId), []);
});

const cancelStages = [
  { stage: 'while reserving stock', gateAt: 'reserveStock', undone: ['releaseStock'] },
  { stage: 'while authorizing payment', gateAt: 'authorizePayment', undone: ['voidPayment', 'releaseStock'] },
  { stage: 'while scheduling shipment', gateAt: 'scheduleShipment', undone: ['cancelShipment', 'voidPayment', 'releaseStock'] },
] as const;

for (const { stage, gateAt, undone } of cancelStages) {
  test(`customer cancels ${stage}: accepted, compensations run, CANCELLED`, async (t) => {
    const orderId = randomUUID();
    const { reached } = t.context.estate.gate(orderId, gateAt);
    const input: OrderWorkflowInput = { orderId, order: order(), acceptedAt: new Date().toISOString() };
    const handle = await t.context.env.client.workflow.start(orderWorkflowType, {
      workflowId: workflowIdFor(orderId),
      taskQueue: taskQueues.orders,
      args: [input],
    });
    await reached;
    const answer = await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed my mind' }] });
    t.true(answer.accepted);
    t.context.estate.release(orderId, gateAt);
    const state = (await handle.result()) as OrderState;
    t.is(state.status, 'CANCELLED');
    t.is(state.failureReason, 'changed my mind');
    t.is(state.failureReasonCode, 'CUSTOMER_CANCELLED');
    t.deepEqual(reasonCodesGiven(t, orderId), Object.fromEntries(undone.map((name) => [name, 'CUSTOMER_CANCELLED'])));
    const calls = t.context.estate.callsFor(orderId);
    t.deepEqual(calls.slice(-(undone.length + 1), -1).sort(), [...undone].sort());
    t.is(calls.at(-1), 'status:CANCELLED');
    t.false(calls.includes('status:COMPLETED'));
    t.deepEqual(t.context.estate.liveFor(orderId), []);
  });
}

test('cancel after the order was handed to the carrier is rejected with the reason', async (t) => {
  const orderId = randomUUID();
  const { reached } = t.context.estate.gate(orderId, 'status:COMPLETED');
  const input: OrderWorkflowInput = { orderId, order: order(), acceptedAt: new Date().toISOString() };
  const handle = await t.context.env.client.workflow.start(orderWorkflowType, {
    workflowId: workflowIdFor(orderId),
    taskQueue: taskQueues.orders,
    args: [input],
  });
  await reached;
  const error = await t.throwsAsync(handle.executeUpdate(cancelOrderUpdate, { args: [{}] }));
  t.true(error instanceof WorkflowUpdateFailedError);
  t.regex((error as WorkflowUpdateFailedError).cause?.message ?? '', /handed to the carrier/);
  t.context.estate.release(orderId, 'status:COMPLETED');
  t.is(((await handle.result()) as OrderState).status, 'COMPLETED');
});

test('a second cancel while the first is unwinding is rejected; the query shows live state', async (t) => {
  const orderId = randomUUID();
  const { reached } = t.context.estate.gate(orderId, 'authorizePayment');
  const input: OrderWorkflowInput = { orderId, order: order(), acceptedAt: new Date().toISOString() };
  const handle = await t.context.env.client.workflow.start(orderWorkflowType, {
    workflowId: workflowIdFor(orderId),
    taskQueue: taskQueues.orders,
    args: [input],
  });
  await reached;
  const live = await handle.query(orderStateQuery);
  t.is(live.status, 'STOCK_RESERVED');
  t.deepEqual(
    live.history.map((entry) => entry.status),
    ['PENDING', 'STOCK_RESERVED'],
  );
  await handle.executeUpdate(cancelOrderUpdate, { args: [{}] });
  await t.throwsAsync(handle.executeUpdate(cancelOrderUpdate, { args: [{}] }), { message: /already being cancelled|Update failed/ });
  t.context.estate.release(orderId, 'authorizePayment');
  t.is(((await handle.result()) as OrderState).status, 'CANCELLED');
});

test('the same order id can never start a second saga', async (t) => {
  const { orderId, handle } = start(t, order());
  await (await handle).result();
  const input: OrderWorkflowInput = { orderId, order: order(), acceptedAt: new Date().toISOString() };
  await t.throwsAsync(
    t.context.env.client.workflow.start(orderWorkflowType, {
      workflowId: workflowIdFor(orderId),
      taskQueue: taskQueues.orders,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    }),
    { name: 'WorkflowExecutionAlreadyStartedError' },
  );
});
