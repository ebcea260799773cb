/** Starts Kinoservice (or the bare baseline) as a child process and reports readiness and RSS. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../../test/helpers/server-process.js';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export interface Server {
  readonly base: string;
  /** The Prometheus listener of a Kinoservice process (METRICS_PORT); none for the baseline. */
  readonly metrics?: string;
  readonly pid: number;
  /** Milliseconds from spawn to the first 200 from /ready. */
  readonly readyMs: number;
  rssMb(): number;
  /** CPU seconds (user + system) the process has used so far, from /proc. */
  cpuSeconds(): number;
  /** The tail of the process's stderr. */
  stderr(): string;
  stop(): Promise<void>;
}

export function rssOf(pid: number): number {
  // VmRSS from /proc: the process's resident memory, without asking it.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

async function waitReady(
  base: string,
  child: ChildProcess,
  path_ = '/ready',
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(base + path_);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server not ready within ${timeoutMs} ms`);
}

export function cpuSecondsOf(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat (utime, stime) in clock ticks (100 per second on Linux).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function startKino(options: {
  port: number;
  env: Record<string, string>;
  args?: string[];
  /** Node flags for the server process (e.g. --cpu-prof). */
  nodeArgs?: string[];
}): Promise<Server> {
  const base = `http://127.0.0.1:${options.port}`;
  let metricsPort = await freePort();
  while (metricsPort === options.port) metricsPort = await freePort();
  const t0 = Date.now();
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), path.join(root, 'bin/kino.js'), ...(options.args ?? ['start'])],
    {
      cwd: root,
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        KINO_RATE_LIMIT: 'off',
        ...options.env,
        PORT: String(options.port),
        HOST: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        METRICS_HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  try {
    await waitReady(base, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${err}`);
  }
  return {
    ...serverOf(child, base, Date.now() - t0, () => err),
    metrics: `http://127.0.0.1:${metricsPort}/metrics`,
  };
}

export async function startBaseline(port: number): Promise<Server> {
  const base = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/lib/baseline.ts')], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitReady(base, child, '/health');
  return serverOf(child, base, Date.now() - t0, () => '');
}

function serverOf(child: ChildProcess, base: string, readyMs: number, stderr: () => string): Server {
  return {
    base,
    pid: child.pid!,
    readyMs,
    rssMb: () => rssOf(child.pid!),
    cpuSeconds: () => cpuSecondsOf(child.pid!),
    stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000); // the product force-exits after 10 s
        child.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
