/**
 * Preload for child-process tests (`node --import tsx --import ./test/support/worker-fault.ts …`):
 * on SIGWINCH the process's Temporal worker fails the way the SDK fails a worker on a fatal error
 * (an error on its unexpected-error subject: the worker shuts down and `run()` rejects with it).
 * Everything else in the service is the real thing. SIGWINCH because its default is to do nothing
 * and the Temporal runtime does not take it (it drains its workers on SIGINT, SIGTERM, SIGQUIT and SIGUSR2). Used by test/integration/service-health.test.ts.
 */
import { Worker } from '@temporalio/worker';

export const PLANTED_WORKER_ERROR = 'planted fatal worker error';

const create = Worker.create.bind(Worker);
Worker.create = async (options) => {
  const worker = await create(options);
  process.on('SIGWINCH', () => {
    // the SDK's own path for a fatal error (worker.js: "Initiating Worker shutdown")
    (worker as unknown as { unexpectedErrorSubject: { error(error: Error): void } }).unexpectedErrorSubject.error(
      new Error(PLANTED_WORKER_ERROR),
    );
  });
  return worker;
};
