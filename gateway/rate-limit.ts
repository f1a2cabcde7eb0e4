/**
 * Rate limits at the edge: a token bucket per key (a client address, a token's subject). A bucket
 * holds up to twice the per-second rate, so a short burst passes and a sustained flood is answered
 * 429 with Retry-After. Memory is bounded: at most `maxKeys` buckets, the least recently used
 * evicted first, so a flood of spoofed keys cannot grow the map without end.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { problem } from '../platform/http.js';

export interface RateLimiterOptions {
  /** Tokens added per second; 0 = no limit. */
  perSecond: number;
  /** Bucket size (default: twice perSecond, at least 1). */
  burst?: number;
  maxKeys?: number;
  /** Milliseconds; injectable for tests. */
  now?: () => number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly options: RateLimiterOptions) {
    this.burst = options.burst ?? Math.max(1, options.perSecond * 2);
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Takes one token from `key`'s bucket, or says how long until one is there. */
  take(key: string): RateDecision {
    if (this.options.perSecond <= 0) return { allowed: true };
    const now = this.now();
    const previous = this.buckets.get(key);
    const refilled = previous ? Math.min(this.burst, previous.tokens + ((now - previous.at) / 1000) * this.options.perSecond) : this.burst;
    // Re-inserting moves the key to the end of the map's order: the first key is the least recently used.
    this.buckets.delete(key);
    if (refilled >= 1) {
      this.buckets.set(key, { tokens: refilled - 1, at: now });
      this.evict();
      return { allowed: true };
    }
    this.buckets.set(key, { tokens: refilled, at: now });
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - refilled) / this.options.perSecond)) };
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(): void {
    while (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
  }
}

export function tooManyRequests(c: Context, retryAfterSeconds: number, per: string): Response {
  c.header('Retry-After', String(retryAfterSeconds));
  return problem(c, {
    status: 429,
    type: 'https://ordersaga.dev/problems/rate-limited',
    title: 'Too Many Requests',
    detail: `too many requests from this ${per}; retry after ${retryAfterSeconds} s`,
  });
}

/** A middleware that limits by the key `keyOf` gives (undefined: not limited by this one). */
export function rateLimit(limiter: RateLimiter, per: string, keyOf: (c: Context) => string | undefined): MiddlewareHandler {
  return async (c, next) => {
    const key = keyOf(c);
    if (key !== undefined) {
      const decision = limiter.take(key);
      if (!decision.allowed) return tooManyRequests(c, decision.retryAfterSeconds, per);
    }
    await next();
  };
}
