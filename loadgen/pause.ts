/** Waiting that an abort cuts short. */
import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`; false if `signal` aborted first (or already had). */
export async function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined);
    return true;
  } catch {
    return false;
  }
}
