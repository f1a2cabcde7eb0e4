/**
 * One ordersaga service as a child process, for tests of what a process does (its health routes,
 * its stop sequence, its exit code): started from its entry point with the environment a test
 * gives it, its JSON log lines collected, its exit awaited with a deadline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { eventually } from './estate.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  /** Every line the process wrote, parsed when it is JSON. */
  lines: { raw: string; json?: Record<string, any> }[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  url(path: string): string;
  stop(): Promise<void>;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startServiceProcess(options: {
  entry: string;
  portVariable: string;
  env: Record<string, string>;
  preload?: string[];
}): Promise<ServiceProcess> {
  const port = await freePort();
  const preloads = (options.preload ?? []).flatMap((file) => ['--import', fileURLToPath(new URL(`../../${file}`, import.meta.url))]);
  const child = spawn(process.execPath, ['--import', 'tsx', ...preloads, options.entry], {
    cwd: root,
    env: { ...process.env, OTEL_SDK_DISABLED: 'true', OTEL_LOGS_EXPORTER: 'none', ...options.env, [options.portVariable]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: ServiceProcess['lines'] = [];
  const collect = (chunk: Buffer) => {
    for (const raw of chunk.toString('utf8').split('\n').filter(Boolean)) {
      let json: Record<string, any> | undefined;
      try {
        json = JSON.parse(raw) as Record<string, any>;
      } catch {
        // a plain line (a crash's stack): kept raw
      }
      lines.push({ raw, json });
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    port,
    lines,
    exited,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until the process answers GET `path` with `status`; fails naming its last log lines if it exits first. */
export async function waitForHealth(service: ServiceProcess, path: string, status = 200, timeoutMs = 90_000): Promise<any> {
  return eventually(
    `${path} to answer ${status}`,
    async () => {
      if (service.child.exitCode !== null) {
        throw new Error(
          `the process exited (${service.child.exitCode}): ${service.lines
            .slice(-5)
            .map((line) => line.raw)
            .join(' | ')}`,
        );
      }
      const response = await fetch(service.url(path), { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      return response?.status === status ? await response.json() : undefined;
    },
    timeoutMs,
    250,
  );
}

/**
 * A TCP proxy in front of `upstream` that can be frozen: a frozen proxy accepts connections and
 * swallows what both sides send, answering nothing, like a host that stopped responding (a black
 * hole, not a refused connection, which clients notice at once).
 */
export class FreezableProxy {
  private frozen = false;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly upstream: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (this.frozen) return; // accepted, never answered
      const upstream = new (client.constructor as typeof Socket)();
      this.sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.connect(this.upstream.port, this.upstream.host);
      client.on('data', (data) => {
        if (!this.frozen) upstream.write(data);
      });
      upstream.on('data', (data) => {
        if (!this.frozen) client.write(data);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  freeze(): void {
    this.frozen = true;
  }

  /** Thaws: connections made while frozen are dropped, so clients reconnect through a working path. */
  thaw(): void {
    this.frozen = false;
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
