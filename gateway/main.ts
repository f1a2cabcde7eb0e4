/** The gateway process: the public REST edge on GATEWAY_PORT (8080). */
import { config } from '../platform/config.js';
import { closeHttpServer, startHttpServer } from '../platform/http.js';
import { runService } from '../platform/service.js';
import { createGatewayApp } from './app.js';

await runService('gateway', async () => {
  const server = await startHttpServer(createGatewayApp(config()), config().GATEWAY_PORT, 'gateway');
  return [() => closeHttpServer(server)];
});
