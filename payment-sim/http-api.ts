/**
 * The simulator's modern line: a JSON API in the style of card gateways such as Stripe. Each
 * handler validates, asks the simulator, and shapes the answer; declines are 402 problem+json with a
 * machine-readable `code` and `declineCode`.
 *
 * Idempotency: the first answer under an `Idempotency-Key` (status and body) is stored and replayed
 * to every retry with the same request; the same key with another request is a 409. Unlike Stripe,
 * a 5xx is not stored: nothing was booked, and the saga retries with the same key expecting that a
 * transient failure can pass.
 *
 * Durability: every answer that rests on the ledger (a decision, a stored answer, a read) is sent
 * only after `ledger.durable()`, i.e. once the ledger's group commit holding it has committed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { parsePageQuery } from '../platform/admin-pages.js';
import { cardNumberSchema, paymentChannels } from '../platform/contracts/order.js';
import { mountHealth, type ReadinessCheck } from '../platform/health.js';
import { problem, withProblemDefaults } from '../platform/http.js';
import { attemptKeyOf, type CancelResult, type Payment, type ReversalResult } from './ledger.js';
import { scenarioSchema } from './scenarios.js';
import { authorizationRequestSchema, MAX_ATTEMPT, orderIdSchema, type AuthorizationAnswer, type PaymentSimulator } from './simulator.js';

const cancelSchema = z.strictObject({ reason: z.string().max(200).default('merchant request') });
const voidByOrderSchema = z.strictObject({ orderId: orderIdSchema, reason: z.string().max(200).default('void by order id') });
const reverseAttemptSchema = z.strictObject({
  orderId: orderIdSchema,
  attempt: z.number().int().min(1).max(MAX_ATTEMPT),
  reason: z.string().max(200).default('net cancel of the attempt'),
});

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const vaultCardSchema = z.strictObject({ cardNumber: cardNumberSchema });

/** `readiness`: what must answer for the simulator to be ready (its ledger's database, when it has one). */
export function createPaymentApi(simulator: PaymentSimulator, readiness: ReadinessCheck[] = []): Hono {
  const app = withProblemDefaults(new Hono(), 'payment-sim');
  const { ledger, scenarios } = simulator;

  // /health/live, /health/ready (platform/health.ts): without its database no answer can be given, so not ready.
  mountHealth(app, readiness);

  app.post('/payments/authorize', async (c) => {
    const key = c.req.header('idempotency-key');
    if (!key || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      return problem(c, {
        type: 'validation_error',
        title: 'Invalid request',
        status: 400,
        detail: `the Idempotency-Key header is required, 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
        header: 'Idempotency-Key',
      });
    }
    const parsed = await parseBody(c, authorizationRequestSchema);
    if (!parsed.ok) return parsed.response;
    // The request as sent (with its token, never the number) is what a retry must repeat.
    const fingerprint = JSON.stringify(['authorize', parsed.value]);
    // Before the ledger is looked at: from the look to the booking nothing may wait.
    const input = await simulator.detokenize(parsed.value);

    const stored = ledger.storedAnswer(key);
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        return problem(c, {
          type: 'idempotency_conflict',
          title: 'Idempotency key reused',
          status: 409,
          detail: `Idempotency-Key ${key} was first used with a different request; use a new key for a new request`,
        });
      }
      await ledger.durable();
      return replay(stored.status, stored.body);
    }

    const { answer, latencyMs, hold } = simulator.authorize(input, 'http');
    const { status, body } = authorizationResponse(answer);
    if (status < 500) {
      ledger.storeAnswer(key, {
        fingerprint,
        status,
        body,
        ...(answer.kind === 'approved' ? { paymentId: answer.payment.paymentId } : {}),
      });
    }
    if (hold) {
      await simulator.hold(c.req.raw.signal);
      return problem(c, { title: 'Service Unavailable', status: 503, detail: 'the simulator is shutting down' });
    }
    await Promise.all([ledger.durable(), latencyMs > 0 ? sleep(latencyMs) : undefined]);
    return respond(status, body);
  });

  /**
   * The card vault (payment-sim/vault.ts): a card number in, a token and what may be shown of the
   * card out. Only the gateway calls it, once per order, before the order goes anywhere; the
   * number is kept encrypted and never answered again (the simulator alone turns a token back).
   */
  app.post('/vault/cards', async (c) => {
    const parsed = await parseBody(c, vaultCardSchema);
    if (!parsed.ok) return parsed.response;
    return c.json(await simulator.vault.tokenize(parsed.value.cardNumber), 201);
  });

  /**
   * 망취소 of one authorization attempt, for a client that never got that attempt's answer: reverses
   * the approval the attempt obtained, if any, and leaves a tombstone so the attempt's request, should
   * it arrive later, is refused (409 attempt_reversed). Never touches another attempt's approval.
   */
  app.post('/payments/reverse', async (c) => {
    const parsed = await parseBody(c, reverseAttemptSchema);
    if (!parsed.ok) return parsed.response;
    const { orderId, attempt, reason } = parsed.value;
    const result = ledger.reverseAttempt(orderId, attempt, reason);
    await ledger.durable();
    if (result.outcome === 'conflict') return invalidState(c, result.detail);
    return c.json({ orderId, attemptKey: attemptKeyOf(orderId, attempt), reversed: result.outcome === 'done', payment: paymentOf(result) });
  });

  /**
   * Void by order id (the saga's compensation without a payment id): cancels whatever approval the
   * order holds and leaves a tombstone for the whole order, so an attempt still on its way is refused
   * (409 order_voided).
   */
  app.post('/payments/void-by-order', async (c) => {
    const parsed = await parseBody(c, voidByOrderSchema);
    if (!parsed.ok) return parsed.response;
    const { orderId, reason } = parsed.value;
    const result = ledger.voidOrder(orderId, reason);
    await ledger.durable();
    if (result.outcome === 'conflict') return invalidState(c, result.detail);
    const payment = paymentOf(result);
    return c.json({ orderId, voided: payment !== null, payment });
  });

  app.post('/payments/:id/void', async (c) => {
    const parsed = await parseBody(c, cancelSchema, { optional: true });
    if (!parsed.ok) return parsed.response;
    const result = ledger.void(c.req.param('id'), parsed.value.reason);
    await ledger.durable();
    return cancelResponse(c, result, c.req.param('id'));
  });

  app.post('/payments/:id/refund', async (c) => {
    const parsed = await parseBody(c, cancelSchema, { optional: true });
    if (!parsed.ok) return parsed.response;
    const result = ledger.refund(c.req.param('id'), parsed.value.reason);
    await ledger.durable();
    return cancelResponse(c, result, c.req.param('id'));
  });

  app.get('/payments/:id', async (c) => {
    await ledger.durable();
    const payment = ledger.find(c.req.param('id'));
    return payment ? c.json(payment) : notFound(c, c.req.param('id'));
  });

  /**
   * The whole ledger for an auditor, in the admin listings' shape (platform/admin-pages.ts): every
   * payment in booking order, a page at a time, `next` the cursor of the following page and absent
   * on the last; or `?orderId=a,b` for those orders' payments only. Only committed payments are listed.
   */
  app.get('/admin/ledger', async (c) => {
    const parsed = parsePageQuery(c, 'orderId', { textKeys: true });
    if (!parsed.ok) return parsed.response;
    const { after, limit, only } = parsed.query;
    if (after !== null && !/^\d{1,15}$/.test(after)) {
      return problem(c, {
        type: 'validation_error',
        title: 'Invalid request',
        status: 400,
        detail: 'after: must be the `next` cursor of a previous page',
        parameter: 'after',
      });
    }
    await ledger.durable();
    if (only) return c.json({ payments: only.flatMap((orderId) => ledger.paymentsOfOrder(orderId)) });
    return c.json(ledger.page(after ?? undefined, limit));
  });

  app.get('/payments', async (c) => {
    const orderId = orderIdSchema.safeParse(c.req.query('orderId'));
    if (!orderId.success) {
      return problem(c, {
        type: 'validation_error',
        title: 'Invalid request',
        status: 400,
        detail: 'the orderId query parameter is required: 1 to 36 printable ASCII characters',
        parameter: 'orderId',
      });
    }
    await ledger.durable();
    return c.json({ orderId: orderId.data, payments: ledger.paymentsOfOrder(orderId.data) });
  });

  app.get('/admin/scenario', (c) => c.json(scenarios.all()));

  app.put('/admin/scenario/:channel', async (c) => {
    const channel = z.enum(paymentChannels).safeParse(c.req.param('channel'));
    if (!channel.success) {
      return problem(c, {
        type: 'validation_error',
        title: 'Invalid request',
        status: 400,
        detail: `channel must be one of ${paymentChannels.join(', ')}`,
        parameter: 'channel',
      });
    }
    const parsed = await parseBody(c, scenarioSchema);
    if (!parsed.ok) return parsed.response;
    scenarios.set(channel.data, parsed.value);
    return c.json({ channel: channel.data, scenario: parsed.value });
  });

  app.delete('/admin/scenario', (c) => {
    scenarios.reset();
    return c.json(scenarios.all());
  });

  return app;
}

function authorizationResponse(answer: AuthorizationAnswer): { status: number; body: unknown } {
  switch (answer.kind) {
    case 'approved':
      // 200 for an order's approval handed out again, so a caller can tell it was not charged now.
      return { status: answer.repeated ? 200 : 201, body: approvalBody(answer.payment) };
    case 'declined':
      return {
        status: 402,
        body: {
          type: 'card_declined',
          title: 'Card declined',
          status: 402,
          code: 'card_declined',
          declineCode: answer.declineCode,
          message: answer.message,
          detail: answer.message,
        },
      };
    case 'order_conflict':
      return {
        status: 409,
        body: {
          type: 'order_already_paid',
          title: 'Order already has a payment',
          status: 409,
          code: 'order_already_paid',
          detail: answer.message,
          paymentId: answer.payment.paymentId,
        },
      };
    case 'refused':
      return answer.refusal.kind === 'order_voided'
        ? {
            status: 409,
            body: { type: 'order_voided', title: 'Order voided', status: 409, code: 'order_voided', detail: answer.message },
          }
        : {
            status: 409,
            body: {
              type: 'attempt_reversed',
              title: 'Attempt reversed',
              status: 409,
              code: 'attempt_reversed',
              detail: answer.message,
              attemptKey: attemptKeyOf(answer.refusal.tombstone.orderId, answer.refusal.tombstone.attempt),
            },
          };
    case 'processing_error':
      return {
        status: 500,
        body: {
          type: 'processing_error',
          title: 'Processing error',
          status: 500,
          code: 'processing_error',
          detail: `${answer.message}; nothing was charged, retry with the same Idempotency-Key`,
          retryable: true,
        },
      };
  }
}

function approvalBody(payment: Payment) {
  return {
    paymentId: payment.paymentId,
    orderId: payment.orderId,
    attemptKey: payment.attemptKey,
    status: payment.status,
    approvalCode: payment.approvalCode,
    approvedAt: payment.approvedAt,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    cardLast4: payment.cardLast4,
    installmentMonths: payment.installmentMonths,
  };
}

function respond(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const contentType = status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': contentType, ...headers } });
}

function replay(status: number, body: unknown): Response {
  return respond(status, body, { 'idempotent-replayed': 'true' });
}

function cancelResponse(c: Context, result: CancelResult, paymentId: string): Response {
  switch (result.outcome) {
    case 'done':
      return c.json(result.payment);
    case 'not_found':
      return notFound(c, paymentId);
    case 'conflict':
      return invalidState(c, result.detail);
  }
}

function invalidState(c: Context, detail: string): Response {
  return problem(c, { type: 'invalid_state', title: 'Payment state forbids this', status: 409, detail });
}

function paymentOf(result: ReversalResult): Payment | null {
  return result.outcome === 'done' ? result.payment : null;
}

function notFound(c: Context, paymentId: string): Response {
  return problem(c, { type: 'not_found', title: 'Not Found', status: 404, detail: `no payment ${paymentId}` });
}

type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

/** Parses a JSON body against a schema; every failure is a 400 naming the fields at fault. */
async function parseBody<T extends z.ZodType>(c: Context, schema: T, options: { optional?: boolean } = {}): Promise<Parsed<z.output<T>>> {
  let raw: unknown;
  const text = await c.req.text();
  if (text.trim() === '' && options.optional) {
    raw = {};
  } else {
    try {
      raw = JSON.parse(text);
    } catch {
      return {
        ok: false,
        response: problem(c, {
          type: 'validation_error',
          title: 'Invalid request',
          status: 400,
          detail: 'the request body is not valid JSON',
        }),
      };
    }
  }
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  const errors = result.error.issues.map((issue) => ({
    pointer: `/${issue.path.map(String).join('/')}`,
    detail: issue.message,
  }));
  return {
    ok: false,
    response: problem(c, {
      type: 'validation_error',
      title: 'Invalid request',
      status: 400,
      detail: errors.map((error) => `${error.pointer}: ${error.detail}`).join('; '),
      errors,
    }),
  };
}
