/**
 * What one finished workflow cost the Temporal server, read from its history and its description:
 * events by kind, workflow and activity tasks, timers, markers, search-attribute upserts and the
 * server's state transitions. The benchmarks print it for the order saga and for the shipment's own
 * workflow, since a change can move work from one to the other (issue 15).
 */
import type { Client } from '@temporalio/client';
import protos from '@temporalio/proto';

export interface HistoryCost {
  workflowId: string;
  events: number;
  workflowTasks: number;
  activityTasks: number;
  timers: number;
  markers: number;
  upserts: number;
  stateTransitions: number;
}

/** The newest completed run of a workflow type, or undefined when none has completed. */
export async function lastCompletedCost(temporal: Client, workflowType: string): Promise<HistoryCost | undefined> {
  for await (const execution of temporal.workflow.list({
    query: `WorkflowType = '${workflowType}' AND ExecutionStatus = 'Completed'`,
    pageSize: 1,
  })) {
    const handle = temporal.workflow.getHandle(execution.workflowId, execution.runId);
    const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
    const kinds = new Map<string, number>();
    for (const event of history.events ?? []) {
      const kind = protos.temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    const count = (kind: string) => kinds.get(`EVENT_TYPE_${kind}`) ?? 0;
    return {
      workflowId: execution.workflowId,
      events: history.events?.length ?? 0,
      workflowTasks: count('WORKFLOW_TASK_COMPLETED'),
      activityTasks: count('ACTIVITY_TASK_COMPLETED'),
      timers: count('TIMER_FIRED'),
      markers: count('MARKER_RECORDED'),
      upserts: count('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES'),
      stateTransitions: Number(description.raw.workflowExecutionInfo?.stateTransitionCount ?? Number.NaN),
    };
  }
  return undefined;
}

export function describeCost(cost: HistoryCost): string {
  return (
    `${cost.events} events, ${cost.workflowTasks} workflow tasks, ${cost.activityTasks} activity tasks, ${cost.timers} timers, ` +
    `${cost.markers} markers, ${cost.upserts} upserts, ${cost.stateTransitions} state transitions`
  );
}
