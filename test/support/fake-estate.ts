/**
 * In-memory stand-ins for the services' activities, for workflow tests on a real Temporal server.
 * Typed against the real activity factories, so a renamed or reshaped activity breaks the tests.
 * Outcomes follow the same triggers as the real estate: the Stripe-style test cards, the scarce
 * SKU, the undeliverable postal code. `gate` holds a step until the test lets it go.
 *
 * `live` models what the real services would hold for each order once every call has finished:
 * a step's effect lands when the step finishes (after its gate), an undo removes only what is there
 * when it runs (like the real no-op undos). An undo that overtakes its step leaves the effect live.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { FulfillmentActivities } from '../../activities/fulfillment/activities.js';
import type { InventoryActivities } from '../../activities/inventory/activities.js';
import type { OrderActivities } from '../../activities/order/activities.js';
import type { PaymentActivities } from '../../activities/payment/activities.js';
import { demoCards, scarceProduct, UNDELIVERABLE_POSTAL_CODES } from '../../platform/contracts/demo-triggers.js';

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
  /** Attempts of `<orderId>:<activity>` that fail before one succeeds (a compensation's service down). */
  readonly failuresBefore = new Map<string, number>();
  /** What each order holds in the modelled services: 'stock', 'approval', 'shipment'. */
  readonly live = new Map<string, Set<'stock' | 'approval' | 'shipment'>>();
  /** `<activity>:start` / `<activity>:done` per order, in the order they happened. */
  readonly timeline: { orderId: string; event: string }[] = [];

  /** The events of one order's timeline. */
  timelineFor(orderId: string): string[] {
    return this.timeline.filter((entry) => entry.orderId === orderId).map((entry) => entry.event);
  }

  private hold(orderId: string, what: 'stock' | 'approval' | 'shipment'): void {
    const held = this.live.get(orderId) ?? new Set();
    held.add(what);
    this.live.set(orderId, held);
  }

  private drop(orderId: string, what: 'stock' | 'approval' | 'shipment'): void {
    this.live.get(orderId)?.delete(what);
  }

  liveFor(orderId: string): string[] {
    return [...(this.live.get(orderId) ?? [])].sort();
  }

  private failIfPlanned(orderId: string, activity: string): void {
    const key = `${orderId}:${activity}`;
    const left = this.failuresBefore.get(key) ?? 0;
    if (left <= 0) return;
    this.failuresBefore.set(key, left - 1);
    throw new Error(`${activity} failed: the service's database is unreachable (planned, ${left - 1} more)`);
  }

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
    this.timeline.push({ orderId, event: `${activity}:start` });
    const gate = this.gates.get(`${orderId}:${activity}`);
    if (gate) {
      gate.arrive();
      await gate.opened;
    }
    this.failIfPlanned(orderId, activity);
  }

  private finished(orderId: string, activity: string): void {
    this.timeline.push({ orderId, event: `${activity}:done` });
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
        if (input.cardNumber === demoCards.declined)
          return { outcome: 'declined', declineCode: 'card_declined', reason: 'Your card was declined.' };
        if (input.cardNumber === demoCards.insufficientFunds)
          return { outcome: 'declined', declineCode: 'insufficient_funds', reason: 'Your card has insufficient funds.' };
        this.hold(input.orderId, 'approval');
        this.finished(input.orderId, 'authorizePayment');
        return {
          outcome: 'approved',
          paymentId: `pay_${input.orderId.slice(0, 8)}`,
          approvalCode: '12345678',
          approvedAt: new Date().toISOString(),
        };
      },
      voidPayment: async (input) => {
        await this.record(input.orderId, 'voidPayment', input);
        this.drop(input.orderId, 'approval');
        this.finished(input.orderId, 'voidPayment');
        return { voided: true, paymentId: input.paymentId ?? `pay_${input.orderId.slice(0, 8)}` };
      },
    };
  }

  inventoryActivities(): InventoryActivities {
    return {
      reserveStock: async (input) => {
        await this.record(input.orderId, 'reserveStock', input);
        const { sku, quantity: available } = scarceProduct;
        const short = input.items.filter((item) => item.sku === sku && item.quantity > available);
        if (short.length > 0) {
          return {
            outcome: 'rejected',
            reasonCode: 'INSUFFICIENT_STOCK',
            reason: `insufficient stock for ${sku}`,
            shortages: [{ sku, requested: short[0]!.quantity, available }],
          };
        }
        const lines = input.items.map((item) => ({ ...item, unitPriceMinor: 10_000 }));
        this.hold(input.orderId, 'stock');
        this.finished(input.orderId, 'reserveStock');
        return {
          outcome: 'reserved',
          reservation: {
            orderId: input.orderId,
            status: 'RESERVED',
            lines,
            totalMinor: lines.reduce((sum, line) => sum + line.quantity * 10_000, 0),
            currency: 'KRW',
          },
        };
      },
      releaseStock: async (input) => {
        await this.record(input.orderId, 'releaseStock', input);
        const held = this.live.get(input.orderId)?.has('stock') ?? false;
        this.drop(input.orderId, 'stock');
        this.finished(input.orderId, 'releaseStock');
        return held;
      },
      commitStock: async (input) => {
        await this.record(input.orderId, 'commitStock', input);
        this.drop(input.orderId, 'stock');
        this.hold(input.orderId, 'shipment');
        this.finished(input.orderId, 'commitStock');
      },
    };
  }

  /** The saga's fulfillment steps (the carrier's, for ShipmentWorkflow, are faked in test/workflow/shipment-workflow.test.ts). */
  fulfillmentActivities(): Pick<FulfillmentActivities, 'scheduleShipment' | 'cancelShipment'> {
    return {
      scheduleShipment: async (input) => {
        await this.record(input.orderId, 'scheduleShipment', input);
        if (UNDELIVERABLE_POSTAL_CODES.has(input.shippingAddress.postalCode)) {
          throw ApplicationFailure.nonRetryable(
            `no carrier delivers to postal code ${input.shippingAddress.postalCode}`,
            'UndeliverableAddress',
          );
        }
        this.hold(input.orderId, 'shipment');
        this.finished(input.orderId, 'scheduleShipment');
        return {
          shipmentId: `shp_${input.orderId}`,
          orderId: input.orderId,
          customerId: input.customerId,
          status: 'SCHEDULED',
          carrier: 'cj-logistics',
          address: input.shippingAddress,
          lines: input.items,
          estimatedDelivery: '2026-12-01',
          scheduledAt: new Date().toISOString(),
        };
      },
      cancelShipment: async (input) => {
        await this.record(input.orderId, 'cancelShipment', input);
        const held = this.live.get(input.orderId)?.has('shipment') ?? false;
        this.drop(input.orderId, 'shipment');
        this.finished(input.orderId, 'cancelShipment');
        return held;
      },
    };
  }
}
