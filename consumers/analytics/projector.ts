/**
 * Turns events into the analytics database's counts and per-order facts. Runs inside the consumer's
 * transaction, so an event's effect and its "processed" mark commit together.
 *
 * An order's events come from several topics and can arrive in any order; each fact is merged so
 * that the result does not depend on arrival order (a status only moves to a later step).
 */
import type pg from 'pg';
import type { OrderStatus } from '../../platform/contracts/order.js';
import type { CloudEvent } from '../../platform/events/envelope.js';
import { kpisOf } from './kpi-metrics.js';

const statusRank: Partial<Record<OrderStatus, number>> = {
  PENDING: 0,
  PAYMENT_AUTHORIZED: 2,
  COMPLETED: 9,
  // After the saga: a lost parcel's refund (ShipmentWorkflow) moves a COMPLETED order on.
  REFUNDED: 10,
  REJECTED: 9,
  PAYMENT_DECLINED: 9,
  FAILED: 9,
  CANCELLED: 9,
};

interface FactUpdate {
  orderId: string;
  customerId: string;
  status?: OrderStatus;
  paymentChannel?: string;
  paymentOutcome?: 'authorized' | 'declined';
  amountMinor?: number;
  currency?: string;
  acceptedAt?: string;
  terminalAt?: string;
}

/** Merges the fact; returns the order's payment line as now known. */
async function mergeFact(tx: pg.PoolClient, fact: FactUpdate): Promise<string | undefined> {
  const rank = fact.status ? (statusRank[fact.status] ?? -1) : -1;
  const { rows } = await tx.query<{ paymentChannel: string | null }>(
    `INSERT INTO order_facts AS f (order_id, customer_id, status, status_rank, payment_channel, payment_outcome,
                                   amount_minor, currency, accepted_at, terminal_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (order_id) DO UPDATE SET
       status          = CASE WHEN EXCLUDED.status_rank > f.status_rank THEN EXCLUDED.status ELSE f.status END,
       status_rank     = GREATEST(EXCLUDED.status_rank, f.status_rank),
       payment_channel = COALESCE(EXCLUDED.payment_channel, f.payment_channel),
       payment_outcome = COALESCE(EXCLUDED.payment_outcome, f.payment_outcome),
       amount_minor    = COALESCE(EXCLUDED.amount_minor, f.amount_minor),
       currency        = COALESCE(EXCLUDED.currency, f.currency),
       accepted_at     = COALESCE(EXCLUDED.accepted_at, f.accepted_at),
       terminal_at     = COALESCE(EXCLUDED.terminal_at, f.terminal_at)
     RETURNING payment_channel AS "paymentChannel"`,
    [
      fact.orderId,
      fact.customerId,
      fact.status ?? null,
      rank,
      fact.paymentChannel ?? null,
      fact.paymentOutcome ?? null,
      fact.amountMinor ?? null,
      fact.currency ?? null,
      fact.acceptedAt ?? null,
      fact.terminalAt ?? null,
    ],
  );
  return rows[0]?.paymentChannel ?? undefined;
}

function factOf(event: CloudEvent): FactUpdate | undefined {
  const ref = { orderId: event.data.orderId, customerId: event.data.customerId };
  const terminal = { terminalAt: event.time };
  switch (event.type) {
    case 'order.v1.created': {
      const data = event.data as CloudEvent<'order.v1.created'>['data'];
      return { ...ref, status: 'PENDING', paymentChannel: data.paymentChannel, acceptedAt: data.acceptedAt };
    }
    case 'order.v1.payment_authorized': {
      const data = event.data as CloudEvent<'order.v1.payment_authorized'>['data'];
      return {
        ...ref,
        status: 'PAYMENT_AUTHORIZED',
        paymentOutcome: 'authorized',
        paymentChannel: data.channel,
        amountMinor: data.amountMinor,
        currency: data.currency,
      };
    }
    case 'order.v1.payment_declined': {
      const data = event.data as CloudEvent<'order.v1.payment_declined'>['data'];
      return { ...ref, ...terminal, status: 'PAYMENT_DECLINED', paymentOutcome: 'declined', paymentChannel: data.channel };
    }
    case 'order.v1.completed': {
      const data = event.data as CloudEvent<'order.v1.completed'>['data'];
      return {
        ...ref,
        ...terminal,
        status: 'COMPLETED',
        amountMinor: data.amountMinor,
        currency: data.currency,
        acceptedAt: data.acceptedAt,
      };
    }
    case 'order.v1.rejected':
      return { ...ref, ...terminal, status: 'REJECTED', acceptedAt: (event.data as CloudEvent<'order.v1.rejected'>['data']).acceptedAt };
    case 'order.v1.failed':
      return { ...ref, ...terminal, status: 'FAILED', acceptedAt: (event.data as CloudEvent<'order.v1.failed'>['data']).acceptedAt };
    case 'order.v1.cancelled':
      return { ...ref, ...terminal, status: 'CANCELLED', acceptedAt: (event.data as CloudEvent<'order.v1.cancelled'>['data']).acceptedAt };
    case 'order.v1.refunded':
      // The saga's end (terminal_at) stays when it was: the latency KPIs measure the saga.
      return { ...ref, status: 'REFUNDED', paymentChannel: (event.data as CloudEvent<'order.v1.refunded'>['data']).channel };
    default:
      return undefined; // counted only
  }
}

/** Applies the event inside the consumer's transaction; returns its KPI metrics, recorded once that has committed. */
export async function projectEvent(event: CloudEvent, tx: pg.PoolClient): Promise<void | (() => void)> {
  await tx.query(
    `INSERT INTO event_counts (event_type, count) VALUES ($1, 1)
     ON CONFLICT (event_type) DO UPDATE SET count = event_counts.count + 1`,
    [event.type],
  );
  const fact = factOf(event);
  const paymentChannel = fact ? await mergeFact(tx, fact) : undefined;
  return kpisOf(event, paymentChannel);
}
