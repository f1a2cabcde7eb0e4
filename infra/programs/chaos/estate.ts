/**
 * The ten pieces of the dev estate the chaos suite kills (the seven services, Kafka, the Temporal
 * dev server, PostgreSQL), as `make up` runs them: each named by its pidfile in .state/pids/ and
 * restarted by its supervisor (infra/local/supervise.sh). Here: find a piece's process, kill -9 it,
 * and ask whether it is healthy again, the way its clients would find out.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { config } from '../../../platform/config.js';
import { serviceNames } from '../../estate.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const PID_DIR = `${ROOT}/.state/pids`;

/** The seven services, from the estate's one list (infra/estate.json). */
export const serviceTargets: readonly string[] = serviceNames;
export const stackTargets = ['postgres', 'kafka', 'temporal'] as const;
export const allTargets: readonly string[] = [...serviceTargets, ...stackTargets];
/** A service's name or one of the stack's pieces. */
export type Target = string;

export function isTarget(name: string): boolean {
  return allTargets.includes(name);
}

/** Where each service answers `GET /health` (readiness: its own dependencies answer too). */
function healthUrl(target: string): string {
  const env = config();
  const base: string | undefined = {
    'payment-sim': env.PAYMENT_HTTP_URL,
    inventory: env.INVENTORY_URL,
    fulfillment: env.FULFILLMENT_URL,
    order: env.ORDER_URL,
    analytics: env.ANALYTICS_URL,
    notification: env.NOTIFICATION_URL,
    gateway: `http://localhost:${env.GATEWAY_PORT}`,
  }[target];
  if (base === undefined) throw new Error(`no health URL for service ${target}: add it here (infra/estate.json lists it)`);
  return `${base.replace(/\/+$/, '')}/health`;
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/stat: state and process group; undefined when the process is gone. */
function procStat(pid: number): { state: string; pgid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, pgid: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Alive and started from this checkout (PostgreSQL: from our own cluster directory), as lib.sh's pid_is_ours. */
function isOurs(pid: number, marker: string): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && commandLine(pid).includes(marker);
}

function markerOf(target: Target): string {
  return target === 'postgres' ? '/var/lib/ordersaga/' : ROOT;
}

/** The piece's live process, as its pidfile names it; undefined while it is down. */
export function runningPid(target: Target): number | undefined {
  const pid = readPid(`${PID_DIR}/${target}.pid`);
  return pid !== undefined && isOurs(pid, markerOf(target)) ? pid : undefined;
}

export function supervised(target: Target): boolean {
  const pid = readPid(`${PID_DIR}/${target}.supervisor.pid`);
  return pid !== undefined && isOurs(pid, `${ROOT}/infra/local/supervise.sh`);
}

export class NotRunningError extends Error {
  override name = 'NotRunningError';
}

/**
 * kill -9, as a crash or an OOM kill would: the process group when the piece leads one (a service
 * and its esbuild helper, the JVM), else the process (the postmaster; its backends notice and exit).
 */
export function killHard(target: Target): number {
  const pid = runningPid(target);
  if (pid === undefined) throw new NotRunningError(`${target} is not running (no live process in ${PID_DIR}/${target}.pid)`);
  const leadsGroup = procStat(pid)?.pgid === pid;
  process.kill(leadsGroup ? -pid : pid, 'SIGKILL');
  return pid;
}

const PROBE_TIMEOUT_MS = 2_000;

/** True when the piece answers its clients: /health for a service, a query, a metadata call, a health check. */
export async function isHealthy(target: Target): Promise<boolean> {
  try {
    switch (target) {
      case 'postgres':
        return await postgresAnswers();
      case 'kafka':
        return await kafkaAnswers();
      case 'temporal':
        return await temporalAnswers();
      default: {
        const response = await fetch(healthUrl(target), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        await response.body?.cancel();
        return response.ok;
      }
    }
  } catch {
    return false;
  }
}

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: config().ORDER_DATABASE_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function kafkaAnswers(): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'ordersaga-chaos-probe',
    brokers: config().KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
    connectionTimeout: PROBE_TIMEOUT_MS,
    requestTimeout: PROBE_TIMEOUT_MS,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.controller !== null && cluster.brokers.length > 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function temporalAnswers(): Promise<boolean> {
  const connection = await Connection.connect({ address: config().TEMPORAL_ADDRESS, connectTimeout: PROBE_TIMEOUT_MS });
  try {
    const answer = await connection.healthService.check({});
    // 1 = SERVING (grpc.health.v1)
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-comparison -- the generated enum is not exported by @temporalio/client
    return answer.status === 1;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * Puts a supervisor on every piece that runs without one (an estate started before supervision, or
 * with DEV_SUPERVISE=0): the dev scripts' `up` adopts running pieces and starts nothing twice.
 */
export async function ensureSupervised(targets: readonly Target[], say: (line: string) => void): Promise<void> {
  const missing = targets.filter((target) => !supervised(target));
  if (missing.length === 0) return;
  say(`no supervisor for ${missing.join(', ')}: adopting them (infra/local/stack.sh up, infra/local/services.sh up)`);
  const run = promisify(execFile);
  const env = { ...process.env, DEV_SUPERVISE: '1' };
  if (missing.some((target) => (stackTargets as readonly string[]).includes(target)))
    await run(`${ROOT}/infra/local/stack.sh`, ['up'], { env });
  if (missing.some((target) => serviceTargets.includes(target))) await run(`${ROOT}/infra/local/services.sh`, ['up'], { env });
  const still = targets.filter((target) => !supervised(target));
  if (still.length > 0) throw new Error(`still no supervisor for ${still.join(', ')}; is the estate up? (make up-detached)`);
}
