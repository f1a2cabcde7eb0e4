/**
 * What the estate's processes cost, read from /proc: resident memory (VmRSS, and PSS, which shares
 * pages fairly between processes) and CPU time (utime + stime) of every piece named in
 * .state/pids/*.pid, children included (postgres backends under the postmaster, the esbuild helper
 * of every tsx process). Two CPU snapshots give each piece's share of a core over the time between
 * them, the host's busy and steal time, and, for the processes worth looking inside, each thread's.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceNames } from '../infra/estate.js';

/** `make up` starts these; the others in .state/pids belong to `make test` or a load run. */
const upPieces = ['postgres', 'kafka', 'temporal', 'mailpit', ...serviceNames];
/** Pieces whose threads are reported one by one during the steady step. */
export const threadedPieces = ['order', 'temporal', 'benchmark'];
export const BENCHMARK = 'benchmark';

export interface Piece {
  name: string;
  pid: number;
  /** Part of the estate `make up` starts (false: the test suite's OTLP receiver, a load run). */
  estate: boolean;
}

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

interface StatLine {
  ppid: number;
  /** utime + stime + cutime + cstime: its own CPU and that of children it has reaped, in ticks. */
  ticks: number;
  /** utime + stime alone (for a thread, cutime/cstime are its process's). */
  ownTicks: number;
  /** Start time since boot, in ticks: a pid with another start time is another process. */
  startTime: number;
  comm: string;
}

function parseStat(text: string | undefined): StatLine | undefined {
  if (!text) return undefined;
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  // Fields after "comm": state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17) … starttime(22).
  const fields = text.slice(close + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  return {
    ppid: field(4),
    ticks: field(14) + field(15) + field(16) + field(17),
    ownTicks: field(14) + field(15),
    startTime: field(22),
    comm,
  };
}

/** The pieces in .state/pids whose process is alive, and this benchmark itself. */
export function estatePieces(root: string): Piece[] {
  const pidDir = join(root, '.state', 'pids');
  const pieces: Piece[] = [];
  let files: string[] = [];
  try {
    // A piece's supervisor (infra/local/supervise.sh) is its parent: counted as a piece of its own, it
    // would count the piece's CPU and memory twice; the loop itself sleeps.
    files = readdirSync(pidDir).filter((file) => file.endsWith('.pid') && !file.endsWith('.supervisor.pid'));
  } catch {
    // no estate started from this checkout
  }
  for (const file of files.sort()) {
    const pid = Number(readText(join(pidDir, file))?.trim());
    if (!Number.isInteger(pid) || pid <= 0 || !parseStat(readText(`/proc/${pid}/stat`))) continue;
    const name = file.replace(/\.pid$/, '');
    pieces.push({ name, pid, estate: upPieces.includes(name) });
  }
  pieces.push({ name: BENCHMARK, pid: process.pid, estate: false });
  return pieces;
}

/** Every process's parent, for finding a piece's children. */
function processTable(): Map<number, StatLine> {
  const table = new Map<number, StatLine>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = parseStat(readText(`/proc/${entry}/stat`));
    if (stat) table.set(Number(entry), stat);
  }
  return table;
}

function descendantsOf(rootPid: number, table: Map<number, StatLine>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, stat] of table) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  const found: number[] = [];
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.shift()!;
    if (!table.has(pid)) continue;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

function statusKb(pid: number, file: 'status' | 'smaps_rollup', key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readText(`/proc/${pid}/${file}`) ?? '');
  return match ? Number(match[1]) : 0;
}

export interface PieceMemory {
  name: string;
  estate: boolean;
  processes: number;
  rssKb: number;
  pssKb: number;
}

/** Resident memory of each piece, its children included. */
export function memorySnapshot(pieces: Piece[]): PieceMemory[] {
  const table = processTable();
  return pieces.map((piece) => {
    const pids = descendantsOf(piece.pid, table);
    return {
      name: piece.name,
      estate: piece.estate,
      processes: pids.length,
      rssKb: pids.reduce((sum, pid) => sum + statusKb(pid, 'status', 'VmRSS'), 0),
      pssKb: pids.reduce((sum, pid) => sum + statusKb(pid, 'smaps_rollup', 'Pss'), 0),
    };
  });
}

interface HostTicks {
  busy: number;
  steal: number;
  total: number;
}

function hostTicks(): HostTicks {
  const [, ...values] = (readText('/proc/stat') ?? '').split('\n')[0]!.trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values.map(Number);
  return { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

export interface CpuSnapshot {
  at: number;
  host: HostTicks;
  pieces: Map<string, { estate: boolean; rootPid: number; rootStart: number; ticks: number }>;
  threads: Map<string, Map<number, { comm: string; ticks: number }>>;
}

export function cpuSnapshot(pieces: Piece[]): CpuSnapshot {
  const table = processTable();
  const snapshot: CpuSnapshot = { at: performance.now(), host: hostTicks(), pieces: new Map(), threads: new Map() };
  for (const piece of pieces) {
    const pids = descendantsOf(piece.pid, table);
    snapshot.pieces.set(piece.name, {
      estate: piece.estate,
      rootPid: piece.pid,
      rootStart: table.get(piece.pid)?.startTime ?? -1,
      ticks: pids.reduce((sum, pid) => sum + (table.get(pid)?.ticks ?? 0), 0),
    });
    if (!threadedPieces.includes(piece.name)) continue;
    const threads = new Map<number, { comm: string; ticks: number }>();
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${piece.pid}/task`);
    } catch {
      // gone
    }
    for (const tid of tids) {
      const stat = parseStat(readText(`/proc/${piece.pid}/task/${tid}/stat`));
      if (stat) threads.set(Number(tid), { comm: stat.comm, ticks: stat.ownTicks });
    }
    snapshot.threads.set(piece.name, threads);
  }
  return snapshot;
}

export interface PieceCpu {
  name: string;
  estate: boolean;
  /** Share of one core, in percent (200 % is both cores of a 2-core machine). */
  percentOfCore: number;
  /** The piece was restarted between the snapshots: its number is meaningless. */
  restarted: boolean;
}

export interface ThreadCpu {
  piece: string;
  thread: string;
  percentOfCore: number;
}

export interface CpuUsage {
  seconds: number;
  /** Host busy time as a share of all cores, in percent. */
  hostBusyPercent: number;
  /** Time the hypervisor gave to someone else, as a share of all cores, in percent. */
  hostStealPercent: number;
  pieces: PieceCpu[];
  /** Busy time of processes outside the estate and the benchmark (other work on the host), in % of one core. */
  othersPercentOfCore: number;
  threads: ThreadCpu[];
}

/** Per-piece and per-thread CPU between two snapshots. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuUsage {
  const seconds = (after.at - before.at) / 1000;
  const toPercent = (ticks: number) => (ticks / clockTicks / seconds) * 100;
  const pieces: PieceCpu[] = [];
  for (const [name, end] of after.pieces) {
    const start = before.pieces.get(name);
    const restarted = !start || start.rootPid !== end.rootPid || start.rootStart !== end.rootStart;
    pieces.push({ name, estate: end.estate, restarted, percentOfCore: restarted ? Number.NaN : toPercent(end.ticks - start.ticks) });
  }
  const threads: ThreadCpu[] = [];
  for (const [piece, endThreads] of after.threads) {
    const startThreads = before.threads.get(piece) ?? new Map<number, { comm: string; ticks: number }>();
    const rootPid = after.pieces.get(piece)?.rootPid;
    // Threads of one kind (V8's helpers, libuv's pool) are summed under their name; the main thread is on its own.
    const byName = new Map<string, number>();
    for (const [tid, end] of endThreads) {
      const label = tid === rootPid ? 'main thread' : end.comm;
      byName.set(label, (byName.get(label) ?? 0) + end.ticks - (startThreads.get(tid)?.ticks ?? end.ticks));
    }
    for (const [thread, ticks] of byName) threads.push({ piece, thread, percentOfCore: toPercent(ticks) });
  }
  const hostTotal = after.host.total - before.host.total;
  const cores = hostTotal / clockTicks / seconds;
  const hostBusyPercent = ((after.host.busy - before.host.busy) / hostTotal) * 100;
  const accounted = pieces.reduce((sum, piece) => sum + (Number.isFinite(piece.percentOfCore) ? piece.percentOfCore : 0), 0);
  return {
    seconds,
    hostBusyPercent,
    hostStealPercent: ((after.host.steal - before.host.steal) / hostTotal) * 100,
    pieces,
    othersPercentOfCore: Math.max(0, hostBusyPercent * cores - accounted),
    threads: threads.sort((a, b) => b.percentOfCore - a.percentOfCore),
  };
}
