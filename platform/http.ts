/**
 * HTTP plumbing shared by every service: starting a hono app, RFC 9457 problem responses, and
 * calls from one service to another with a timeout.
 */
import { serve, type ServerType } from '@hono/node-server';
import { context as otelContext } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { Context, Hono } from 'hono';
import { routePath } from 'hono/route';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { config } from './config.js';
import { isTransientDependencyFailure } from './consumer-failures.js';
import { logger } from './logger.js';

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  /** Field-level errors: where in the request (a JSON pointer) and what is wrong. */
  errors?: { pointer: string; detail: string }[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An RFC 9457 problem+json response. */
export function problem(c: Context, body: Problem): Response {
  return c.body(JSON.stringify({ type: 'about:blank', ...body }), body.status as ContentfulStatusCode, {
    'content-type': PROBLEM_CONTENT_TYPE,
  });
}

/**
 * Answers unknown routes and uncaught errors as problems, so no client ever sees an HTML page or a
 * stack. Also tells the HTTP instrumentation which route answered (`POST /orders/:orderId/cancel`),
 * so server spans are named after it and `http.server.duration` has an `http.route` for RED per route.
 * Every app calls this first, before its own routes and middleware.
 */
export function withProblemDefaults(app: Hono, service: string): Hono {
  const log = logger('http');
  app.use(async (c, next) => {
    await next();
    const metadata = getRPCMetadata(otelContext.active());
    // After next(), the route index is that of the handler that answered.
    const route = routePath(c);
    if (metadata?.type === RPCType.HTTP && route && !route.includes('*')) metadata.route = route;
  });
  app.notFound((c) => problem(c, { title: 'Not Found', status: 404, detail: `no route for ${c.req.method} ${c.req.path}` }));
  app.onError((error, c) => {
    log.error({ err: error, service, path: c.req.path }, 'request failed');
    if (isTransientDependencyFailure(error)) {
      // Its database is down or restarting: the request may succeed in a moment, so say so.
      c.header('Retry-After', '1');
      return problem(c, {
        title: 'Service Unavailable',
        status: 503,
        detail: `${service} cannot reach a dependency right now; retry shortly`,
      });
    }
    return problem(c, { title: 'Internal Server Error', status: 500, detail: `${service} could not handle the request` });
  });
  return app;
}

export function startHttpServer(app: Hono, port: number, name: string): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: '0.0.0.0' }, () => {
      logger('http').info({ port }, `${name} listening`);
      resolve(server);
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`${name}: port ${port} is already in use`) : error);
    });
  });
}

export function closeHttpServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A downstream call failed; `status` is the HTTP status when there was an answer. */
export class ServiceCallError extends Error {
  constructor(
    readonly service: string,
    readonly status: number | undefined,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceCallError';
  }
}

/** Calls another service and parses its JSON answer; network errors and timeouts become ServiceCallError. */
export async function callService(
  service: string,
  url: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const timeoutMs = init.timeoutMs ?? config().HTTP_CLIENT_TIMEOUT_MS;
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (error as Error).message;
    throw new ServiceCallError(service, undefined, undefined, `${service} unreachable at ${url}: ${reason}`);
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text so the caller can report it
  }
  return { status: response.status, body, headers: response.headers };
}
