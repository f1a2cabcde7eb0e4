/**
 * payment-sim: the simulated card gateway. One ledger and one card vault (PostgreSQL,
 * PAYMENT_DATABASE_URL; the ledger journalled first on local disk when PAYMENT_LEDGER_JOURNAL_DIR is set) and one set of scenarios behind two lines: the HTTP API
 * (PAYMENT_SIM_HTTP_PORT) and the legacy TCP 전문 server (PAYMENT_SIM_TCP_PORT, at most
 * PAYMENT_SIM_TCP_MAX_CONNECTIONS connections at once).
 */
import { config } from '../platform/config.js';
import { runService } from '../platform/service.js';
import { startPaymentSim } from './server.js';

await runService('payment-sim', async () => {
  const sim = await startPaymentSim({
    httpPort: config().PAYMENT_SIM_HTTP_PORT,
    tcpPort: config().PAYMENT_SIM_TCP_PORT,
    databaseUrl: config().PAYMENT_DATABASE_URL,
    ...(config().PAYMENT_LEDGER_JOURNAL_DIR ? { journal: { dir: config().PAYMENT_LEDGER_JOURNAL_DIR } } : {}),
    tcp: { maxConnections: config().PAYMENT_SIM_TCP_MAX_CONNECTIONS },
  });
  return [() => sim.close()];
});
