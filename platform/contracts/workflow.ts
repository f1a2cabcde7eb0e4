/**
 * What the order workflow and its callers agree on: its input, its task queues, the transitions it
 * records, its state, and the query and update the order API sends it. The workflow bundle imports
 * it, so it holds types and definitions only: `defineQuery` / `defineUpdate` make plain descriptors
 * (no workflow context needed), which the API's client and the workflow's handlers both use.
 */
import { defineQuery, defineUpdate, type Sinks } from '@temporalio/workflow';
import type { FailureReasonCode } from './failure-reasons.js';
import type { OrderStatus, SagaOrder } from './order.js';

/**
 * What the workflow is started with: the validated order plus the id the order service gave it.
 * The card is a vault token; sagas started before tokenization hold the card number (SagaOrder),
 * and still replay and run.
 */
export interface OrderWorkflowInput {
  orderId: string;
  order: SagaOrder;
  /** ISO time the order was accepted; the end-to-end latency is measured from it. */
  acceptedAt: string;
}

/**
 * The workflow type a new order's saga starts as (workflows/order.ts): v5, the saga without patches.
 * Runs of the first type, `OrderWorkflow`, started before v5, finish on the same worker.
 */
export const orderWorkflowType = 'OrderWorkflowV5';

/** The workflow id is derived from the order id, so one order can never run two sagas. */
export function workflowIdFor(orderId: string): string {
  return `order-${orderId}`;
}

export const taskQueues = {
  orders: 'orders',
  inventory: 'inventory',
  fulfillment: 'fulfillment',
} as const;

/** A step of the saga as the order records it; the fields are what its event needs. */
export type OrderTransition =
  | { status: 'STOCK_RESERVED'; amountMinor: number; currency: string }
  /** `amountMinor` is what the card was charged (goods, shipping, fees): from here on the order's amount. */
  | { status: 'PAYMENT_AUTHORIZED'; paymentId: string; approvalCode: string; amountMinor: number }
  | { status: 'PAYMENT_DECLINED'; declineCode: string; reason: string }
  | { status: 'SHIPMENT_SCHEDULED'; shipmentId: string }
  | { status: 'COMPLETED' }
  /** `reasonCode`: why, as a code; absent only in transitions a saga recorded before the code existed. */
  | { status: 'REJECTED' | 'FAILED' | 'CANCELLED'; reason: string; reasonCode?: FailureReasonCode };

/** The workflow's live state, answered by its `orderState` query. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  history: { status: OrderStatus; at: string; reason?: string; reasonCode?: FailureReasonCode }[];
  amountMinor?: number;
  paymentId?: string;
  shipmentId?: string;
  failureReason?: string;
  /** `failureReason` as a code (platform/contracts/failure-reasons.ts). */
  failureReasonCode?: FailureReasonCode;
  /** The compensations still open while the saga unwinds (comma-separated names), if any. */
  compensating?: string;
  /** v4 sagas: each compensation that has started, with the rounds it took and why the last one failed. */
  compensations?: CompensationProgress[];
}

/**
 * One compensation of an unwinding saga. `failing` means its last round of attempts failed and it
 * waits for the next (it is retried until done, never given up).
 */
export interface CompensationProgress {
  name: 'releaseStock' | 'voidPayment' | 'cancelShipment';
  status: 'running' | 'failing' | 'done';
  rounds: number;
  lastError?: string;
}

/**
 * What the saga tells its worker process, outside the history: a compensation round that failed,
 * so the worker can count it (metric `order.compensation.failures`) and log it with the order id.
 */
export interface SagaSinks extends Sinks {
  saga: {
    compensationFailed(compensation: CompensationProgress['name'], round: number, error: string): void;
  };
}

export const orderStateQuery = defineQuery<OrderState>('orderState');

/** Asks the saga to cancel the order. Accepted until the order is handed to a carrier; rejected (with the reason) after. */
export const cancelOrderUpdate = defineUpdate<{ accepted: true; status: OrderStatus }, [{ reason?: string }]>('cancelOrder');
