/**
 * The saga under races, on a real Temporal dev server: a cancel that lands while a step is held
 * open, and a compensation that keeps failing. Each test holds the step or the undo with a gate and
 * decides on conditions read from the workflow's history and query, never on time.
 *
 * The fake services model what each order still holds (test/support/fake-estate.ts `live`): an
 * undo that overtakes its step finds nothing, and the step's effect stays live, as it did in
 * production before v4 (issue 11: a reservation leaked by a cancel during reserveStock).
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { InjectedSinks } from '@temporalio/worker';
import anyTest, { type TestFn } from 'ava';
import type { OrderRequest } from '../../platform/contracts/order.js';
import { CompensationFailingAttribute } from '../../platform/contracts/search-attributes.js';
import {
  cancelOrderUpdate,
  orderStateQuery,
  type OrderState,
  type OrderWorkflowInput,
  type SagaSinks,
  taskQueues,
  workflowIdFor,
  orderWorkflowType,
} from '../../platform/contracts/workflow.js';
import { eventually } from '../support/estate.js';
import { type SagaOnFakeEstate, startSagaOnFakeEstate } from '../support/temporal.js';

const test = anyTest as TestFn<
  SagaOnFakeEstate & {
    /** What the saga reported through its sink: failed compensation rounds, per workflow id. */
    failedRounds: { workflowId: string; compensation: string; round: number }[];
  }
>;

test.before(async (t) => {
  const failedRounds: { workflowId: string; compensation: string; round: number }[] = [];
  const sinks: InjectedSinks<SagaSinks> = {
    saga: {
      compensationFailed: {
        fn: (info, compensation, round) => void failedRounds.push({ workflowId: info.workflowId, compensation, round }),
      },
    },
  };
  t.context = { ...(await startSagaOnFakeEstate({ sinks })), failedRounds };
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

function order(overrides: Partial<OrderRequest> = {}): OrderRequest {
  return {
    customerId: 'cust-race',
    items: [{ sku: 'KB-001', quantity: 1 }],
    payment: { channel: 'tcp', cardNumber: '4242424242424242' },
    shippingAddress: { name: '이서연', line1: '테헤란로 152', city: '서울', postalCode: '06236', country: 'KR' },
    ...overrides,
  };
}

async function startSaga(t: { context: { env: TestWorkflowEnvironment } }, orderId: string, request = order()): Promise<WorkflowHandle> {
  const input: OrderWorkflowInput = { orderId, order: request, acceptedAt: new Date().toISOString() };
  return t.context.env.client.workflow.start(orderWorkflowType, {
    workflowId: workflowIdFor(orderId),
    taskQueue: taskQueues.orders,
    args: [input],
  });
}

/** The activity types scheduled so far, and whether the server has recorded a cancel request for a running one. */
async function historyOf(handle: WorkflowHandle): Promise<{ scheduled: string[]; cancelRequested: boolean }> {
  const { events } = await handle.fetchHistory();
  return {
    scheduled: (events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
    cancelRequested: (events ?? []).some((event) => event.activityTaskCancelRequestedEventAttributes),
  };
}

const held = [
  { step: 'reserveStock', undo: 'releaseStock', undos: ['releaseStock'] },
  { step: 'authorizePayment', undo: 'voidPayment', undos: ['voidPayment', 'releaseStock'] },
  { step: 'scheduleShipment', undo: 'cancelShipment', undos: ['cancelShipment', 'voidPayment', 'releaseStock'] },
] as const;

for (const { step, undo, undos } of held) {
  test(`cancel while ${step} is held open: no undo starts until the step has finished, and nothing is left live`, async (t) => {
    const { estate } = t.context;
    const orderId = randomUUID();
    const { reached } = estate.gate(orderId, step);
    const handle = await startSaga(t, orderId);
    await reached;

    const answer = await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed my mind' }] });
    t.true(answer.accepted);
    // The workflow has acted on the cancel once the server holds the step's cancel request; an undo
    // that did not wait would have been scheduled in that same workflow task.
    const afterCancel = await eventually('the cancel request of the held step in the history', async () => {
      const history = await historyOf(handle);
      return history.cancelRequested ? history : undefined;
    });
    for (const compensation of undos)
      t.false(afterCancel.scheduled.includes(compensation), `${compensation} scheduled while ${step} still runs`);
    t.false(estate.timelineFor(orderId).includes(`${undo}:start`));

    estate.release(orderId, step);
    const state = (await handle.result()) as OrderState;
    t.is(state.status, 'CANCELLED');
    const timeline = estate.timelineFor(orderId);
    t.true(
      timeline.indexOf(`${step}:done`) < timeline.indexOf(`${undo}:start`),
      `${step} finished before ${undo} began: ${timeline.join(' → ')}`,
    );
    t.deepEqual(estate.liveFor(orderId), [], 'the cancelled order holds no stock, approval or shipment');
  });
}

test('a compensation failing longer than its old attempt limit is retried until done, visibly, and the others do not wait for it', async (t) => {
  const { estate, env } = t.context;
  const orderId = randomUUID();
  // Fulfillment fails for this address, so the saga unwinds; cancelShipment then fails 6 times:
  // more than the 5 attempts it had before v4, after which the saga stopped undoing for ever.
  estate.failuresBefore.set(`${orderId}:cancelShipment`, 6);
  const handle = await startSaga(
    t,
    orderId,
    order({ shippingAddress: { name: 'Alex', line1: '1 Road', city: 'Seoul', postalCode: '99999', country: 'KR' } }),
  );

  const failing = await eventually('cancelShipment shown as failing in the orderState query', async () => {
    const state = await handle.query(orderStateQuery);
    return state.compensations?.find((progress) => progress.name === 'cancelShipment' && progress.status === 'failing') ? state : undefined;
  });
  // Hold its next round so the failing state stays put while the Web UI's view is checked.
  const { reached } = estate.gate(orderId, 'cancelShipment');
  t.regex(failing.compensating ?? '', /cancelShipment/);
  t.regex(failing.compensations?.find((progress) => progress.name === 'cancelShipment')?.lastError ?? '', /database is unreachable/);
  await eventually('voidPayment and releaseStock done while cancelShipment fails', async () => {
    const state = await handle.query(orderStateQuery);
    const done = (state.compensations ?? [])
      .filter((progress) => progress.status === 'done')
      .map((progress) => progress.name)
      .sort();
    return done.join() === 'releaseStock,voidPayment' ? true : undefined;
  });
  const listed = await eventually('the saga listed by CompensationFailing in visibility', async () => {
    const description = await env.client.workflow.getHandle(handle.workflowId).describe();
    return description.typedSearchAttributes.get(CompensationFailingAttribute)?.includes('cancelShipment') ? true : undefined;
  });
  t.true(listed);
  const stuck: string[] = [];
  for await (const execution of env.client.workflow.list({
    query: `CompensationFailing = "cancelShipment" AND WorkflowId = "${handle.workflowId}"`,
  }))
    stuck.push(execution.workflowId);
  t.deepEqual(stuck, [handle.workflowId]);
  await reached;
  estate.release(orderId, 'cancelShipment');

  const state = (await handle.result()) as OrderState;
  t.is(state.status, 'FAILED');
  t.is(state.compensating, undefined);
  t.deepEqual(estate.liveFor(orderId), []);
  t.true((state.compensations?.find((progress) => progress.name === 'cancelShipment')?.rounds ?? 0) >= 2);
  t.true(estate.callsFor(orderId).filter((call) => call === 'cancelShipment').length > 5);
  // Each failed round reached the worker's sink (the metric `order.compensation.failures`).
  const rounds = t.context.failedRounds.filter((failure) => failure.workflowId === handle.workflowId);
  t.true(rounds.length >= 1);
  t.true(rounds.every((failure) => failure.compensation === 'cancelShipment'));
  const cleared = await eventually('CompensationFailing cleared once every undo is done', async () => {
    const description = await handle.describe();
    return description.typedSearchAttributes.get(CompensationFailingAttribute) === undefined ? true : undefined;
  });
  t.true(cleared);
});
