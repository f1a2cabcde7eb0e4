// The `--import` preload of every service process (plain JS on purpose). Temporal runs workflows in
// worker threads that inherit the process's --import flags; telemetry belongs to the main thread
// only, and the threads cannot load TypeScript, so they skip it.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) await import('./register.ts');
