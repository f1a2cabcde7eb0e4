/** The workflow bundle's entry: every workflow the order worker runs. */
export { OrderWorkflow, orderStateQuery } from './order.js';
