/** The two payment lines the order worker can use, configured from the environment. */
import { config } from '../../platform/config.js';
import type { PaymentChannel } from '../../platform/contracts/order.js';
import type { PaymentGateway } from './gateway.js';
import { HttpPaymentGateway } from './http-gateway.js';
import { TcpPaymentGateway } from './tcp/gateway.js';

export function paymentGateways(): { http: HttpPaymentGateway; tcp: TcpPaymentGateway } & Record<PaymentChannel, PaymentGateway> {
  const { PAYMENT_HTTP_URL, PAYMENT_TCP_ADDRESS, HTTP_CLIENT_TIMEOUT_MS } = config();
  return {
    http: new HttpPaymentGateway({ baseUrl: PAYMENT_HTTP_URL, timeoutMs: HTTP_CLIENT_TIMEOUT_MS }),
    tcp: new TcpPaymentGateway({ address: PAYMENT_TCP_ADDRESS }),
  };
}
