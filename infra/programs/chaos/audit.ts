/**
 * The chaos run's audit: the estate's own auditor (`make check`, infra/programs/checks/auditor.ts) scoped to
 * the orders this run got accepted, and the one violation `--plant-violation` makes on purpose to
 * show the run can fail: a completed order's reservation released behind the saga's back, straight
 * in inventory's database, and put back once the audit has looked.
 */
import pg from 'pg';
import { config } from '../../../platform/config.js';
import { audit } from '../checks/auditor.js';
import type { AuditSummary } from './report.js';

export async function auditOrders(orderIds: string[], deadlineMs: number): Promise<AuditSummary> {
  const report = await audit({ scope: { orderIds }, deadlineMs, graceMs: deadlineMs });
  return {
    orders: report.orders,
    byStatus: report.byStatus,
    violations: report.rules.flatMap((rule) =>
      rule.violations.map((violation) => ({
        rule: violation.rule,
        message: violation.message,
        ...(violation.orderId && { orderId: violation.orderId }),
      })),
    ),
    errors: [
      ...report.errors.map((error) => `${error.source}: ${error.message}`),
      ...report.rules.filter((rule) => rule.error).map((rule) => `${rule.rule}: ${rule.error}`),
    ],
    durationMs: report.durationMs,
  };
}

const PLANTED_REASON = 'planted by make chaos --plant-violation';

export interface PlantedViolation {
  orderId: string;
  what: string;
  undo: () => Promise<void>;
}

/**
 * Marks the SHIPPED reservation of one of `completedOrderIds` RELEASED, without touching stock: the
 * saga thinks the goods left, inventory thinks they came back. Undo puts it back exactly.
 */
export async function plantReleasedReservation(completedOrderIds: string[]): Promise<PlantedViolation | undefined> {
  const client = new pg.Client({ connectionString: config().INVENTORY_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ order_id: string; old_reason: string | null }>(
      `WITH target AS (
         SELECT order_id, reason FROM reservations WHERE order_id = ANY($1::uuid[]) AND status = 'SHIPPED' LIMIT 1 FOR UPDATE
       )
       UPDATE reservations r SET status = 'RELEASED', reason = $2, updated_at = now() FROM target
       WHERE r.order_id = target.order_id
       RETURNING r.order_id, target.reason AS old_reason`,
      [completedOrderIds, PLANTED_REASON],
    );
    const planted = rows[0];
    if (!planted) return undefined;
    return {
      orderId: planted.order_id,
      what: 'a SHIPPED reservation marked RELEASED in the inventory database',
      undo: async () => {
        const undoClient = new pg.Client({ connectionString: config().INVENTORY_DATABASE_URL });
        await undoClient.connect();
        try {
          await undoClient.query(
            `UPDATE reservations SET status = 'SHIPPED', reason = $3, updated_at = now() WHERE order_id = $1 AND status = 'RELEASED' AND reason = $2`,
            [planted.order_id, PLANTED_REASON, planted.old_reason],
          );
        } finally {
          await undoClient.end();
        }
      },
    };
  } finally {
    await client.end();
  }
}
