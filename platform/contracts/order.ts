/**
 * The order contract shared by the gateway, the order service and the workflow: one zod schema
 * gives both the runtime check and the TypeScript type.
 *
 * Two shapes of one order (docs/decisions.md, "Card data"): what a client sends the gateway
 * (`orderRequestSchema`, with the card number), and what the gateway relays to the order service
 * once payment-sim's vault has exchanged that number for a token (`orderSchema`, with the token and
 * the card's last four digits, brand and Luhn check). From the order service inward only the
 * token travels: the order's database, its outbox, the workflow input, activity arguments, the
 * payment lines.
 */
import { z } from 'zod';

export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,31}$/;

export const paymentChannels = ['http', 'tcp'] as const;
export type PaymentChannel = (typeof paymentChannels)[number];

export const orderLineSchema = z.strictObject({
  sku: z.string().regex(SKU_PATTERN, 'must be an upper-case SKU such as KB-001'),
  quantity: z.number().int().min(1).max(100),
});

/** A card number as a client types it: separators (spaces, dashes) are dropped, 12–19 digits remain. */
export const cardNumberSchema = z
  .string()
  .transform((raw) => raw.replace(/[\s-]/g, ''))
  .pipe(z.string().regex(/^\d{12,19}$/, 'must be 12 to 19 digits'));

/**
 * A vault token (payment-sim/vault.ts): `tok_` and 20 URL-safe characters, 24 in all (the 전문's
 * cardToken field). It carries no digit of the card; only the vault can turn it back.
 */
export const CARD_TOKEN_PATTERN = /^tok_[A-Za-z0-9_-]{20}$/;
export const CARD_TOKEN_LENGTH = 24;
export const cardTokenSchema = z.string().regex(CARD_TOKEN_PATTERN, 'must be a card token from the vault (tok_ and 20 characters)');

/** What the vault answers for a card, and what stands in for it from the gateway inward. */
export const tokenizedCardSchema = z.strictObject({
  cardToken: cardTokenSchema,
  last4: z.string().regex(/^\d{4}$/),
  brand: z.string().min(1).max(16),
  /** The number's Luhn check digit is right; a wrong one is declined in payment preparation (docs/saga.md). */
  luhnValid: z.boolean(),
});
export type TokenizedCard = z.infer<typeof tokenizedCardSchema>;

/** The order a client sends the gateway (the public request, with the card number). */
export const orderRequestSchema = z.strictObject({
  customerId: z.string().min(1).max(64),
  items: z
    .array(orderLineSchema)
    .min(1)
    .max(50)
    .refine((items) => new Set(items.map((item) => item.sku)).size === items.length, {
      message: 'each SKU may appear only once',
    }),
  payment: z.strictObject({
    channel: z.enum(paymentChannels),
    cardNumber: cardNumberSchema,
  }),
  shippingAddress: z.strictObject({
    name: z.string().min(1).max(100),
    line1: z.string().min(1).max(200),
    city: z.string().min(1).max(100),
    postalCode: z.string().min(3).max(16),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as KR'),
  }),
});

export type OrderRequest = z.infer<typeof orderRequestSchema>;

/** The order from the gateway inward: the card is a vault token (docs/decisions.md). A card number is refused. */
export const orderSchema = orderRequestSchema.extend({
  payment: tokenizedCardSchema.extend({ channel: z.enum(paymentChannels) }),
});
export type Order = z.infer<typeof orderSchema>;

/**
 * The payment of a saga started before tokenization: the card number itself. Only recorded
 * histories and sagas still in flight from then carry it; the workflow and the payment activities
 * still accept it (and the activities tokenize it before it goes further).
 */
export interface LegacyCardPayment {
  channel: PaymentChannel;
  cardNumber: string;
}
/** An order as a workflow input may hold it: tokenized, or (older sagas) with the card number. */
export type SagaOrder = Omit<Order, 'payment'> & { payment: Order['payment'] | LegacyCardPayment };

export function isLegacyPayment(payment: SagaOrder['payment']): payment is LegacyCardPayment {
  return 'cardNumber' in payment;
}

/** The body of `POST /orders/:orderId/cancel`, checked by the gateway and again by the order service. */
export const cancelRequestSchema = z.strictObject({ reason: z.string().min(1).max(500).optional() });
export type CancelRequest = z.infer<typeof cancelRequestSchema>;
export type OrderLine = z.infer<typeof orderLineSchema>;

/**
 * How an order ends. The saga ends in one of the first five; REFUNDED comes later, after COMPLETED,
 * when the carrier lost the parcel and the payment was refunded (ShipmentWorkflow,
 * docs/saga.md#a-shipments-life): the only status an order enters after its saga has ended.
 */
export const terminalStatuses = ['COMPLETED', 'REJECTED', 'PAYMENT_DECLINED', 'FAILED', 'CANCELLED', 'REFUNDED'] as const;
export const orderStatuses = ['PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'SHIPMENT_SCHEDULED', ...terminalStatuses] as const;
export type OrderStatus = (typeof orderStatuses)[number];
export type TerminalStatus = (typeof terminalStatuses)[number];

export function isTerminal(status: OrderStatus): status is TerminalStatus {
  return (terminalStatuses as readonly string[]).includes(status);
}

/** Only the last four digits of a card are shown anywhere (the number itself stays in the vault). */
export function maskCardNumber(cardNumber: string): string {
  return `${'*'.repeat(Math.max(cardNumber.length - 4, 0))}${cardNumber.slice(-4)}`;
}
