/**
 * Preloaded into every process (through platform/telemetry/preload.mjs),
 * before any instrumented library is imported. Registers the ESM loader hook so instrumentations
 * see `pg`, `kafkajs` and `http` even when they are imported from ES modules, then starts the SDK.
 */
import { register } from 'node:module';
import { cacheInstrumentationResolutions } from './resolve-cache.js';
import { startTelemetry } from './sdk.js';

if (process.env.OTEL_SDK_DISABLED !== 'true') {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  cacheInstrumentationResolutions();
}
startTelemetry();
