/**
 * A real `kino start` in a child process, listening on a free port (its metrics on another), on
 * the engines the environment chooses (a fresh PostgreSQL database, its own JetStream stream when
 * those URLs are set; PGlite in a fresh data folder otherwise), with an administrator created
 * beforehand by `kino createsuperuser` in another process. Tests talk to it over HTTP with fetch,
 * as a client would.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { serverUrls, uniq } from './engines.js';

const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

export interface KinoServer {
  readonly base: string;
  /** The Prometheus listener (METRICS_PORT), e.g. http://127.0.0.1:41234/metrics. */
  readonly metrics: string;
  readonly admin: { login: string; password: string };
  /** The server's environment, when this process started it: a `kino` command run with it works beside the server. */
  readonly env?: NodeJS.ProcessEnv;
  /** Logs the administrator in and returns a fresh access token. */
  adminToken(): Promise<string>;
  /** Everything the server printed so far. */
  output(): string;
  close(): Promise<void>;
}

/** A port nothing listens on right now (the system's pick). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startKinoServer(options: { env?: Record<string, string> } = {}): Promise<KinoServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kino-server-'));
  const admin = {
    login: `fuzz${randomBytes(3).toString('hex')}`,
    password: `Kino-${randomBytes(12).toString('base64url')}`,
  };
  let database: { name: string; url: string } | undefined;
  if (serverUrls.database) {
    const name = uniq('kino_srv_');
    const client = new pg.Client({ connectionString: serverUrls.database });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    const url = new URL(serverUrls.database);
    url.pathname = `/${name}`;
    database = { name, url: url.toString() };
  }
  const stream = serverUrls.nats ? uniq('KF_').toUpperCase() : undefined;
  // The caller's PORT and METRICS_PORT when it gives them (the server is then polled there).
  const port = options.env?.PORT ? Number(options.env.PORT) : await freePort();
  let metricsPort = options.env?.METRICS_PORT ? Number(options.env.METRICS_PORT) : await freePort();
  while (metricsPort === port && !options.env?.METRICS_PORT) metricsPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KINO_DATA_DIR: dataDir,
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'warn',
    DATABASE_URL: database?.url ?? '',
    REDIS_URL: serverUrls.redis ?? '',
    REDIS_PREFIX: `${uniq('kino_f_')}:`,
    NATS_URL: serverUrls.nats ?? '',
    ...(stream ? { NATS_STREAM: stream } : {}),
    KINO_ADMIN_PASSWORD: admin.password,
    ...options.env,
  };
  const cli = ['--import', 'tsx', 'src/runtime/cli.ts'];
  await run(
    process.execPath,
    [...cli, 'createsuperuser', '--login', admin.login, '--email', `${admin.login}@example.com`],
    {
      cwd: root,
      env,
      timeout: 300_000,
    },
  );

  const child: ChildProcess = spawn(process.execPath, [...cli, 'start'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`kino start exited with ${code}:\n${out}`));
    child.once('exit', onExit);
    const poll = setInterval(() => {
      fetch(`${base}/ready`).then(
        (res) => {
          if (res.status !== 200) return;
          clearInterval(poll);
          child.off('exit', onExit);
          resolve();
        },
        () => undefined,
      );
    }, 250);
  });

  const close = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (database) {
      const client = new pg.Client({ connectionString: serverUrls.database });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`);
      await client.end();
    }
    if (stream && serverUrls.nats) {
      const { connect } = await import('nats');
      const u = new URL(serverUrls.nats);
      const nc = await connect({ servers: `${u.hostname}:${u.port || '4222'}` });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
    }
  };

  return {
    base,
    metrics: `http://127.0.0.1:${metricsPort}/metrics`,
    admin,
    env,
    output: () => out,
    async adminToken() {
      const res = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: admin.login, password: admin.password }),
      });
      if (res.status !== 200) throw new Error(`admin login answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    close,
  };
}
