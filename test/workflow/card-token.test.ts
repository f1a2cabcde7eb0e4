/**
 * The saga and card data (docs/decisions.md, "Card data"): an order started with the vault's token
 * hands the token, and nothing else of the card, to authorizePayment; a saga started before
 * tokenization (its input holds the card number) still runs, passing the number on for the activity
 * to vault. On a real Temporal dev server, with in-memory activities that record their inputs.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import anyTest, { type TestFn } from 'ava';
import type { SagaOrder } from '../../platform/contracts/order.js';
import {
  type OrderState,
  orderWorkflowType,
  type OrderWorkflowInput,
  taskQueues,
  workflowIdFor,
} from '../../platform/contracts/workflow.js';
import { FakeEstate } from '../support/fake-estate.js';
import { type SagaOnFakeEstate, startSagaOnFakeEstate } from '../support/temporal.js';

const test = anyTest as TestFn<SagaOnFakeEstate>;

test.before(async (t) => {
  t.context = await startSagaOnFakeEstate();
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

const base = {
  customerId: 'cust-card',
  items: [{ sku: 'KB-001', quantity: 1 }],
  shippingAddress: { name: '김민준', line1: '세종대로 110', city: '서울', postalCode: '04524', country: 'KR' },
};

async function run(t: { context: { env: TestWorkflowEnvironment; estate: FakeEstate } }, order: SagaOrder) {
  const input: OrderWorkflowInput = { orderId: randomUUID(), order, acceptedAt: new Date().toISOString() };
  const handle = await t.context.env.client.workflow.start(orderWorkflowType, {
    workflowId: workflowIdFor(input.orderId),
    taskQueue: taskQueues.orders,
    args: [input],
  });
  const state = (await handle.result()) as OrderState;
  const authorization = t.context.estate.calls.find((call) => call.orderId === input.orderId && call.activity === 'authorizePayment');
  return { state, authorization: authorization?.input as Record<string, unknown> | undefined };
}

test('a tokenized order: authorizePayment gets the token and no card number', async (t) => {
  const payment = { channel: 'tcp' as const, cardToken: 'tok_Xq3v9LkP0aZ2mB7cR4sT', last4: '4242', brand: 'visa', luhnValid: true };
  const { state, authorization } = await run(t, { ...base, payment });
  t.is(state.status, 'COMPLETED');
  t.deepEqual(Object.keys(authorization ?? {}).sort(), ['amountMinor', 'cardToken', 'channel', 'currency', 'orderId']);
  t.like(authorization, { cardToken: payment.cardToken, channel: 'tcp' });
});

test('a saga started before tokenization still runs: its card number goes to the activity, which vaults it', async (t) => {
  const { state, authorization } = await run(t, { ...base, payment: { channel: 'http', cardNumber: '4242424242424242' } });
  t.is(state.status, 'COMPLETED');
  t.like(authorization, { cardNumber: '4242424242424242' });
  t.false('cardToken' in (authorization ?? {}));
});
