/**
 * The distributed shape on this machine: real `kino` processes on PostgreSQL, Redis and NATS
 * JetStream behind Debian's nginx with the shipped routing (deploy/nginx/kinoservice.conf).
 *
 * `startCluster()` creates a fresh database and JetStream stream, starts an S3 server (s3rver)
 * for the blobs, runs `kino migrate`, starts auth ×2, catalog ×2, ugc, files, notifications and
 * admin (`kino serve <module>`), the relay, etl, notifications, ugc-sink and files workers (`kino
 * worker <name>`, the transcode worker twice) and nginx in front, and waits until every process
 * answers /health. Processes can be killed and restarted, and NATS and Redis
 * stopped and started (the machine's, or private ones with DISTRIBUTED_PRIVATE_ENGINES=1), to
 * test fault behaviour. Needs a build (dist/), nginx, nats-server and redis-server installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { generateNginxConf, preparePrefix } from '../../scripts/nginx-conf.mjs';
import { createS3BlobStore } from '../../src/adapters/blob/s3.js';
import type { BlobStore } from '../../src/ports/blob.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

const root = path.resolve(import.meta.dirname, '../..');
const KINO = path.join(root, 'bin/kino.js');
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

export interface ProcessSpec {
  /** Unique name, e.g. `catalog-1`. */
  readonly name: string;
  /** `kino` arguments, e.g. ['serve', 'catalog']. */
  readonly args: readonly string[];
  readonly port: number;
  /** The process's Prometheus listener (METRICS_PORT). */
  readonly metricsPort: number;
  /** Module behind nginx (HTTP services), for the upstream list. */
  readonly upstream?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export interface ClusterOptions {
  /** First port: nginx listens here, the processes on the next ones (default 18110). */
  basePort?: number;
  /** PostgreSQL server to create the fresh database on (default DATABASE_URL). */
  databaseUrl?: string;
  redisUrl?: string;
  natsUrl?: string;
  /** Extra environment for every process. */
  env?: Readonly<Record<string, string>>;
  /** Milliseconds to wait for every process to answer /health (default 90 s). */
  bootTimeoutMs?: number;
  logLevel?: string;
  /**
   * Run a private nats-server and redis-server (ports basePort+29 and +30, data in the cluster's
   * temp folder) instead of the machine's, so fault tests disturb nothing else. Default:
   * DISTRIBUTED_PRIVATE_ENGINES=1.
   */
  privateEngines?: boolean;
}

/** Stops and starts the bus and cache servers the cluster uses. */
export interface EngineControl {
  readonly natsUrl: string;
  readonly redisUrl: string;
  stopNats(): Promise<void>;
  startNats(): Promise<void>;
  stopRedis(): Promise<void>;
  startRedis(): Promise<void>;
  close(): Promise<void>;
}

export interface RunningProcess {
  readonly spec: ProcessSpec;
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly url: string;
  /** Its Prometheus listener, e.g. http://127.0.0.1:18124/metrics */
  readonly metricsUrl: string;
}

export interface Cluster {
  /** nginx, e.g. http://127.0.0.1:18110 */
  readonly url: string;
  readonly databaseUrl: string;
  /** The environment every process of the cluster gets (for running `kino` commands against it). */
  readonly env: Readonly<Record<string, string>>;
  readonly dir: string;
  readonly processes: ReadonlyMap<string, RunningProcess>;
  /** A client on the cluster's database, for assertions. */
  readonly db: pg.Pool;
  /** The S3 server every process keeps its blobs in (port basePort+31), their bucket and a client on it. */
  readonly s3: TestS3 & { readonly bucket: string; readonly blob: BlobStore };
  readonly engines: EngineControl;
  /** Sends `signal` and waits for the process to exit. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed process again and waits for /health. */
  restart(name: string): Promise<void>;
  /** Last lines of a process's log (for failure messages). */
  log(name: string, lines?: number): string;
  close(): Promise<void>;
}

/**
 * The processes: HTTP ports basePort+1…+14, then their metrics listeners in the same order
 * (basePort+15…+28); basePort+29 and +30 are the private engines', +31 the S3 server's.
 */
export function clusterSpecs(basePort: number): ProcessSpec[] {
  const serve = (module: string, replica: number) => ({
    name: `${module}-${replica}`,
    args: ['serve', module],
    upstream: module,
  });
  const worker = (name: string, services: string | undefined) => ({
    name: `worker-${name}`,
    args: ['worker', name],
    ...(services ? { env: { SERVICES: services } } : {}),
  });
  const processes = [
    serve('auth', 1),
    serve('auth', 2),
    serve('catalog', 1),
    serve('catalog', 2),
    serve('ugc', 1),
    serve('files', 1),
    serve('notifications', 1),
    serve('admin', 1),
    worker('relay', undefined),
    worker('etl', 'etl'),
    worker('notifications,notifications-films', 'notifications'),
    worker('ugc-sink,ugc-films', 'ugc'),
    worker('files-films,transcode', 'files'),
    // A second transcode replica: video jobs are shared between the two (FOR UPDATE SKIP LOCKED).
    worker('transcode', 'files'),
  ];
  return processes.map((p, i) => ({
    ...p,
    port: basePort + 1 + i,
    metricsPort: basePort + 1 + processes.length + i,
  }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `url` until it answers 2xx or the deadline passes. */
export async function waitForOk(url: string, timeoutMs: number, alive?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (alive && !alive()) throw new Error(`process behind ${url} exited`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(250);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} must be set for the distributed harness`);
  return value;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  if (!NGINX) throw new Error('nginx is not installed (apt-get install nginx)');
  if (!existsSync(path.join(root, 'dist/runtime/cli.js'))) throw new Error('dist/ is missing: npm run build');
  const basePort = options.basePort ?? Number(process.env.DISTRIBUTED_BASE_PORT ?? 18110);
  const adminUrl = required(options.databaseUrl ?? process.env.DATABASE_URL, 'DATABASE_URL');
  const bootTimeoutMs = options.bootTimeoutMs ?? 90_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'kino-distributed-'));
  const id = randomBytes(4).toString('hex');
  const engines =
    (options.privateEngines ?? process.env.DISTRIBUTED_PRIVATE_ENGINES === '1')
      ? await privateEngines(dir, basePort + 29, basePort + 30)
      : machineEngines(
          required(options.natsUrl ?? process.env.NATS_URL, 'NATS_URL'),
          required(options.redisUrl ?? process.env.REDIS_URL, 'REDIS_URL'),
        );
  const { natsUrl, redisUrl } = engines;

  // A fresh database and stream per cluster.
  const dbName = `kino_dist_${id}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  const databaseUrl = dbUrl.toString();
  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  const s3server = await startTestS3({ port: basePort + 31 });
  const bucket = `kino-dist-${id}`;
  // Made here, before the processes start: several would race to create it.
  const s3 = { ...s3server, bucket, blob: await createS3BlobStore({ ...s3server, bucket }) };

  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: options.logLevel ?? 'warn',
    TRUST_PROXY: 'on',
    API_DOCS: 'on',
    PUBLIC_URL: `http://127.0.0.1:${basePort}`,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: redisUrl,
    NATS_URL: natsUrl,
    NATS_STREAM: `KINO_DIST_${id.toUpperCase()}`,
    // Every auth replica seals and reads the same signing keys; the others verify with the JWKS.
    AUTH_KEY_SECRET: randomBytes(32).toString('base64url'),
    AUTH_URL: `http://127.0.0.1:${basePort}`,
    // Posters and videos in S3, shared by the files service and the transcode workers.
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_REGION: s3.region,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    ...options.env,
  };

  const processes = new Map<string, RunningProcess>();
  const specs = clusterSpecs(basePort);

  function launch(spec: ProcessSpec): RunningProcess {
    const logFile = path.join(dir, `${spec.name}.log`);
    const out = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(process.execPath, [KINO, ...spec.args], {
      cwd: root,
      env: {
        ...baseEnv,
        PORT: String(spec.port),
        METRICS_PORT: String(spec.metricsPort),
        KINO_DATA_DIR: path.join(dir, 'data', spec.name),
        ...spec.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    const running = {
      spec,
      child,
      logFile,
      url: `http://127.0.0.1:${spec.port}`,
      metricsUrl: `http://127.0.0.1:${spec.metricsPort}/metrics`,
    };
    processes.set(spec.name, running);
    return running;
  }

  const alive = (p: RunningProcess) => () => p.child.exitCode === null && p.child.signalCode === null;

  async function stopAll(): Promise<void> {
    await Promise.all(
      [...processes.values()].map(async (p) => {
        if (!alive(p)()) return;
        const exited = new Promise((resolve) => p.child.once('exit', resolve));
        p.child.kill('SIGTERM');
        const timer = setTimeout(() => p.child.kill('SIGKILL'), 12_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  const nginxPrefix = path.join(dir, 'nginx');
  const nginxArgs = ['-p', nginxPrefix, '-e', path.join(nginxPrefix, 'error.log'), '-c', 'nginx.conf'];
  let nginxStarted = false;

  const cluster: Cluster = {
    url: `http://127.0.0.1:${basePort}`,
    databaseUrl,
    env: baseEnv,
    dir,
    processes,
    db,
    s3,
    engines,
    async kill(name, signal = 'SIGKILL') {
      const p = processes.get(name);
      if (!p) throw new Error(`no process ${name}`);
      if (!alive(p)()) return;
      const exited = new Promise((resolve) => p.child.once('exit', resolve));
      p.child.kill(signal);
      await exited;
    },
    async restart(name) {
      const p = processes.get(name);
      if (!p) throw new Error(`no process ${name}`);
      if (alive(p)()) throw new Error(`${name} is still running`);
      const again = launch(p.spec);
      await waitForOk(`${again.url}/health`, bootTimeoutMs, alive(again));
    },
    log(name, lines = 40) {
      const p = processes.get(name);
      if (!p || !existsSync(p.logFile)) return '';
      return readFileSync(p.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    },
    async close() {
      if (nginxStarted) spawnSync(NGINX, [...nginxArgs, '-s', 'stop'], { stdio: 'ignore' });
      await stopAll();
      await db.end().catch(() => undefined);
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await c.end();
      await engines.close();
      await s3.blob.close();
      await s3.close();
      if (!process.env.DISTRIBUTED_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    // Migrations first, as a deployment runs them.
    const migrate = launch({ name: 'migrate', args: ['migrate'], port: basePort, metricsPort: 0 });
    const code = await new Promise<number | null>((resolve) => migrate.child.once('exit', resolve));
    if (code !== 0) throw new Error(`kino migrate exited with ${code}:\n${cluster.log('migrate')}`);
    processes.delete('migrate');

    const started = specs.map(launch);
    await Promise.all(
      started.map(async (p) => {
        try {
          await waitForOk(`${p.url}/health`, bootTimeoutMs, alive(p));
        } catch (error) {
          throw new Error(`${p.spec.name}: ${(error as Error).message}\n${cluster.log(p.spec.name)}`);
        }
      }),
    );

    preparePrefix(nginxPrefix);
    const upstreams: Record<string, string[]> = {};
    for (const s of specs) if (s.upstream) (upstreams[s.upstream] ??= []).push(`127.0.0.1:${String(s.port)}`);
    writeFileSync(
      path.join(nginxPrefix, 'nginx.conf'),
      generateNginxConf({ prefix: nginxPrefix, listen: `127.0.0.1:${basePort}`, upstreams, workers: 2 }),
    );
    const nginx = spawnSync(NGINX, nginxArgs, { encoding: 'utf8' });
    if (nginx.status !== 0) throw new Error(`nginx failed to start: ${nginx.stderr}`);
    nginxStarted = true;
    await waitForOk(`${cluster.url}/nginx-health`, 10_000);
    return cluster;
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

// ---- engines: stop and start for fault tests ----

function sh(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
}

/** The machine's nats-server and redis-server, stopped and started as a service manager would. */
export function machineEngines(natsUrl: string, redisUrl: string): EngineControl {
  const natsPort = new URL(natsUrl).port || '4222';
  const redisPort = new URL(redisUrl).port || '6379';
  return {
    natsUrl,
    redisUrl,
    async stopNats() {
      // JetStream data stays in its store directory.
      sh('start-stop-daemon', ['--stop', '--oknodo', '--retry', '10', '--exec', '/usr/sbin/nats-server']);
    },
    async startNats() {
      if (await isOpen(Number(natsPort))) return;
      sh('start-stop-daemon', [
        '--start',
        '--oknodo',
        '--background',
        '--exec',
        '/usr/sbin/nats-server',
        '--',
        '-a',
        '127.0.0.1',
        '-p',
        natsPort,
        '-js',
        '-sd',
        '/var/lib/nats-server',
      ]);
      await waitForPort(Number(natsPort));
    },
    async stopRedis() {
      sh('redis-cli', ['-p', redisPort, 'shutdown', 'nosave']);
    },
    async startRedis() {
      if (await isOpen(Number(redisPort))) return;
      sh('redis-server', [
        '--daemonize',
        'yes',
        '--bind',
        '127.0.0.1',
        '--port',
        redisPort,
        '--save',
        '',
        '--appendonly',
        'no',
      ]);
      await waitForPort(Number(redisPort));
    },
    async close() {
      // Leave the machine's engines running, whatever a test did.
      await this.startNats().catch(() => undefined);
      await this.startRedis().catch(() => undefined);
    },
  };
}

/** A nats-server and a redis-server of the cluster's own, as child processes. */
async function privateEngines(dir: string, natsPort: number, redisPort: number): Promise<EngineControl> {
  const which = (name: string) =>
    [`/usr/sbin/${name}`, `/usr/bin/${name}`, `/usr/local/bin/${name}`].find((p) => existsSync(p)) ?? name;
  let nats: ChildProcess | undefined;
  let redis: ChildProcess | undefined;
  const log = (name: string) => createWriteStream(path.join(dir, `${name}.log`), { flags: 'a' });
  const stop = async (child: ChildProcess | undefined) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const control: EngineControl = {
    natsUrl: `nats://127.0.0.1:${natsPort}`,
    redisUrl: `redis://127.0.0.1:${redisPort}/0`,
    async startNats() {
      nats = spawn(
        which('nats-server'),
        ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', path.join(dir, 'nats')],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const out = log('nats-server');
      nats.stdout?.pipe(out);
      nats.stderr?.pipe(out);
      await waitForPort(natsPort);
    },
    stopNats: () => stop(nats),
    async startRedis() {
      redis = spawn(
        which('redis-server'),
        ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const out = log('redis-server');
      redis.stdout?.pipe(out);
      redis.stderr?.pipe(out);
      await waitForPort(redisPort);
    },
    stopRedis: () => stop(redis),
    async close() {
      await stop(nats);
      await stop(redis);
    },
  };
  await control.startNats();
  await control.startRedis();
  return control;
}

function isOpen(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isOpen(port)) return;
    await sleep(200);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}
