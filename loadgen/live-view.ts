/**
 * Progress while the run goes on. On a terminal, a small panel redrawn about once a second (with
 * log-update, which rewrites the previous frame in place); elsewhere (CI, a pipe, `--plain`), one
 * compact line every few seconds, so logs stay readable.
 */
import { createLogUpdate } from 'log-update';
import { terminalStatuses } from '../platform/contracts/order.js';
import { formatCount, formatMs, formatSeconds } from './format.js';
import { latencyTable } from './report.js';
import type { RunSnapshot } from './run-record.js';

export type RunPhase = { kind: 'submitting' } | { kind: 'draining' } | { kind: 'interrupted'; graceLeftMs: number };

export interface ViewContext {
  header: string;
  durationSeconds: number;
  phase: RunPhase;
  /** Submissions per second over the last few seconds. */
  recentRate: number;
  /** The rate the open model aims at right now (undefined in the closed model). */
  targetRate: number | undefined;
  polls: { active: number; queued: number; limit: number };
  deadlineSeconds: number;
}

const TTY_REFRESH_MS = 1_000;
const PLAIN_REFRESH_MS = 5_000;
const RATE_WINDOW_MS = 5_000;

function terminalCounts(snapshot: RunSnapshot): string {
  return terminalStatuses.map((status) => `${status} ${formatCount(snapshot.terminal[status])}`).join(' · ');
}

function phaseLine(context: ViewContext, snapshot: RunSnapshot): string {
  switch (context.phase.kind) {
    case 'submitting':
      return 'Ctrl-C stops submitting and waits for orders in flight';
    case 'draining':
      if (snapshot.inFlight === 0) return 'submission over; every order has settled';
      return `submission over: following ${snapshot.inFlight} order(s) in flight to their end (deadline ${context.deadlineSeconds} s each)`;
    case 'interrupted':
      if (snapshot.inFlight === 0) return 'interrupted; no order is in flight any more';
      return `interrupted: waiting up to ${formatSeconds(context.phase.graceLeftMs)} for ${snapshot.inFlight} order(s) in flight; Ctrl-C again to stop now`;
  }
}

/** The terminal panel. */
export function renderPanel(snapshot: RunSnapshot, context: ViewContext): string {
  const settled = terminalStatuses.reduce((sum, status) => sum + snapshot.terminal[status], 0);
  const errors = Object.entries(snapshot.errors);
  const errorTotal = errors.reduce((sum, [, count]) => sum + count, 0);
  const target = context.targetRate !== undefined ? ` (target ${context.targetRate.toFixed(1)}/s)` : '';
  return [
    `${context.header} · ${formatSeconds(snapshot.elapsedMs)}${context.phase.kind === 'submitting' ? ` of ${context.durationSeconds} s` : ''}`,
    `  submitted ${formatCount(snapshot.submitted)} · accepted ${formatCount(snapshot.accepted)} · rate ${context.recentRate.toFixed(1)}/s${target} · in flight ${formatCount(snapshot.inFlight)} · polls ${context.polls.active}/${context.polls.limit}${context.polls.queued ? ` (+${context.polls.queued} waiting)` : ''}`,
    `  terminal ${formatCount(settled)}: ${terminalCounts(snapshot)}`,
    `  timed out ${formatCount(snapshot.timedOut)} · errors ${formatCount(errorTotal)}${
      errors.length
        ? `: ${errors
            .slice(0, 4)
            .map(([kind, count]) => `${kind} ${count}`)
            .join(', ')}`
        : ''
    }`,
    ...latencyTable(snapshot.latencyMs, false),
    `  ${phaseLine(context, snapshot)}`,
  ].join('\n');
}

/** The compact line for logs. */
export function renderLine(snapshot: RunSnapshot, context: ViewContext): string {
  const errorTotal = Object.values(snapshot.errors).reduce((sum, count) => sum + count, 0);
  const { accept, submitToTerminal } = snapshot.latencyMs;
  const phase = context.phase.kind === 'submitting' ? '' : ` [${context.phase.kind}]`;
  return (
    `[load] ${(snapshot.elapsedMs / 1000).toFixed(0)}s/${context.durationSeconds}s${phase} submitted=${snapshot.submitted} accepted=${snapshot.accepted} ` +
    `rate=${context.recentRate.toFixed(1)}/s inflight=${snapshot.inFlight} ` +
    terminalStatuses.map((status) => `${status}=${snapshot.terminal[status]}`).join(' ') +
    ` timeouts=${snapshot.timedOut} errors=${errorTotal} ` +
    `accept_p50/p99=${formatMs(accept?.p50)}/${formatMs(accept?.p99)}ms terminal_p50/p99=${formatMs(submitToTerminal?.p50)}/${formatMs(submitToTerminal?.p99)}ms`
  );
}

/** Submissions per second over a sliding window, from samples of the running count. */
export class RecentRate {
  private readonly samples: { at: number; count: number }[] = [];

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  update(atMs: number, count: number): number {
    this.samples.push({ at: atMs, count });
    while (this.samples.length > 2 && atMs - this.samples[1]!.at >= this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const span = atMs - first.at;
    return span > 0 ? ((count - first.count) * 1000) / span : 0;
  }
}

export class LiveView {
  private timer: NodeJS.Timeout | undefined;
  private readonly rate = new RecentRate();
  private readonly logUpdate: ReturnType<typeof createLogUpdate> | undefined;

  constructor(
    private readonly source: { snapshot(): RunSnapshot; context(recentRate: number): ViewContext },
    private readonly stream: NodeJS.WriteStream,
    plain: boolean,
  ) {
    this.logUpdate = !plain && stream.isTTY ? createLogUpdate(stream) : undefined;
  }

  start(): void {
    this.rate.update(0, 0);
    this.timer = setInterval(() => this.draw(), this.logUpdate ? TTY_REFRESH_MS : PLAIN_REFRESH_MS);
    this.timer.unref();
    if (this.logUpdate) this.draw();
  }

  /** Draws a last frame (TTY) and leaves it on screen. */
  stop(): void {
    clearInterval(this.timer);
    if (this.logUpdate) {
      this.draw();
      this.logUpdate.done();
    }
  }

  private draw(): void {
    const snapshot = this.source.snapshot();
    const context = this.source.context(this.rate.update(snapshot.elapsedMs, snapshot.submitted));
    if (this.logUpdate) this.logUpdate(renderPanel(snapshot, context));
    else this.stream.write(`${renderLine(snapshot, context)}\n`);
  }
}
