/**
 * The order contract shared by the gateway, the order service and the workflow: one zod schema
 * gives both the runtime check and the TypeScript type.
 */
import { z } from 'zod';

export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,31}$/;

export const paymentChannels = ['http', 'tcp'] as const;
export type PaymentChannel = (typeof paymentChannels)[number];

export const orderLineSchema = z.strictObject({
  sku: z.string().regex(SKU_PATTERN, 'must be an upper-case SKU such as KB-001'),
  quantity: z.number().int().min(1).max(100),
});

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
    cardNumber: z
      .string()
      .transform((raw) => raw.replace(/[\s-]/g, ''))
      .pipe(z.string().regex(/^\d{12,19}$/, 'must be 12 to 19 digits')),
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

/** The body of `POST /orders/:orderId/cancel`, checked by the gateway and again by the order service. */
export const cancelRequestSchema = z.strictObject({ reason: z.string().min(1).max(500).optional() });
export type CancelRequest = z.infer<typeof cancelRequestSchema>;
export type OrderLine = z.infer<typeof orderLineSchema>;

export const terminalStatuses = ['COMPLETED', 'REJECTED', 'PAYMENT_DECLINED', 'FAILED', 'CANCELLED'] as const;
export const orderStatuses = [
  'PENDING',
  'STOCK_RESERVED',
  'PAYMENT_AUTHORIZED',
  'SHIPMENT_SCHEDULED',
  ...terminalStatuses,
] as const;
export type OrderStatus = (typeof orderStatuses)[number];
export type TerminalStatus = (typeof terminalStatuses)[number];

export function isTerminal(status: OrderStatus): status is TerminalStatus {
  return (terminalStatuses as readonly string[]).includes(status);
}

/** Only the last four digits of a card ever leave the order service. */
export function maskCardNumber(cardNumber: string): string {
  return `${'*'.repeat(Math.max(cardNumber.length - 4, 0))}${cardNumber.slice(-4)}`;
}
