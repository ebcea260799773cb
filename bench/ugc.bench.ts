/**
 * UGC ingest benchmark: how many events per second POST /api/v1/events makes durable, in
 * batches of 1000, on the engines the environment selects:
 *
 *   npm run build && npx tsx bench/ugc.bench.ts                        # embedded (PGlite on disk, in-process bus)
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres NATS_URL=nats://127.0.0.1:4222 \
 *     npx tsx bench/ugc.bench.ts                                       # PostgreSQL + NATS JetStream
 *
 * Options (environment): BENCH_REQUESTS (default 60 embedded / 200 server), BENCH_CONCURRENCY (4),
 * BENCH_PORT (18104).
 *
 * The server is `kino start` with SERVICES=ugc in a child process (HTTP, sink and relay in one
 * process, as the all-in-one runs). A 202 means durable: on the in-process bus the sink has
 * stored the batch, on JetStream the stream has acknowledged it. The bench also reports when
 * every event is in ugc.events (the sink's drain rate), and, as the same-run baseline, the rate
 * of the sink's own multi-row insert called directly on the same engine (no HTTP, no bus).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Sql } from '../src/ports/sql.js';
import { createLogger } from '../src/platform/logger.js';
import { ManualClock } from '../src/platform/clock.js';
import { migrate, PLATFORM_MIGRATIONS } from '../src/platform/migrations.js';
import { createMemoryBus } from '../src/adapters/bus/memory.js';
import { createPgliteSql } from '../src/adapters/sql/pglite.js';
import { createPostgresSql } from '../src/adapters/sql/postgres.js';
import { ugcModule } from '../src/modules/ugc/index.js';
import { createEventSink } from '../src/modules/ugc/event.sink.js';
import { createPartitionManager } from '../src/modules/ugc/partitions.js';
import type { UgcEventRecord } from '../src/modules/ugc/index.js';

const root = path.resolve(import.meta.dirname, '..');
const BATCH = 1000;
const server = Boolean(process.env.DATABASE_URL);
const natsUrl = process.env.NATS_URL;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? (server ? 200 : 60));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const PORT = Number(process.env.BENCH_PORT ?? 18104);
const TYPES = ['view_start', 'view_progress', 'view_progress', 'view_progress', 'click', 'view_complete'];

const films = Array.from({ length: 200 }, () => randomUUID());
function events(n: number): Omit<UgcEventRecord, 'user_id'>[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    event_id: randomUUID(),
    type: TYPES[i % TYPES.length]!,
    film_id: films[i % films.length]!,
    ts: new Date(now - i).toISOString(),
    payload: { position_s: i, quality: '1080p' },
  }));
}

async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env.DATABASE_URL!;
  const name = `kino_bench_${randomUUID().slice(0, 8)}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}

async function openSql(url: string | undefined, dir: string): Promise<Sql> {
  return url ? createPostgresSql(url, { poolSize: 4 }) : createPgliteSql(dir);
}

const countEvents = async (sql: Sql) =>
  (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM ugc.events'))[0]?.n ?? 0;

/** The sink's insert called directly: the most this engine can store through that statement. */
async function baseline(url: string | undefined, dir: string, batches: number): Promise<number> {
  const sql = await openSql(url, dir);
  try {
    await migrate(sql, [PLATFORM_MIGRATIONS, ...ugcModule.migrations]);
    const sink = createEventSink({
      bus: createMemoryBus(),
      sql,
      clock: new ManualClock(new Date()),
      logger: createLogger('silent'),
      partitions: createPartitionManager(sql),
      deadLetter: async () => undefined,
    });
    const data = Array.from({ length: batches }, () => events(BATCH).map((e) => ({ ...e, user_id: null })));
    await sink.store(events(BATCH).map((e) => ({ ...e, user_id: null }))); // warm-up
    const t0 = performance.now();
    for (const batch of data) await sink.store(batch);
    const seconds = (performance.now() - t0) / 1000;
    await sql.exec('TRUNCATE ugc.events, ugc.film_daily');
    return (batches * BATCH) / seconds;
  } finally {
    await sql.close();
  }
}

async function waitReady(base: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}\n${stderr()}`);
    try {
      if ((await fetch(`${base}/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready\n${stderr()}`);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ugc-bench-'));
  const db = server ? await freshDatabase() : undefined;
  const stream = `UGCBENCH${randomUUID().slice(0, 8).toUpperCase()}`;
  const engine = `${server ? 'PostgreSQL' : 'PGlite (disk)'} + ${natsUrl ? 'NATS JetStream' : 'in-process bus'}`;
  try {
    const base = await baseline(db?.url, path.join(dataDir, 'baseline'), Math.min(50, REQUESTS));

    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      SERVICES: 'ugc',
      PORT: String(PORT),
      METRICS_PORT: 'off',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      KINO_DATA_DIR: dataDir,
      NATS_STREAM: stream,
    };
    if (db) env.DATABASE_URL = db.url;
    const child = spawn(process.execPath, [path.join(root, 'bin/kino.js'), 'start'], {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-10_000)));
    const url = `http://127.0.0.1:${PORT}`;
    let accepted = 0;
    let seconds = 0;
    let drainSeconds = 0;
    try {
      await waitReady(url, child, () => err);
      const post = async (body: string) => {
        const res = await fetch(`${url}/api/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const json = (await res.json()) as { accepted?: number };
        if (res.status !== 202) throw new Error(`HTTP ${res.status}: ${JSON.stringify(json)}`);
        return json.accepted ?? 0;
      };
      await post(JSON.stringify(events(BATCH))); // warm-up
      const bodies = Array.from({ length: REQUESTS }, () => JSON.stringify(events(BATCH)));
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < bodies.length) {
            const n = await post(bodies[next++]!);
            accepted += n;
          }
        }),
      );
      seconds = (performance.now() - t0) / 1000;
      // Until the sink has stored every accepted event.
      if (db) {
        const sql = await openSql(db.url, '');
        try {
          while ((await countEvents(sql)) < accepted + BATCH) await new Promise((r) => setTimeout(r, 50));
        } finally {
          await sql.close();
        }
      }
      drainSeconds = (performance.now() - t0) / 1000;
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    if (!db) {
      // Embedded: a 202 already meant stored; check it after the server is gone.
      const sql = await createPgliteSql(path.join(dataDir, 'pgdata'));
      const stored = await countEvents(sql);
      await sql.close();
      if (stored !== accepted + BATCH) throw new Error(`stored ${stored}, accepted ${accepted + BATCH}`);
    }
    const rate = accepted / seconds;
    const lines = [
      `engine: ${engine}`,
      `requests: ${REQUESTS} x ${BATCH} events, concurrency ${CONCURRENCY}`,
      `durable ingest (202 received): ${Math.round(rate)} events/s (${seconds.toFixed(2)} s)`,
      `stored in ugc.events: ${Math.round(accepted / drainSeconds)} events/s (${drainSeconds.toFixed(2)} s)`,
      `baseline (sink insert called directly, same engine): ${Math.round(base)} events/s`,
      `ratio durable ingest / baseline: ${(rate / base).toFixed(2)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await db?.drop();
    if (natsUrl) {
      const { connect } = await import('nats');
      const u = new URL(natsUrl);
      const nc = await connect({ servers: `${u.hostname}:${u.port || '4222'}` });
      await (await nc.jetstreamManager()).streams.delete(stream).catch(() => false);
      await nc.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
