/** Turns a zod error into an RFC 9457 problem that names every offending field by JSON pointer. */
import type { Context } from 'hono';
import type { z } from 'zod';
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
