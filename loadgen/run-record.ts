/**
 * Everything the run observed: counters, errors by kind, latency samples and one record per order.
 * The live view and the final summary are both views of a `RunSnapshot` taken from here.
 */
import { terminalStatuses, type TerminalStatus } from '../platform/contracts/order.js';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { expectedStatus, scenarios, type Scenario } from './scenarios.js';

/**
 * Error kinds are `stage:what`, e.g. `submit:http-422`, `submit:network-ECONNREFUSED`,
 * `submit:timeout`, `poll:http-503`, `terminal:timeout`, `cancel:unsupported-404`.
 */
export type ErrorKind = string;

/** How a cancel request went. 404/405 mean the estate has no cancellation (yet). */
export type CancelOutcome = 'accepted' | 'too-late' | 'unsupported' | 'failed';

/** Where one order ended, from the load generator's point of view. */
export type OrderOutcome = TerminalStatus | 'refused' | 'submit-failed' | 'timeout' | 'abandoned';

export interface OrderRecord {
  /** 1-based position in submission order. */
  n: number;
  scenario: Scenario;
  customerId: string;
  channel: 'http' | 'tcp';
  traceId: string;
  submittedAt: string;
  orderId?: string;
  httpStatus?: number;
  acceptMs?: number;
  cancel?: CancelOutcome;
  /** Last status seen: the terminal one, or where a timed-out order was stuck. */
  status?: string;
  outcome?: OrderOutcome;
  /** Submission to the poll that saw the terminal status (includes up to one poll interval). */
  terminalMs?: number;
  /** The saga's own duration: PENDING to the terminal status, from the order's history. */
  sagaMs?: number;
  error?: ErrorKind;
}

export interface ScenarioTally {
  submitted: number;
  accepted: number;
  expected: TerminalStatus;
  /** Count per outcome (terminal status, or refused / timeout / …). */
  outcomes: Partial<Record<OrderOutcome, number>>;
}

export interface RunSnapshot {
  elapsedMs: number;
  submitted: number;
  accepted: number;
  /** Arrivals the open model skipped because --max-in-flight orders were unfinished. */
  skipped: number;
  /** Open model: how late the latest-sent order left against its schedule (a starved CPU shows here). */
  maxScheduleLagMs: number;
  inFlight: number;
  /** Status reads sent (GET /orders/:id), all orders together: the load generator's own overhead. */
  polls: number;
  terminal: Record<TerminalStatus, number>;
  timedOut: number;
  abandoned: number;
  errors: Record<ErrorKind, number>;
  cancels: Partial<Record<CancelOutcome, number>>;
  scenarios: Partial<Record<Scenario, ScenarioTally>>;
  latencyMs: {
    accept: LatencySummary | undefined;
    submitToTerminal: LatencySummary | undefined;
    saga: LatencySummary | undefined;
  };
}

/** Per-order times to 0.01 ms: enough for anyone, and the JSON stays readable. */
const hundredths = (ms: number): number => Math.round(ms * 100) / 100;

function rounded(summary: LatencySummary | undefined): LatencySummary | undefined {
  if (!summary) return undefined;
  const { count, min, mean, p50, p90, p99, max } = summary;
  return {
    count,
    min: hundredths(min),
    mean: hundredths(mean),
    p50: hundredths(p50),
    p90: hundredths(p90),
    p99: hundredths(p99),
    max: hundredths(max),
  };
}

export class RunRecord {
  readonly orders: OrderRecord[] = [];
  private readonly startedAt = performance.now();
  private accepted = 0;
  private skipped = 0;
  private polls = 0;
  private maxScheduleLagMs = 0;
  private settled = 0;
  private readonly outcomes = new Map<OrderOutcome, number>();
  private readonly errors = new Map<ErrorKind, number>();
  private readonly cancels = new Map<CancelOutcome, number>();
  private readonly latency: { accept: LatencyRecorder; submitToTerminal: LatencyRecorder; saga: LatencyRecorder };

  constructor(maxOrders: number) {
    this.latency = {
      accept: new LatencyRecorder(maxOrders),
      submitToTerminal: new LatencyRecorder(maxOrders),
      saga: new LatencyRecorder(maxOrders),
    };
  }

  get inFlight(): number {
    return this.orders.length - this.settled;
  }

  get elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** A new order is about to be submitted. */
  begin(order: Omit<OrderRecord, 'n' | 'submittedAt'>): OrderRecord {
    const record: OrderRecord = { n: this.orders.length + 1, submittedAt: new Date().toISOString(), ...order };
    this.orders.push(record);
    return record;
  }

  accept(record: OrderRecord, orderId: string, httpStatus: number, acceptMs: number): void {
    Object.assign(record, { orderId, httpStatus, acceptMs: hundredths(acceptMs) });
    this.accepted += 1;
    this.latency.accept.record(acceptMs);
  }

  cancelled(record: OrderRecord, outcome: CancelOutcome, error?: ErrorKind): void {
    record.cancel = outcome;
    this.cancels.set(outcome, (this.cancels.get(outcome) ?? 0) + 1);
    if (error) this.error(error);
  }

  /** A failure that does not end the order (a poll that failed, a cancel that was refused). */
  error(kind: ErrorKind): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  polled(): void {
    this.polls += 1;
  }

  scheduleLag(ms: number): void {
    this.maxScheduleLagMs = Math.max(this.maxScheduleLagMs, ms);
  }

  skip(): void {
    this.skipped += 1;
    this.error('loadgen:in-flight-cap');
  }

  /** The order is done with: terminal, refused, timed out or abandoned. Called once per order. */
  settle(
    record: OrderRecord,
    outcome: OrderOutcome,
    detail: { error?: ErrorKind; terminalMs?: number; sagaMs?: number; httpStatus?: number } = {},
  ): void {
    if (record.outcome) return;
    Object.assign(record, { outcome, ...detail });
    if (detail.terminalMs !== undefined) record.terminalMs = hundredths(detail.terminalMs);
    this.settled += 1;
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    if (detail.error) this.error(detail.error);
    if (detail.terminalMs !== undefined) this.latency.submitToTerminal.record(detail.terminalMs);
    if (detail.sagaMs !== undefined) this.latency.saga.record(detail.sagaMs);
  }

  snapshot(): RunSnapshot {
    const terminal = Object.fromEntries(terminalStatuses.map((status) => [status, this.outcomes.get(status) ?? 0])) as Record<
      TerminalStatus,
      number
    >;
    const tallies: Partial<Record<Scenario, ScenarioTally>> = {};
    for (const order of this.orders) {
      const tally = (tallies[order.scenario] ??= { submitted: 0, accepted: 0, expected: expectedStatus[order.scenario], outcomes: {} });
      tally.submitted += 1;
      if (order.orderId) tally.accepted += 1;
      if (order.outcome) tally.outcomes[order.outcome] = (tally.outcomes[order.outcome] ?? 0) + 1;
    }
    const orderedTallies = Object.fromEntries(scenarios.filter((name) => tallies[name]).map((name) => [name, tallies[name]]));
    return {
      elapsedMs: this.elapsedMs,
      submitted: this.orders.length,
      accepted: this.accepted,
      skipped: this.skipped,
      maxScheduleLagMs: hundredths(this.maxScheduleLagMs),
      inFlight: this.inFlight,
      polls: this.polls,
      terminal,
      timedOut: this.outcomes.get('timeout') ?? 0,
      abandoned: this.outcomes.get('abandoned') ?? 0,
      errors: Object.fromEntries([...this.errors].sort(([, a], [, b]) => b - a)),
      cancels: Object.fromEntries(this.cancels),
      scenarios: orderedTallies,
      latencyMs: {
        accept: rounded(this.latency.accept.summary()),
        submitToTerminal: rounded(this.latency.submitToTerminal.summary()),
        saga: rounded(this.latency.saga.summary()),
      },
    };
  }
}
