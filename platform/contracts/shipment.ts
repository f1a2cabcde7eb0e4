/**
 * What ShipmentWorkflow (workflows/shipment.ts) and its callers agree on: a shipment's statuses, the
 * workflow's input and id, and the query that answers its progress. The workflow bundle imports it,
 * so it holds types and definitions only. docs/saga.md#a-shipments-life tells the story.
 *
 *   SCHEDULED ──the order COMPLETED, pickup──▶ SHIPPED ──transit──▶ DELIVERED
 *       │                    └───────────────▶ LOST (the order is refunded: REFUNDED)
 *       └─ the saga's undo ─▶ CANCELLED (only before pickup)
 */
import { defineQuery } from '@temporalio/workflow';

export const shipmentStatuses = ['SCHEDULED', 'SHIPPED', 'DELIVERED', 'LOST', 'CANCELLED'] as const;
export type ShipmentStatus = (typeof shipmentStatuses)[number];

/** The simulated carrier's clock, in milliseconds (CARRIER_PICKUP_AFTER_MS, CARRIER_TRANSIT_MS). */
export interface CarrierClock {
  pickupAfterMs: number;
  transitMs: number;
}

/**
 * The clock is part of the input, read from the configuration when the shipment is scheduled: a
 * workflow must not read configuration, and a shipment keeps the pace it started with.
 */
export interface ShipmentWorkflowInput {
  shipmentId: string;
  orderId: string;
  customerId: string;
  clock: CarrierClock;
}

/** The workflow id is the shipment id: a retried start can never start a second carrier run. */
export function shipmentWorkflowIdFor(shipmentId: string): string {
  return shipmentId;
}

/** An order has at most one shipment, and its id is the order's: fulfillment schedules it, the order service starts its run. */
export function shipmentIdFor(orderId: string): string {
  return `shp_${orderId}`;
}

/**
 * The workflow type a new shipment's run starts as (workflows/shipment.ts): v2, started by the order
 * service once the order COMPLETED, so it never asks for the order's status. Runs of the first
 * type, `ShipmentWorkflow` (started at scheduling, polling the order until it completed), finish on
 * the same worker.
 */
export const shipmentWorkflowType = 'ShipmentWorkflowV2';
/** The first type: started at scheduling, only for sagas whose order worker predates v2 (a rolling upgrade). */
export const firstShipmentWorkflowType = 'ShipmentWorkflow';

/** What the carrier reported at the end of the transit. */
export type ShipmentArrival = { status: 'DELIVERED' } | { status: 'LOST'; reason: string };

/** The workflow's live state, answered by its `shipmentState` query. */
export interface ShipmentState {
  shipmentId: string;
  orderId: string;
  status: ShipmentStatus;
  /** After a loss: whether the order's refund is done (it is retried until it is). */
  refund?: 'pending' | 'done';
  /**
   * Why the carrier never took it: the order's saga ended without completing (its undo cancels the
   * shipment; the carrier must not take it meanwhile).
   */
  abandoned?: string;
}

export const shipmentStateQuery = defineQuery<ShipmentState>('shipmentState');
