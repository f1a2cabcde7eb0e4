/**
 * The life of one service process: start its parts, log where it listens, and stop them in reverse
 * order, flush telemetry, and exit. Three things stop a service:
 *
 * - SIGINT/SIGTERM: the stop sequence, then exit 0;
 * - a part that must run for as long as the process does (a Temporal worker's `run()`) failing or
 *   ending by itself, or an error nobody caught: a fatal log line naming the part and the cause, the
 *   same stop sequence, then exit 1, so a supervisor (`make up`, compose, Kubernetes) restarts a
 *   process that would otherwise linger with its HTTP API up and no worker behind it;
 * - a part that fails to start: a message naming it, exit 1.
 *
 * The stop sequence has a deadline (SHUTDOWN_TIMEOUT_MS): a part that hangs while stopping does not
 * keep a broken process alive.
 */
import { config } from './config.js';
import { logger, setServiceName } from './logger.js';
import { stopTelemetry } from './telemetry/sdk.js';

export type Stop = () => Promise<void>;

/** What a service's start function is handed. */
export interface ServiceLifecycle {
  /**
   * Watches a part that runs for the life of the process, e.g. `watch('Temporal worker (task queue
   * orders)', running)`. When `running` rejects, or resolves while the service is not stopping, the
   * service stops through its stop sequence and exits 1.
   */
  watch(part: string, running: Promise<unknown>): void;
}

let stopping = false;

/** True once the stop sequence has begun; readiness answers 503 from then on (platform/health.ts). */
export function isStopping(): boolean {
  return stopping;
}

export async function runService(name: string, start: (lifecycle: ServiceLifecycle) => Promise<Stop[]>): Promise<void> {
  setServiceName(name);
  const log = logger('service');
  let stops: Stop[] | undefined;
  /** A part that failed while the others were still starting: acted on once start() has returned its stops. */
  let failedDuringStart: { part: string; error: unknown } | undefined;

  const stopAndExit = async (exitCode: number) => {
    const deadlineMs = config().SHUTDOWN_TIMEOUT_MS;
    setTimeout(() => {
      log.error({ deadlineMs }, `${name}: stop sequence did not finish within ${deadlineMs} ms; exiting`);
      process.exit(exitCode);
    }, deadlineMs).unref();
    for (const stop of [...(stops ?? [])].reverse()) {
      await stop().catch((error: unknown) => log.warn({ err: error }, 'error while stopping'));
    }
    log.info({ exitCode }, `${name} stopped`);
    await stopTelemetry();
    process.exit(exitCode);
  };

  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${name} stopping`);
    void stopAndExit(0);
  };

  const fail = (part: string, error: unknown) => {
    if (stopping) return;
    if (stops === undefined) {
      failedDuringStart ??= { part, error };
      return;
    }
    stopping = true;
    const cause = error instanceof Error ? error.message : String(error);
    log.fatal({ err: error, part }, `${name}: ${part} failed: ${cause}; stopping`);
    void stopAndExit(1);
  };

  const lifecycle: ServiceLifecycle = {
    watch(part, running) {
      running.then(
        () => fail(part, new Error(`${part} ended while the service was not stopping`)),
        (error: unknown) => fail(part, error),
      );
    },
  };

  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // Node would end the process at once on these, skipping the stop sequence.
  process.on('unhandledRejection', (reason) => fail('an unhandled promise rejection', reason));
  process.on('uncaughtException', (error) => fail('an uncaught exception', error));

  try {
    const started = await start(lifecycle);
    stops = started;
  } catch (error) {
    log.fatal({ err: error }, `${name} failed to start: ${(error as Error).message}`);
    await stopTelemetry();
    process.exit(1);
  }
  if (failedDuringStart) {
    fail(failedDuringStart.part, failedDuringStart.error);
    return;
  }
  if (!stopping) log.info(`${name} ready`);
}
