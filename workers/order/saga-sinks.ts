/**
 * The order worker's side of the saga's sinks (platform/contracts/workflow.ts `SagaSinks`): a
 * failed compensation round becomes a metric an alert can watch and a log line with the order.
 * Not called during replay, so a round is counted once however often its history is replayed.
 */
import type { InjectedSinks } from '@temporalio/worker';
import type { SagaSinks } from '../../platform/contracts/workflow.js';
import { logger } from '../../platform/logger.js';
import { businessMetrics } from '../../platform/telemetry/metrics.js';

export function sagaSinks(): InjectedSinks<SagaSinks> {
  const log = logger('saga');
  return {
    saga: {
      compensationFailed: {
        fn: (info, compensation, round, error) => {
          businessMetrics().orderCompensationFailures.add(1, { compensation });
          log.warn(
            { workflowId: info.workflowId, compensation, round, err: error },
            `${compensation} failed (round ${round}); retrying until done`,
          );
        },
        callDuringReplay: false,
      },
    },
  };
}
