/**
 * Why an order ended badly or a compensation ran, as a code from a small fixed set. The words
 * (a decline message, a gateway's error, the customer's own text) stay beside it for people; the
 * code is what a program may branch on and what a metric may carry, so nothing has to read the words.
 *
 * The saga derives the code from what it already has: the outcome it was handed (a decline, a
 * rejected reservation, a customer's cancel) or the `type` of the ApplicationFailure that failed a
 * step, which the activities set when they throw. A failure whose type is not listed here is
 * `UNCLASSIFIED`. The workflow bundle imports this module, so it holds data and pure functions only.
 */
import { ApplicationFailure, TimeoutFailure } from '@temporalio/common';

export const failureReasonCodes = [
  /** The card was refused: by payment preparation (card check, risk) or by the gateway. Nothing was charged. */
  'PAYMENT_DECLINED',
  /** The payment gateway gave no usable answer (retries exhausted) or refused the request itself. */
  'PAYMENT_GATEWAY_ERROR',
  /** The reservation found less stock than ordered. */
  'INSUFFICIENT_STOCK',
  /** The order names a SKU the catalogue does not have. */
  'UNKNOWN_PRODUCT',
  /** The order was already released (undone) when its reservation arrived: a late step, refused. */
  'ORDER_ALREADY_RELEASED',
  /** No carrier delivers to the shipping address. */
  'UNDELIVERABLE_ADDRESS',
  /** The shipment was cancelled before it was scheduled (a late step, refused). */
  'SHIPMENT_CANCELLED',
  /** The customer cancelled the order. */
  'CUSTOMER_CANCELLED',
  /** The carrier lost the parcel after the saga completed: the after-sale refund's reason (activities/order/shipment-loss.ts). */
  'SHIPMENT_LOST',
  /** The saga was cancelled through Temporal (an operator's cancel request), not by the customer. */
  'WORKFLOW_CANCELLED',
  /** A step ran out of time (Temporal's timeout, after its retries). */
  'STEP_TIMED_OUT',
  /** A fault injected on purpose (PUT /admin/faults, the chaos suite). */
  'INJECTED_FAULT',
  /** Anything else: a failure that carries no type listed below. */
  'UNCLASSIFIED',
] as const;

export type FailureReasonCode = (typeof failureReasonCodes)[number];

/** A reason as the saga hands it on: the code to act on, and the words to show. */
export interface FailureReason {
  reasonCode: FailureReasonCode;
  reason: string;
}

/**
 * What a compensating activity is told. `reasonCode` is absent only in commands a saga issued
 * before the code existed (still in flight across the deploy that added it).
 */
export interface CompensationCause {
  reason: string;
  reasonCode?: FailureReasonCode;
}

/**
 * The ApplicationFailure types the activities throw, and the code each means. `PaymentGatewayError`
 * is the name of the payment clients' retryable error (the SDK uses an error's name as the failure's
 * type); `PaymentGatewayRejected` is what the payment activity throws for a non-retryable one.
 */
export const failureTypeReasons: Readonly<Record<string, FailureReasonCode>> = {
  PaymentGatewayError: 'PAYMENT_GATEWAY_ERROR',
  PaymentGatewayRejected: 'PAYMENT_GATEWAY_ERROR',
  UndeliverableAddress: 'UNDELIVERABLE_ADDRESS',
  ShipmentCancelled: 'SHIPMENT_CANCELLED',
  InjectedFault: 'INJECTED_FAULT',
  // After the saga: a shipment's own workflow and the lost parcel's refund fail with these. No saga
  // step throws them and no order ends on them, so none is a reason a customer is given.
  UnknownShipment: 'UNCLASSIFIED',
  ShipmentNotInTransit: 'UNCLASSIFIED',
  UnknownOrder: 'UNCLASSIFIED',
  OrderNotRefundable: 'UNCLASSIFIED',
};

/**
 * The code of a failure chain (ActivityFailure → ApplicationFailure …): the first cause whose type
 * is listed, or a timeout; else `UNCLASSIFIED`.
 */
export function reasonCodeOfFailure(error: unknown): FailureReasonCode {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure && current.type) {
      const code = failureTypeReasons[current.type];
      if (code) return code;
    }
    if (current instanceof TimeoutFailure) return 'STEP_TIMED_OUT';
  }
  return 'UNCLASSIFIED';
}
