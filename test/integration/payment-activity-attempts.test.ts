/**
 * authorizePayment across attempts, as Temporal would run it (MockActivityEnvironment sets the
 * attempt number and start-to-close timeout), against the simulator on both lines: each attempt
 * authorizes under its own attempt key, reverses only itself after an unknown outcome, and reverses
 * every earlier attempt before it asks, so a reversal that was lost is sent again.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import test from 'ava';
import { createPaymentActivities, type AuthorizePaymentInput } from '../../activities/payment/activities.js';
import type { AuthorizationResult } from '../../activities/payment/gateway.js';
import { HttpPaymentGateway } from '../../activities/payment/http-gateway.js';
import { TcpPaymentGateway } from '../../activities/payment/tcp/gateway.js';
import { CardVaultClient } from '../../platform/card-vault.js';
import type { EventPublisher } from '../../platform/kafka.js';
import { startPaymentSim, type RunningPaymentSim } from '../../payment-sim/server.js';
import { cardFactsOf } from '../../payment-sim/simulator.js';

let sim: RunningPaymentSim;
let gateways: { http: HttpPaymentGateway; tcp: TcpPaymentGateway };
let activities: ReturnType<typeof createPaymentActivities>;
/** The approved test card, vaulted in this simulator: the activities authorize with its token. */
let cardToken: string;

test.before(async () => {
  sim = await startPaymentSim({ httpPort: 0, tcpPort: 0 });
  gateways = {
    http: new HttpPaymentGateway({ baseUrl: sim.httpUrl }),
    tcp: new TcpPaymentGateway({ address: sim.tcpAddress, poolSize: 2 }),
  };
  activities = createPaymentActivities(
    gateways,
    { emit: async () => undefined } as unknown as EventPublisher,
    new CardVaultClient(sim.httpUrl),
  );
  cardToken = (await sim.simulator.vault.tokenize('4242424242424242')).cardToken;
});

test.after.always(async () => {
  await gateways?.tcp.close();
  await sim?.close();
});

function input(channel: 'http' | 'tcp'): AuthorizePaymentInput {
  return { orderId: randomUUID(), channel, cardToken, amountMinor: 45_000, currency: 'KRW' };
}

function attempt(number: number, startToCloseTimeoutMs = 15_000) {
  return new MockActivityEnvironment({ attempt: number, startToCloseTimeoutMs });
}

for (const channel of ['http', 'tcp'] as const) {
  test.serial(
    `${channel}: an attempt that times out reverses itself within its budget; the next attempt is approved under its own key`,
    async (t) => {
      const order = input(channel);
      sim.simulator.scenarios.set(channel, { latencyMs: 0, errorRate: 0, declineRate: 0, timeoutRate: 1 });
      try {
        // A 2.5 s activity timeout leaves the request well under 2.5 s: the attempt ends, reversal sent, before Temporal gives up.
        const started = performance.now();
        await t.throwsAsync(attempt(1, 2_500).run(activities.authorizePayment, order));
        t.true(performance.now() - started < 2_500, 'the attempt ended inside its start-to-close timeout');
      } finally {
        sim.simulator.scenarios.reset();
      }
      t.deepEqual(
        sim.simulator.ledger.paymentsOfOrder(order.orderId).map((payment) => [payment.attemptKey, payment.status]),
        [[`${order.orderId}:1`, 'reversed']],
      );
      const second: AuthorizationResult = await attempt(2).run(activities.authorizePayment, order);
      t.like(second, { outcome: 'approved' });
      t.like(sim.simulator.ledger.standingPayment(order.orderId), { attemptKey: `${order.orderId}:2`, status: 'authorized' });
    },
  );

  test(`${channel}: attempt n first reverses what an earlier attempt left standing (its reversal was lost), then is approved`, async (t) => {
    const order = input(channel);
    // Attempt 1 was approved but its answer and its own reversal were lost.
    const orphan = sim.simulator.authorize(
      {
        orderId: order.orderId,
        amountMinor: order.amountMinor,
        card: cardFactsOf('4242424242424242'),
        attempt: 1,
        installmentMonths: 0,
        currency: 'KRW',
      },
      channel,
    ).answer;
    if (orphan.kind !== 'approved') return t.fail('setup approval failed');
    const third: AuthorizationResult = await attempt(3).run(activities.authorizePayment, order);
    if (third.outcome !== 'approved') return t.fail('attempt 3 was not approved');
    t.is(sim.simulator.ledger.find(orphan.payment.paymentId)?.status, 'reversed');
    t.like(sim.simulator.ledger.find(third.paymentId), { attemptKey: `${order.orderId}:3`, status: 'authorized' });
    t.truthy(sim.simulator.ledger.refusal(order.orderId, 2), 'attempt 2 is tombstoned too, should its request still arrive');
    t.is(sim.simulator.ledger.paymentsOfOrder(order.orderId).filter((payment) => payment.status === 'authorized').length, 1);
  });
}

test('a compensation that voids by order id stops a zombie attempt that arrives afterwards', async (t) => {
  const order = input('tcp');
  await activities.voidPayment({
    orderId: order.orderId,
    customerId: 'c',
    channel: 'tcp',
    amountMinor: order.amountMinor,
    reason: 'cancelled',
  });
  const zombie = await t.throwsAsync(attempt(1).run(activities.authorizePayment, order));
  t.regex(zombie?.message ?? '', /0057/);
  t.is((zombie as { nonRetryable?: boolean } | undefined)?.nonRetryable, true);
  t.deepEqual(sim.simulator.ledger.paymentsOfOrder(order.orderId), []);
});

for (const channel of ['http', 'tcp'] as const) {
  test(`${channel}: a saga started before tokenization passes the card number; it is vaulted first and the line carries a token`, async (t) => {
    const orderId = randomUUID();
    const legacy: AuthorizePaymentInput = { orderId, channel, cardNumber: '4000000000000002', amountMinor: 45_000, currency: 'KRW' };
    // The simulator looks at the number behind the token: the generic-decline test card still declines.
    t.like(await attempt(1).run(activities.authorizePayment, legacy), { outcome: 'declined', declineCode: 'generic_decline' });
    const approved: AuthorizationResult = await attempt(1).run(activities.authorizePayment, {
      ...legacy,
      orderId: randomUUID(),
      cardNumber: '4242424242424242',
    });
    t.like(approved, { outcome: 'approved' });
  });
}
