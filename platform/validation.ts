/** Turns a zod error into an RFC 9457 problem that names every offending field by JSON pointer. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { problem } from './http.js';

export function fieldErrors(error: z.ZodError): { pointer: string; detail: string }[] {
  return error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
    const pointer = `/${path.map((segment) => String(segment).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
    const detail = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
    return { pointer, detail };
  });
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
