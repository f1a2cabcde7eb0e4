/**
 * payment-sim with its ledger in memory only, for bench/payment-channels.ts: the same simulator as
 * payment-sim/main.ts minus the database, so one run can show what durability costs on the same
 * host load. Not a way to run the estate: its ledger forgets everything when it stops.
 */
import { config } from '../platform/config.js';
import { runService } from '../platform/service.js';
import { startPaymentSim } from '../payment-sim/server.js';

await runService('payment-sim', async () => {
  const sim = await startPaymentSim({ httpPort: config().PAYMENT_SIM_HTTP_PORT, tcpPort: config().PAYMENT_SIM_TCP_PORT });
  return [() => sim.close()];
});
