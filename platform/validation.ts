/**
 * Request validation answers: a zod error as an RFC 9457 problem that names every offending field by
 * JSON pointer, and the one check handlers share for an order id in the path or the query.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { problem } from './http.js';

/** RFC 6901: the whole document is "", a member is "/a/b" with "~" and "/" escaped. */
function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

export function fieldErrors(error: z.ZodError): { pointer: string; detail: string }[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ pointer: jsonPointer([...issue.path, key]), detail: `unknown field ${key}` }))
      : [{ pointer: jsonPointer(issue.path), detail: issue.message }],
  );
}

export function zodProblem(c: Context, error: z.ZodError, status = 400): Response {
  const errors = fieldErrors(error);
  return problem(c, {
    type: 'https://ordersaga.dev/problems/invalid-request',
    title: 'Invalid request',
    status,
    detail: errors.map((entry) => `${entry.pointer}: ${entry.detail}`).join('; '),
    errors,
  });
}

/**
 * The 400 for an order id that is not a UUID, or undefined when it is one:
 * `const invalid = rejectNonUuidOrderId(c, orderId); if (invalid) return invalid;`. `named` is how
 * the detail names it (`order id` for a path parameter, `orderId` for a query parameter).
 */
export function rejectNonUuidOrderId(c: Context, orderId: string, named: 'order id' | 'orderId' = 'order id'): Response | undefined {
  if (z.uuid().safeParse(orderId).success) return undefined;
  return problem(c, {
    status: 400,
    title: 'Bad Request',
    detail: `${named} must be a UUID`,
    errors: [{ pointer: '/orderId', detail: 'must be a UUID' }],
  });
}
