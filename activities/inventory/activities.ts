/**
 * Inventory activities (task queue `inventory`). Each is idempotent per order: a retry finds the
 * reservation it made and publishes the same event again, which consumers recognise by its id.
 */
import { logger } from '../../platform/logger.js';
import type { EventPublisher } from '../../platform/kafka.js';
import type { OrderLine } from '../../platform/contracts/order.js';
import type { CompensationCause } from '../../platform/contracts/failure-reasons.js';
import { businessMetrics, compensationReason } from '../../platform/telemetry/metrics.js';
import type { InventoryStore, ReserveResult } from './store.js';

export interface ReserveStockInput {
  orderId: string;
  customerId: string;
  items: OrderLine[];
}

const log = logger('inventory');

export function createInventoryActivities(store: InventoryStore, events: EventPublisher) {
  return {
    async reserveStock(input: ReserveStockInput): Promise<ReserveResult> {
      const result = await store.reserve(input.orderId, input.items);
      const ref = { orderId: input.orderId, customerId: input.customerId };
      if (result.outcome === 'reserved') {
        const { lines, totalMinor, currency } = result.reservation;
        await events.emit('inventory.v1.reserved', { ...ref, lines, totalMinor, currency });
      } else {
        await events.emit('inventory.v1.rejected', { ...ref, reason: result.reason, shortages: result.shortages });
      }
      businessMetrics().inventoryReserved.add(1, { outcome: result.outcome });
      return result;
    },

    /** Compensation: puts reserved stock back. Safe to call for an order that reserved nothing. */
    async releaseStock(input: { orderId: string; customerId: string } & CompensationCause): Promise<boolean> {
      const reservation = await store.release(input.orderId, input.reason);
      if (reservation?.status !== 'RELEASED') return false;
      if (reservation.lines.length === 0) {
        // The tombstone of an order that never reserved: no stock moved, so no event; the log line
        // is the mark that the undo came first (a late reserve for this order will now refuse).
        log.info({ orderId: input.orderId }, 'nothing was reserved; the order is closed to later reserves');
        return false;
      }
      await events.emit('inventory.v1.released', { orderId: input.orderId, customerId: input.customerId, reason: input.reason });
      businessMetrics().orderCompensations.add(1, {
        compensation: 'release_stock',
        reason: compensationReason(input.reasonCode),
      });
      return true;
    },

    /** The order shipped: its reserved stock becomes shipped stock. */
    async commitStock(input: { orderId: string }): Promise<void> {
      await store.commit(input.orderId);
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
