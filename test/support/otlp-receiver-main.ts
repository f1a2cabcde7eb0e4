/**
 * The test suite's OTLP receiver as a process: `node --import tsx test/support/otlp-receiver-main.ts`.
 * infra/local/test.sh starts it before the services and points their exporters at it
 * (`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4319`), so it holds every span, metric and log
 * record the estate exports for the whole run, whichever test file asks. Port: OTLP_RECEIVER_PORT
 * (default 4319, beside an Instana agent's 4318). Stops on SIGINT/SIGTERM.
 */
import { startOtlpReceiver } from './otlp-receiver.js';

const port = Number(process.env.OTLP_RECEIVER_PORT ?? 4319);
const host = process.env.OTLP_RECEIVER_HOST ?? '127.0.0.1';

const receiver = await startOtlpReceiver({ port, host }).catch((error: NodeJS.ErrnoException) => {
  console.error(
    error.code === 'EADDRINUSE'
      ? `[otlp-receiver] port ${port} is already in use; stop that process or set OTLP_RECEIVER_PORT`
      : `[otlp-receiver] cannot start: ${error.message}`,
  );
  process.exit(1);
});
console.log(`[otlp-receiver] listening on ${receiver.url} (POST /v1/traces, /v1/metrics, /v1/logs; GET /api/status)`);

const stop = async (signal: string) => {
  const { spans, metricSeries, logs } = receiver.store.status();
  console.log(`[otlp-receiver] ${signal}: stopping with ${spans} spans, ${metricSeries} metric series, ${logs} log records`);
  await receiver.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
