/**
 * Trace context inside the telegram: the reserved header field carries the sender's W3C
 * traceparent, read and written through the standard propagation API, so any OpenTelemetry
 * propagator configuration (and an APM such as Instana that reads traceparent) just works.
 * Shared by the client (CLIENT spans, inject) and the simulator (SERVER spans, extract).
 */
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import type { RequestType, Telegram } from './layout.js';

export const RPC_SYSTEM = 'ordersaga-telegram';
export const RPC_SERVICE = 'PaymentTelegram';

export const rpcMethodOf: Record<RequestType, string> = { '0200': 'Approve', '0420': 'Reverse', '0800': 'Echo' };

/** `PaymentTelegram/Approve`: the RPC span name convention, `{rpc.service}/{rpc.method}`. */
export function telegramSpanName(type: RequestType): string {
  return `${RPC_SERVICE}/${rpcMethodOf[type]}`;
}

/** Only `traceparent` has a field; `tracestate` and baggage do not travel on this line. */
export const telegramGetter: TextMapGetter<Telegram> = {
  keys: () => ['traceparent'],
  get: (telegram, key) => (key === 'traceparent' && telegram.traceparent !== '' ? telegram.traceparent : undefined),
};

export const telegramSetter: TextMapSetter<Telegram> = {
  set: (telegram, key, value) => {
    // The field is exactly a version-00 traceparent wide; anything else would not fit it.
    if (key === 'traceparent' && value.length <= 55) telegram.traceparent = value;
  },
};
