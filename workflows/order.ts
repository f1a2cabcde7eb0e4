/**
 * OrderWorkflow: the life of one order as a saga.
 *
 *   record PENDING → reserve stock → prepare payment → authorize → schedule shipment → COMPLETED
 *
 * (The reserved stock is committed as shipped when the carrier takes the parcel: workflows/shipment.ts.)
 *
 * Every step that changes another service registers its compensation; when a later step fails, the
 * compensations run in reverse order, in a scope that a cancellation cannot interrupt.
 */
import {
  ActivityCancellationType,
  type ActivityOptions,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  type RetryPolicy,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { FulfillmentActivities } from '../activities/fulfillment/activities.js';
import type { InventoryActivities } from '../activities/inventory/activities.js';
import type { OrderActivities } from '../activities/order/activities.js';
import type { PaymentActivities } from '../activities/payment/activities.js';
import { type FailureReason, reasonCodeOfFailure } from '../platform/contracts/failure-reasons.js';
import type { OrderStatus } from '../platform/contracts/order.js';
import { CompensationFailingAttribute, OrderStatusAttribute } from '../platform/contracts/search-attributes.js';
import {
  cancelOrderUpdate,
  type CompensationProgress,
  type OrderState,
  type OrderTransition,
  type OrderWorkflowInput,
  orderStateQuery,
  type SagaSinks,
  taskQueues,
} from '../platform/contracts/workflow.js';

/** The saga's retry policies, each named once and used by the proxies below. */
const retryPolicies = {
  /** Bookkeeping and stock: quick, and retried until they succeed (a database or Kafka blip must not fail an order). */
  untilDone: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 seconds' },
  /**
   * Authorization: a gateway that errors or times out is tried 5 times over about 15 s (1, 2, 4, 8 s
   * apart); then the saga gives up, compensates and ends FAILED.
   */
  authorization: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '8 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['PaymentGatewayRejected'],
  },
  fulfillment: { initialInterval: '500 ms', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
  /** One round of a compensation: a few quick attempts (about 1.4 s); see `undoRound`. */
  undoRound: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '2 seconds', maximumAttempts: 4 },
} satisfies Record<string, RetryPolicy>;

/**
 * The steps, proxied for one cancellation type (chosen once per saga, see `undoWaitsForStep`).
 *
 * v4 waits for a cancelled step's real outcome (WAIT_CANCELLATION_COMPLETED): the activity runs
 * on, its result or failure is recorded, and only then do the compensations start, so an undo
 * never overtakes the step it undoes. Sagas from before v4 replay with TRY_CANCEL, their default.
 */
function stepsFor(cancellationType: ActivityCancellationType) {
  const step = { startToCloseTimeout: '10 seconds', cancellationType } satisfies ActivityOptions;
  const untilDone = { ...step, retry: retryPolicies.untilDone } satisfies ActivityOptions;
  return {
    orders: proxyActivities<OrderActivities>({ ...untilDone, taskQueue: taskQueues.orders }),
    inventory: proxyActivities<InventoryActivities>({ ...untilDone, taskQueue: taskQueues.inventory }),
    /**
     * v3: the order service's own bookkeeping and the payment preparation run as local activities in
     * the order worker, the process that runs this workflow: no task queue round trip through the
     * server, about half the server work per order. Same timeouts, same retry-until-done policy.
     */
    localOrders: proxyLocalActivities<OrderActivities & Pick<PaymentActivities, 'preparePayment'>>(untilDone),
    payments: proxyActivities<Pick<PaymentActivities, 'preparePayment' | 'voidPayment'>>({ ...untilDone, taskQueue: taskQueues.orders }),
    /**
     * Authorization (retryPolicies.authorization). 15 s per attempt: the client's request (≤ 5 s)
     * and the reversal of an unanswered attempt (≤ 3 s) fit with margin.
     */
    authorization: proxyActivities<Pick<PaymentActivities, 'authorizePayment'>>({
      ...step,
      taskQueue: taskQueues.orders,
      startToCloseTimeout: '15 seconds',
      retry: retryPolicies.authorization,
    }),
    fulfillment: proxyActivities<FulfillmentActivities>({
      ...step,
      taskQueue: taskQueues.fulfillment,
      retry: retryPolicies.fulfillment,
    }),
  };
}

/**
 * v4 compensations: a round of a few quick attempts (about 1.4 s), then the saga shows the failure
 * and tries another round after a capped backoff (1 s, 2 s, … 60 s), for ever: an undo is never
 * given up. Rounds, not one endless activity retry, because only a failed round reaches the
 * workflow, and the workflow is what the query and the Web UI show.
 */
const undoRound = {
  startToCloseTimeout: '10 seconds',
  // A service with no worker polling never starts the undo; a round that waits this long counts as failed, so it shows.
  scheduleToStartTimeout: '30 seconds',
  retry: retryPolicies.undoRound,
} satisfies ActivityOptions;
const maxPauseBetweenUndoRoundsMs = 60_000;
const undo = {
  releaseStock: proxyActivities<InventoryActivities>({ ...undoRound, taskQueue: taskQueues.inventory }).releaseStock,
  voidPayment: proxyActivities<Pick<PaymentActivities, 'voidPayment'>>({
    ...undoRound,
    taskQueue: taskQueues.orders,
    startToCloseTimeout: '15 seconds',
  }).voidPayment,
  cancelShipment: proxyActivities<FulfillmentActivities>({ ...undoRound, taskQueue: taskQueues.fulfillment }).cancelShipment,
};
const { saga: sagaSink } = proxySinks<SagaSinks>();

/** Statuses from which a customer can still cancel: nothing has left the warehouse yet. */
const cancellableStatuses: readonly OrderStatus[] = ['PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED'];

/**
 * Which version of the saga a run follows (docs/saga.md, "Changing the workflow safely"). Each answer
 * is asked for at the point where the saga first needs it, in this order: a patch's marker is a
 * command, and moving the question would move the marker in the history.
 */
interface SagaVersion {
  /** v4: a cancelled step's real outcome is awaited; compensations side by side, in rounds. */
  undoWaitsForStep: () => boolean;
  /** v3: the order's own bookkeeping and the payment preparation as local activities. */
  localOrderBookkeeping: () => boolean;
  /** v2: step 1 stands outside the cancellable scope. */
  createdEventSurvivesEarlyCancel: () => boolean;
  /** v2: the two bookkeeping steps after shipment run together. */
  parallelShipmentBookkeeping: () => boolean;
  /** v6: the stock is committed when the carrier takes the parcel (ShipmentWorkflow), not by the saga. */
  stockCommittedAtPickup: () => boolean;
}

/**
 * The saga's first workflow type, kept for the runs started before v5 (and replayed by the v1–v4
 * fixtures): each version decision is a patch, asked once. New orders start OrderWorkflowV5.
 */
export async function OrderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  return orderSaga(input, {
    undoWaitsForStep: () => patched('undo-waits-for-step'),
    localOrderBookkeeping: () => patched('local-order-bookkeeping'),
    createdEventSurvivesEarlyCancel: () => patched('created-event-survives-early-cancel'),
    parallelShipmentBookkeeping: () => patched('parallel-shipment-bookkeeping'),
    // No new run starts this type: its runs all commit the stock themselves.
    stockCommittedAtPickup: () => false,
  });
}

/**
 * v5: the v4 saga, step for step, as a workflow type of its own with no patches. Every patch of
 * OrderWorkflow cost each new order a marker and a `TemporalChangeVersion` search-attribute upsert
 * (four of each, eight of the 47 history events and four visibility writes), for the sake of runs
 * that no longer start. The rule (docs/saga.md): a change patches the running type; once its patches
 * are many, the current path becomes a new type and the old type keeps them until its last run ends.
 */
export async function OrderWorkflowV5(input: OrderWorkflowInput): Promise<OrderState> {
  const current = () => true;
  return orderSaga(input, {
    undoWaitsForStep: current,
    localOrderBookkeeping: current,
    createdEventSurvivesEarlyCancel: current,
    parallelShipmentBookkeeping: current,
    stockCommittedAtPickup: () => patched('stock-committed-at-pickup'),
  });
}

async function orderSaga(input: OrderWorkflowInput, version: SagaVersion): Promise<OrderState> {
  const { orderId, order } = input;
  // Each version decision is made once, before the first step, so a saga never mixes two.
  const undoWaitsForStep = version.undoWaitsForStep();
  const { orders, inventory, localOrders, payments, authorization, fulfillment } = stepsFor(
    undoWaitsForStep ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED : ActivityCancellationType.TRY_CANCEL,
  );
  const bookkeeping = version.localOrderBookkeeping()
    ? localOrders
    : {
        recordOrderAccepted: orders.recordOrderAccepted,
        recordOrderTransition: orders.recordOrderTransition,
        preparePayment: payments.preparePayment,
      };
  const undoing = undoWaitsForStep
    ? undo
    : { releaseStock: inventory.releaseStock, voidPayment: payments.voidPayment, cancelShipment: fulfillment.cancelShipment };
  const customer = { orderId, customerId: order.customerId };
  const state: OrderState = { orderId, status: 'PENDING', history: [{ status: 'PENDING', at: input.acceptedAt }] };
  setHandler(orderStateQuery, () => state);

  const compensations: { name: CompensationProgress['name']; run: (why: FailureReason) => Promise<unknown> }[] = [];

  async function enter(transition: OrderTransition): Promise<void> {
    await bookkeeping.recordOrderTransition({ orderId, transition });
    const reason = 'reason' in transition ? transition.reason : undefined;
    const reasonCode =
      transition.status === 'PAYMENT_DECLINED' ? 'PAYMENT_DECLINED' : 'reasonCode' in transition ? transition.reasonCode : undefined;
    state.status = transition.status;
    state.history.push({
      status: transition.status,
      at: new Date().toISOString(),
      ...(reason ? { reason } : {}),
      ...(reasonCode ? { reasonCode } : {}),
    });
    if (reason && transition.status !== 'COMPLETED') {
      state.failureReason = reason;
      state.failureReasonCode = reasonCode;
    }
    upsertSearchAttributes([{ key: OrderStatusAttribute, value: transition.status }]);
  }

  /** Undoes what was done. Nothing can cancel this once it has begun, and nothing is given up. */
  async function compensate(why: FailureReason): Promise<void> {
    const newestFirst = [...compensations].reverse();
    await CancellationScope.nonCancellable(async () => {
      if (undoWaitsForStep) {
        // Independent undos of independent services: one that keeps failing (fulfillment down)
        // must not keep a live card approval or reserved stock waiting behind it.
        await Promise.all(newestFirst.map((compensation) => undoUntilDone(compensation, why)));
        return;
      }
      for (const compensation of newestFirst) {
        // v1–v3, replayed as they ran: one after the other, each under its activity's own policy.
        state.compensating = compensation.name;
        await compensation.run(why);
      }
      state.compensating = undefined;
    });
  }

  async function undoUntilDone(compensation: (typeof compensations)[number], why: FailureReason): Promise<void> {
    const progress: CompensationProgress = { name: compensation.name, status: 'running', rounds: 0 };
    (state.compensations ??= []).push(progress);
    showCompensations();
    for (;;) {
      progress.rounds += 1;
      try {
        await compensation.run(why);
        progress.status = 'done';
        delete progress.lastError;
        showCompensations();
        return;
      } catch (error) {
        progress.status = 'failing';
        progress.lastError = failureReason(error);
        showCompensations();
        sagaSink.compensationFailed(progress.name, progress.rounds, progress.lastError);
        await sleep(Math.min(1000 * 2 ** (progress.rounds - 1), maxPauseBetweenUndoRoundsMs));
        progress.status = 'running';
      }
    }
  }

  /** What the query and the Web UI show of the undos: which are still open, and which are failing. */
  let failingShown: string[] = [];
  function showCompensations(): void {
    const open = (state.compensations ?? []).filter((progress) => progress.status !== 'done');
    state.compensating = open.length > 0 ? open.map((progress) => progress.name).join(', ') : undefined;
    const failing = open.filter((progress) => progress.status === 'failing').map((progress) => progress.name);
    if (failing.join() === failingShown.join()) return;
    failingShown = failing;
    upsertSearchAttributes([{ key: CompensationFailingAttribute, value: failing.length > 0 ? failing : null }]);
  }

  async function end(status: Extract<OrderStatus, 'REJECTED' | 'FAILED' | 'CANCELLED'>, why: FailureReason): Promise<OrderState> {
    await CancellationScope.nonCancellable(() => enter({ status, ...why }));
    return state;
  }

  // Everything up to COMPLETED runs in one scope, so an accepted cancel stops the saga wherever it is.
  const saga = new CancellationScope();
  let cancelReason: string | undefined;
  setHandler(
    cancelOrderUpdate,
    (request) => {
      cancelReason = request.reason ?? 'cancelled by the customer';
      saga.cancel();
      return { accepted: true, status: state.status };
    },
    {
      validator: (_request) => {
        if (cancelReason !== undefined) throw new Error('the order is already being cancelled');
        // Once the carrier has the shipment, stock is being committed as shipped: too late to undo.
        if (state.shipmentId !== undefined) throw new Error('the order has already been handed to the carrier');
        if (!cancellableStatuses.includes(state.status)) {
          throw new Error(
            state.status === 'SHIPMENT_SCHEDULED'
              ? 'the order has already been handed to the carrier'
              : `the order is already ${state.status}`,
          );
        }
      },
    },
  );

  // v2: step 1 stands outside the cancellable scope, so an order cancelled at once still gets its
  // `order.v1.created` beside its `order.v1.cancelled`. v1 sagas (in flight before the change)
  // keep recording it inside the scope, where an early cancel skipped it.
  const createdOutsideScope = version.createdEventSurvivesEarlyCancel();
  if (createdOutsideScope) await bookkeeping.recordOrderAccepted(input);

  try {
    return await saga.run(runSaga);
  } catch (error) {
    const cancelled = isCancellation(error);
    const why: FailureReason = !cancelled
      ? { reasonCode: reasonCodeOfFailure(error), reason: failureReason(error) }
      : cancelReason !== undefined
        ? { reasonCode: 'CUSTOMER_CANCELLED', reason: cancelReason }
        : { reasonCode: 'WORKFLOW_CANCELLED', reason: 'cancelled' };
    await compensate(why);
    return end(cancelled ? 'CANCELLED' : 'FAILED', why);
  }

  async function runSaga(): Promise<OrderState> {
    if (!createdOutsideScope) await bookkeeping.recordOrderAccepted(input);

    // Registered before the call: releasing an order that reserved nothing is a no-op, and this
    // way a reservation that completes while the saga is being cancelled is still released.
    compensations.push({ name: 'releaseStock', run: (why) => undoing.releaseStock({ ...customer, ...why }) });
    const reservation = await inventory.reserveStock({ ...customer, items: order.items });
    if (reservation.outcome === 'rejected') {
      compensations.length = 0;
      // A reservation recorded before the code existed has none.
      return end('REJECTED', { reasonCode: reservation.reasonCode ?? 'UNCLASSIFIED', reason: reservation.reason });
    }
    const { totalMinor: subtotalMinor, currency } = reservation.reservation;
    await enter({ status: 'STOCK_RESERVED', amountMinor: subtotalMinor, currency });

    const prepared = await bookkeeping.preparePayment({ orderId, order, subtotalMinor, currency });
    if (prepared.outcome === 'declined') return decline(prepared);
    state.amountMinor = prepared.amountMinor;

    // Registered before the call, like the reservation's: if the saga is cancelled or the answer is
    // lost while the gateway approves, the void still finds the approval by order id.
    let paymentId: string | undefined;
    compensations.push({
      name: 'voidPayment',
      run: (why) =>
        undoing.voidPayment({ ...customer, channel: order.payment.channel, paymentId, amountMinor: prepared.amountMinor, ...why }),
    });
    const authorized = await authorization.authorizePayment({
      orderId,
      channel: order.payment.channel,
      // The vault's token; a saga started before tokenization has only the card number (activity
      // arguments are not compared on replay, and the activity tokenizes it before it goes on).
      ...('cardToken' in order.payment ? { cardToken: order.payment.cardToken } : { cardNumber: order.payment.cardNumber }),
      amountMinor: prepared.amountMinor,
      currency,
    });
    if (authorized.outcome === 'declined') return decline(authorized);
    paymentId = state.paymentId = authorized.paymentId;
    await enter({
      status: 'PAYMENT_AUTHORIZED',
      paymentId: authorized.paymentId,
      approvalCode: authorized.approvalCode,
      amountMinor: prepared.amountMinor,
    });

    compensations.push({ name: 'cancelShipment', run: (why) => undoing.cancelShipment({ ...customer, ...why }) });
    const shipment = await fulfillment.scheduleShipment({
      ...customer,
      items: order.items,
      shippingAddress: order.shippingAddress,
      orderDate: input.acceptedAt.slice(0, 10),
      // This order service starts the shipment's run once the order COMPLETED (activity input: not replayed).
      runStartsOnCompletion: true,
    });
    state.shipmentId = shipment.shipmentId;
    if (version.stockCommittedAtPickup()) {
      // v6: reserved stock becomes shipped stock when the carrier takes the parcel, in the
      // shipment's own workflow (docs/saga.md#a-shipments-life): until then it is still in the
      // warehouse. One activity task and one workflow task fewer on every completed order's path.
      await enter({ status: 'SHIPMENT_SCHEDULED', shipmentId: shipment.shipmentId });
    } else if (version.parallelShipmentBookkeeping()) {
      // v2: the two bookkeeping steps after shipment do not depend on each other; running them
      // together takes one round trip off every completed order. Sagas started before this change
      // replay the sequential v1 path below (test/workflow/replay.test.ts proves it).
      await Promise.all([enter({ status: 'SHIPMENT_SCHEDULED', shipmentId: shipment.shipmentId }), inventory.commitStock({ orderId })]);
    } else {
      await enter({ status: 'SHIPMENT_SCHEDULED', shipmentId: shipment.shipmentId });
      await inventory.commitStock({ orderId });
    }
    await enter({ status: 'COMPLETED' });
    return state;
  }

  /** The card was refused: nothing was charged, so only the stock goes back. */
  async function decline(outcome: { declineCode: string; reason: string }): Promise<OrderState> {
    const nothingToVoid = compensations.findIndex((compensation) => compensation.name === 'voidPayment');
    if (nothingToVoid >= 0) compensations.splice(nothingToVoid, 1);
    await compensate({ reasonCode: 'PAYMENT_DECLINED', reason: outcome.reason });
    compensations.length = 0;
    await enter({ status: 'PAYMENT_DECLINED', declineCode: outcome.declineCode, reason: outcome.reason });
    return state;
  }
}

/** The most specific message in a Temporal failure chain: "activity failed" says little, its cause says why. */
function failureReason(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  while (current instanceof Error && current.cause) {
    current = current.cause;
    if (current instanceof ApplicationFailure || current instanceof Error) message = current.message;
  }
  return message;
}
