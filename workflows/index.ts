/** The workflow bundle's entry: every workflow the order worker runs. */
export { OrderWorkflow, OrderWorkflowV5 } from './order.js';
export { orderStateQuery } from '../platform/contracts/workflow.js';
