/**
 * The life of one service process: start its parts, log where it listens, and on SIGINT/SIGTERM
 * stop them in reverse order, flush telemetry, and exit. A part that fails to start ends the
 * process with a message naming it and a non-zero exit.
 */
import { logger, setServiceName } from './logger.js';
import { stopTelemetry } from './telemetry/sdk.js';

export type Stop = () => Promise<void>;

export async function runService(name: string, start: () => Promise<Stop[]>): Promise<void> {
  setServiceName(name);
  const log = logger('service');
  let stops: Stop[] = [];
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${name} stopping`);
    for (const stop of [...stops].reverse()) {
      await stop().catch((error: unknown) => log.warn({ err: error }, 'error while stopping'));
    }
    await stopTelemetry();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    stops = await start();
    log.info(`${name} ready`);
  } catch (error) {
    log.fatal({ err: error }, `${name} failed to start: ${(error as Error).message}`);
    await stopTelemetry();
    process.exit(1);
  }
}
