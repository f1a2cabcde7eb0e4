/**
 * Starting an order's saga, from the request that accepted it and, when that did not happen, from
 * the sweeper (docs/saga.md, "Accepting an order"). The order row and its saga start (the outbox row)
 * are written first, in one statement; the start itself runs outside any database transaction, so a
 * slow or unreachable Temporal holds no pool connection. A start is idempotent by workflow id
 * (`order-<orderId>`, reuse policy REJECT_DUPLICATE: a second start of the same order, even after its
 * saga finished, is refused), so the request, a client's retry with the same Idempotency-Key and the
 * sweeper may all try; exactly one saga runs.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { OrderStore } from '../../activities/order/store.js';
import { CustomerIdAttribute, OrderStatusAttribute, PaymentChannelAttribute } from '../../platform/contracts/search-attributes.js';
import { orderWorkflowType, type OrderWorkflowInput, taskQueues, workflowIdFor } from '../../platform/contracts/workflow.js';
import { logger } from '../../platform/logger.js';
import type { OrderWorkflowV5 } from '../../workflows/order.js';

const log = logger('saga-starts');

/**
 * How a start went. Once Temporal has the saga, `cleared` is the outbox row's deletion, under way: the
 * sweeper waits for it; the order API answers without it (one database round trip and WAL flush
 * fewer on the accept path, issue 15), because a row left behind is harmless: the sweeper's start of
 * it is refused as already started, and then it is cleared.
 */
export type SagaStart = { outcome: 'started' | 'already-started'; cleared: Promise<void> } | { outcome: 'not-started'; reason: string };

/**
 * Asks Temporal to start the order's saga, waiting at most `timeoutMs`, and starts clearing the
 * outbox row once Temporal has it (`cleared`). Never throws for Temporal's sake: a start that did not happen is
 * `not-started` (the row stays, the sweeper retries it).
 */
export async function startSaga(
  deps: { store: OrderStore; temporal: Client },
  input: OrderWorkflowInput,
  timeoutMs: number,
): Promise<SagaStart> {
  const { store, temporal } = deps;
  let outcome: 'started' | 'already-started';
  try {
    await temporal.withDeadline(Date.now() + timeoutMs, () =>
      temporal.workflow.start<typeof OrderWorkflowV5>(orderWorkflowType, {
        workflowId: workflowIdFor(input.orderId),
        taskQueue: taskQueues.orders,
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // Eager start: the server hands the saga's first workflow task back with the start, to this
        // process's worker (the client shares its connection, workers/order/main.ts), rather than
        // queueing it for a poll; a worker with no free slot makes the server fall back to the queue.
        requestEagerStart: true,
        typedSearchAttributes: [
          { key: OrderStatusAttribute, value: 'PENDING' },
          { key: CustomerIdAttribute, value: input.order.customerId },
          { key: PaymentChannelAttribute, value: input.order.payment.channel },
        ],
      }),
    );
    outcome = 'started';
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      const reason = (error as Error).message;
      await store.sagaStartFailed(input.orderId, reason).catch(() => undefined);
      return { outcome: 'not-started', reason };
    }
    outcome = 'already-started';
  }
  return { outcome, cleared: store.sagaStarted(input.orderId) };
}

/**
 * Every `intervalMs`, starts the sagas of accepted orders whose start is older than `afterMs`: the
 * request that accepted them could not reach Temporal, or its process died between writing the
 * order and starting the saga. Several order replicas may sweep at once; the workflow id makes that
 * harmless.
 */
export class SagaStartSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly deps: { store: OrderStore; temporal: Client },
    private readonly options: { intervalMs: number; afterMs: number; startTimeoutMs: number; batch?: number },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => log.warn({ err: error }, 'saga start sweep failed; retrying on the next round'))
        .finally(() => {
          this.sweeping = undefined;
        });
    }, this.options.intervalMs);
  }

  /** One round; returns how many sagas it started (or found already started). */
  async sweep(): Promise<number> {
    const due = await this.deps.store.unstartedSagas(this.options.afterMs, this.options.batch ?? 100);
    let done = 0;
    for (const { input, attempts } of due) {
      const result = await startSaga(this.deps, input, this.options.startTimeoutMs);
      if (result.outcome === 'not-started') {
        log.warn(
          { orderId: input.orderId, attempts: attempts + 1, reason: result.reason },
          'saga still not started; the next sweep retries it',
        );
        break; // Temporal is not answering: the rest would time out the same way
      }
      await result.cleared;
      done += 1;
      log.info({ orderId: input.orderId, outcome: result.outcome, attempts }, `saga start repaired by the sweeper (${result.outcome})`);
    }
    return done;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }
}
