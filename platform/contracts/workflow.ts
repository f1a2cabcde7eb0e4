/**
 * What the order workflow and its callers agree on. Kept free of runtime dependencies, because the
 * workflow bundle imports it.
 */
import type { Sinks } from '@temporalio/workflow';
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

/** The workflow id is derived from the order id, so one order can never run two sagas. */
export function workflowIdFor(orderId: string): string {
  return `order-${orderId}`;
}

export const taskQueues = {
  orders: 'orders',
  inventory: 'inventory',
  fulfillment: 'fulfillment',
} as const;

/** The workflow's live state, answered by its `orderState` query. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  history: { status: OrderStatus; at: string; reason?: string }[];
  amountMinor?: number;
  paymentId?: string;
  shipmentId?: string;
  failureReason?: string;
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
