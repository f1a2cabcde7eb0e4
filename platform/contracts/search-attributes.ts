/**
 * Custom search attributes, so a user can filter sagas in the Temporal Web UI, e.g.
 * `OrderStatus = "FAILED" AND PaymentChannel = "tcp"`. The dev server registers them at start
 * (infra/local/temporal/start.sh); a cluster needs `temporal operator search-attribute create` once.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OrderStatusAttribute = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const PaymentChannelAttribute = defineSearchAttributeKey('PaymentChannel', SearchAttributeType.KEYWORD);
/**
 * The compensations of an unwinding saga whose last round failed (e.g. `["cancelShipment"]`);
 * absent when none is failing. `CompensationFailing IS NOT NULL` lists every saga stuck undoing.
 */
export const CompensationFailingAttribute = defineSearchAttributeKey('CompensationFailing', SearchAttributeType.KEYWORD_LIST);

export const searchAttributeRegistrations = {
  OrderStatus: 'Keyword',
  CustomerId: 'Keyword',
  PaymentChannel: 'Keyword',
  CompensationFailing: 'KeywordList',
} as const;
