/**
 * How long each payment call of one authorizePayment attempt may take, derived from the activity's
 * start-to-close timeout so the attempt always ends (with its own reversal sent) before Temporal
 * gives up on it and starts the next one. An attempt makes at most three calls in a row: the
 * reversals of earlier attempts, the authorization, and the reversal of an unknown outcome.
 */
export interface PaymentCallBudget {
  /** For reversing attempts 1..n-1 before attempt n asks for an approval (sent in parallel). */
  priorReversalsMs: number;
  requestMs: number;
  reversalMs: number;
}

/** The budget with time to spare: 3 s + 5 s + 3 s = 11 s, inside a 15 s timeout with margin. */
export const paymentCallLimits = { priorReversalsMs: 3_000, requestMs: 5_000, reversalMs: 3_000 } as const;

/**
 * `remainingMs`: what is left of the attempt's start-to-close timeout. A tenth of it (at least 1 s)
 * is kept back for the activity's own work and the answer's way back to Temporal; the rest is
 * shared out, each call at most its limit, all scaled down together when the rest is short.
 */
export function paymentCallBudget(remainingMs: number, limits: PaymentCallBudget = paymentCallLimits): PaymentCallBudget {
  const margin = Math.max(1_000, remainingMs / 10);
  const usable = Math.max(0, remainingMs - margin);
  const wanted = limits.priorReversalsMs + limits.requestMs + limits.reversalMs;
  const scale = Math.min(1, usable / wanted);
  // Never zero: a call with no time at all would fail without being tried.
  const share = (limit: number) => Math.max(50, Math.floor(limit * scale));
  return { priorReversalsMs: share(limits.priorReversalsMs), requestMs: share(limits.requestMs), reversalMs: share(limits.reversalMs) };
}
