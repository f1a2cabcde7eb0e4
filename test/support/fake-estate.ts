/**
 * In-memory stand-ins for the services' activities, for workflow tests on a real Temporal server.
 * Typed against the real activity factories, so a renamed or reshaped activity breaks the tests.
 * Outcomes follow the same triggers as the real estate: the Stripe-style test cards, the scarce
 * SKU, the undeliverable postal code. `gate` holds a step until the test lets it go.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { FulfillmentActivities } from '../../activities/fulfillment/activities.js';
import type { InventoryActivities } from '../../activities/inventory/activities.js';
import type { OrderActivities } from '../../activities/order/activities.js';
import type { PaymentActivities } from '../../activities/payment/activities.js';

export interface Call {
  orderId: string;
  activity: string;
  input: unknown;
}

export class FakeEstate {
  readonly calls: Call[] = [];
  private readonly gates = new Map<string, { opened: Promise<void>; open: () => void; reached: Promise<void>; arrive: () => void }>();
  /** Authorizations that fail with a gateway error before succeeding, per order. */
  readonly gatewayFailures = new Map<string, number>();

  /** Holds `activity` for `orderId` until `release(orderId, activity)`. */
  gate(orderId: string, activity: string): { reached: Promise<void> } {
    let open!: () => void;
    let arrive!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    this.gates.set(`${orderId}:${activity}`, { opened, open, reached, arrive });
    return { reached };
  }

  release(orderId: string, activity: string): void {
    this.gates.get(`${orderId}:${activity}`)?.open();
  }

  callsFor(orderId: string): string[] {
    return this.calls.filter((call) => call.orderId === orderId).map((call) => call.activity);
  }

  private async record(orderId: string, activity: string, input: unknown): Promise<void> {
    this.calls.push({ orderId, activity, input });
    const gate = this.gates.get(`${orderId}:${activity}`);
    if (gate) {
      gate.arrive();
      await gate.opened;
    }
  }

  orderActivities(): OrderActivities {
    return {
      recordOrderAccepted: async (input) => this.record(input.orderId, 'recordOrderAccepted', input),
      recordOrderTransition: async (input) => this.record(input.orderId, `status:${input.transition.status}`, input),
    };
  }

  paymentActivities(): PaymentActivities {
    return {
      preparePayment: async (input) => {
        await this.record(input.orderId, 'preparePayment', input);
        return { outcome: 'ready', amountMinor: input.subtotalMinor + 3000, currency: input.currency, cardBrand: 'visa' };
      },
      authorizePayment: async (input) => {
        await this.record(input.orderId, 'authorizePayment', input);
        const failuresLeft = this.gatewayFailures.get(input.orderId) ?? 0;
        if (failuresLeft > 0) {
          this.gatewayFailures.set(input.orderId, failuresLeft - 1);
          throw new Error('payment gateway answered 503');
        }
        if (input.cardNumber === '4000000000000002') return { outcome: 'declined', declineCode: 'card_declined', reason: 'Your card was declined.' };
        if (input.cardNumber === '4000000000009995') return { outcome: 'declined', declineCode: 'insufficient_funds', reason: 'Your card has insufficient funds.' };
        return { outcome: 'approved', paymentId: `pay_${input.orderId.slice(0, 8)}`, approvalCode: '12345678', approvedAt: new Date().toISOString() };
      },
      voidPayment: async (input) => {
        await this.record(input.orderId, 'voidPayment', input);
        return { voided: true, paymentId: input.paymentId ?? `pay_${input.orderId.slice(0, 8)}` };
      },
    };
  }

  inventoryActivities(): InventoryActivities {
    return {
      reserveStock: async (input) => {
        await this.record(input.orderId, 'reserveStock', input);
        const short = input.items.filter((item) => item.sku === 'LTD-024' && item.quantity > 3);
        if (short.length > 0) {
          return { outcome: 'rejected', reason: 'insufficient stock for LTD-024', shortages: [{ sku: 'LTD-024', requested: short[0]!.quantity, available: 3 }] };
        }
        const lines = input.items.map((item) => ({ ...item, unitPriceMinor: 10_000 }));
        return {
          outcome: 'reserved',
          reservation: { orderId: input.orderId, status: 'RESERVED', lines, totalMinor: lines.reduce((sum, line) => sum + line.quantity * 10_000, 0), currency: 'KRW' },
        };
      },
      releaseStock: async (input) => {
        await this.record(input.orderId, 'releaseStock', input);
        return true;
      },
      commitStock: async (input) => this.record(input.orderId, 'commitStock', input),
    };
  }

  fulfillmentActivities(): FulfillmentActivities {
    return {
      scheduleShipment: async (input) => {
        await this.record(input.orderId, 'scheduleShipment', input);
        if (input.shippingAddress.postalCode === '99999') {
          throw ApplicationFailure.nonRetryable('no carrier delivers to postal code 99999', 'UndeliverableAddress');
        }
        return {
          shipmentId: `shp_${input.orderId}`,
          orderId: input.orderId,
          customerId: input.customerId,
          status: 'SCHEDULED',
          carrier: 'cj-logistics',
          address: input.shippingAddress,
          lines: input.items,
          estimatedDelivery: '2026-12-01',
        };
      },
      cancelShipment: async (input) => {
        await this.record(input.orderId, 'cancelShipment', input);
        return true;
      },
    };
  }
}
