/**
 * Custom search attributes, so a user can filter sagas in the Temporal Web UI, e.g.
 * `OrderStatus = "FAILED" AND PaymentChannel = "tcp"`. The dev server registers them at start
 * (infra/temporal/start.sh); a cluster needs `temporal operator search-attribute create` once.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OrderStatusAttribute = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const PaymentChannelAttribute = defineSearchAttributeKey('PaymentChannel', SearchAttributeType.KEYWORD);

export const searchAttributeRegistrations = {
  OrderStatus: 'Keyword',
  CustomerId: 'Keyword',
  PaymentChannel: 'Keyword',
} as const;
