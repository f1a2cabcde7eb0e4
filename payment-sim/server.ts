/**
 * Starts the whole simulator — one ledger and one set of scenarios behind both lines — in the
 * current process. The service entry point uses it with the configured ports; tests and the
 * benchmark use it with port 0.
 */
import type { AddressInfo } from 'node:net';
import { closeHttpServer, startHttpServer } from '../platform/http.js';
import { createPaymentApi } from './http-api.js';
import { PaymentSimulator } from './simulator.js';
import { startTelegramServer, type RunningTelegramServer, type TelegramServerOptions } from './tcp-server.js';

export interface PaymentSimOptions {
  httpPort: number;
  tcpPort: number;
  tcp?: Omit<TelegramServerOptions, 'port'>;
}

export interface RunningPaymentSim {
  simulator: PaymentSimulator;
  httpUrl: string;
  /** host:port, the form PAYMENT_TCP_ADDRESS takes. */
  tcpAddress: string;
  tcp: RunningTelegramServer;
  close(): Promise<void>;
}

export async function startPaymentSim(options: PaymentSimOptions): Promise<RunningPaymentSim> {
  const simulator = new PaymentSimulator();
  const http = await startHttpServer(createPaymentApi(simulator), options.httpPort, 'payment-sim HTTP API');
  const tcp = await startTelegramServer(simulator, { ...options.tcp, port: options.tcpPort }).catch(async (error: unknown) => {
    await closeHttpServer(http);
    throw error;
  });
  const { port: httpPort } = http.address() as AddressInfo;
  return {
    simulator,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    tcpAddress: `127.0.0.1:${tcp.port}`,
    tcp,
    async close() {
      // Held requests (scenario timeouts) are let go first, or closing would wait on them forever.
      simulator.releaseAll();
      await Promise.all([closeHttpServer(http), tcp.close()]);
    },
  };
}
