/**
 * The console's one way to the gateway: same-origin fetches with the signed-in person's bearer
 * token, each carrying a W3C `traceparent` made in the page, so the gateway's span (and the saga,
 * and every consumer after it) joins the trace that starts at the click (docs/console.md,
 * "Browser traces"). The live order list reads `/live/orders` with fetch rather than EventSource,
 * which cannot send an Authorization header.
 */

/** A fresh trace context for one user action: `00-<trace id>-<span id>-01` (sampled). */
export function newTraceContext(): { traceparent: string; traceId: string } {
  const hex = (bytes: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, '0')).join('');
  const traceId = hex(16);
  return { traceparent: `00-${traceId}-${hex(8)}-01`, traceId };
}

export interface Answer<T> {
  status: number;
  body: T;
  /** The trace this request started (or joined). */
  traceId: string;
}

/** An RFC 9457 problem, as every error of the gateway is. */
export interface Problem {
  title: string;
  status: number;
  detail?: string;
  errors?: { pointer: string; detail: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
}

export interface Session {
  token: string;
  customerId: string;
  role: 'customer' | 'admin';
}

const SESSION_KEY = 'ordersaga.session';
export const savedSession = (): Session | undefined => {
  const saved = sessionStorage.getItem(SESSION_KEY);
  return saved ? (JSON.parse(saved) as Session) : undefined;
};
export const saveSession = (session: Session | undefined): void =>
  session ? sessionStorage.setItem(SESSION_KEY, JSON.stringify(session)) : sessionStorage.removeItem(SESSION_KEY);

/** One call; resolves with a 2xx answer, throws ApiError with the problem otherwise. */
export async function call<T>(
  session: Session | undefined,
  method: string,
  path: string,
  body?: unknown,
  trace = newTraceContext(),
): Promise<Answer<T>> {
  const headers: Record<string, string> = { traceparent: trace.traceparent };
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) throw new ApiError(response.status, parsed as Problem | undefined);
  return { status: response.status, body: parsed as T, traceId: trace.traceId };
}

/** The order event the live feed carries (gateway/live-orders.ts). */
export interface LiveOrderEvent {
  id: string;
  type: string;
  orderId: string;
  customerId: string;
  time: string;
  status?: string;
  traceId?: string;
  data: Record<string, unknown>;
}

/**
 * Reads the live feed until `signal` aborts, calling `onReady` once it is live and `onEvent` per
 * order event. Reconnects after a drop (2 s later) and calls `onReady` again: the caller reloads
 * what it may have missed.
 */
export async function followLiveOrders(
  session: Session,
  handlers: { onReady: () => void; onEvent: (event: LiveOrderEvent) => void; onDown: () => void },
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await fetch('/live/orders', {
        headers: { authorization: `Bearer ${session.token}`, accept: 'text/event-stream' },
        signal,
      });
      if (!response.ok || !response.body) throw new ApiError(response.status, undefined);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (event === 'ready') handlers.onReady();
          else if (event === 'order' && data) handlers.onEvent(JSON.parse(data) as LiveOrderEvent);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status === 401) return handlers.onDown();
    }
    handlers.onDown();
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
