/**
 * Engines for tests. Embedded by default; the server engine for each port whose URL is set in
 * the environment (DATABASE_URL, REDIS_URL, NATS_URL), isolated per call: a fresh database, a
 * fresh Redis namespace and a fresh JetStream stream, all removed by `close()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openAsBlob, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Bus } from '../../src/ports/bus.js';
import type { Cache } from '../../src/ports/cache.js';
import type { Sql } from '../../src/ports/sql.js';
import { createPgliteSql } from '../../src/adapters/sql/pglite.js';
import { createPostgresSql } from '../../src/adapters/sql/postgres.js';
import { createMemoryCache } from '../../src/adapters/cache/memory.js';
import { createRedisCache } from '../../src/adapters/cache/redis.js';
import { createMemoryBus, type MemoryBusOptions } from '../../src/adapters/bus/memory.js';
import { createNatsBus } from '../../src/adapters/bus/nats.js';
import { migrate, readMigrations, type MigrationSet } from '../../src/platform/migrations.js';

export const serverUrls = {
  database: process.env.DATABASE_URL || undefined,
  redis: process.env.REDIS_URL || undefined,
  nats: process.env.NATS_URL || undefined,
};

export const uniq = (prefix: string) => `${prefix}${randomBytes(5).toString('hex')}`;

export interface TestSql {
  sql: Sql;
  /** URL of the fresh database (server engine only). */
  url?: string;
  close(): Promise<void>;
}

/** A fresh, empty database: PGlite in memory, or a new database on the PostgreSQL server. */
export async function createTestSql(
  engine: 'pglite' | 'postgres' = serverUrls.database ? 'postgres' : 'pglite',
): Promise<TestSql> {
  if (engine === 'pglite') {
    const sql = await createPgliteSql('memory://');
    return { sql, close: () => sql.close() };
  }
  const adminUrl = serverUrls.database;
  if (!adminUrl) throw new Error('DATABASE_URL is not set');
  const name = uniq('kino_t_');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = await createPostgresSql(url.toString(), { poolSize: 10 });
  return {
    sql,
    url: url.toString(),
    async close() {
      await sql.close();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A fresh database with `sets` already migrated. A new PGlite runs initdb and then every
 * migration, most of an embedded test file's set-up time; here it starts from a snapshot of a
 * database migrated once by `migrate()` itself, kept in the temp folder under a key of the PGlite
 * version and every migration's checksum (so a changed or new migration makes a new snapshot),
 * and the kernel's own `migrate()` then finds each migration applied. On PostgreSQL: a fresh
 * database, as createTestSql.
 */
export async function createMigratedTestSql(sets: readonly MigrationSet[]): Promise<TestSql> {
  if (serverUrls.database) return createTestSql('postgres');
  const snapshot = await pgliteSnapshot(sets);
  const sql = await createPgliteSql('memory://', { loadDataDir: snapshot });
  return { sql, close: () => sql.close() };
}

async function pgliteSnapshot(sets: readonly MigrationSet[]): Promise<Blob> {
  const require = createRequire(import.meta.url);
  const pglite = path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  const key = createHash('sha256').update(readFileSync(pglite));
  for (const set of sets)
    for (const m of await readMigrations(set)) key.update(`${m.module}/${m.version}/${m.checksum}\n`);
  const dir = path.join(tmpdir(), 'kino-test-pglite');
  const file = path.join(dir, `${key.digest('hex').slice(0, 24)}.tar`);
  if (existsSync(file)) return openAsBlob(file);
  const sql = await createPgliteSql('memory://');
  try {
    await migrate(sql, sets);
    const tarball = Buffer.from(await (await sql.dumpDataDir()).arrayBuffer());
    // Several test workers may build it at once: each writes its own file, the last rename wins.
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(partial, tarball);
    renameSync(partial, file);
    return new Blob([tarball]);
  } finally {
    await sql.close();
  }
}

export async function createTestCache(
  engine: 'memory' | 'redis' = serverUrls.redis ? 'redis' : 'memory',
): Promise<Cache> {
  if (engine === 'memory') return createMemoryCache({ maxEntries: 10_000 });
  if (!serverUrls.redis) throw new Error('REDIS_URL is not set');
  const namespace = `${uniq('kino_t_')}:`;
  const cache = await createRedisCache(serverUrls.redis, { namespace });
  return {
    ...cache,
    async close() {
      await cache.delPrefix('');
      await cache.close();
    },
  };
}

export interface TestBusOptions extends MemoryBusOptions {
  /** Speeds redelivery up in tests. */
  retryDelayMs?: (attempt: number) => number;
  /** JetStream ack wait (see NatsBusOptions). */
  ackWaitMs?: number;
}

export async function createTestBus(
  engine: 'memory' | 'nats' = serverUrls.nats ? 'nats' : 'memory',
  options: TestBusOptions = {},
): Promise<Bus & { stream?: string }> {
  const retryDelayMs = options.retryDelayMs ?? (() => 20);
  if (engine === 'memory') return createMemoryBus({ ...options, retryDelayMs });
  if (!serverUrls.nats) throw new Error('NATS_URL is not set');
  const stream = uniq('KT_').toUpperCase();
  const bus = await createNatsBus({
    ...options,
    url: serverUrls.nats,
    stream,
    subjectPrefix: stream.toLowerCase(),
    retryDelayMs,
    // Messages a stopped process had fetched come back after 5 s instead of 30 s.
    ackWaitMs: options.ackWaitMs ?? 5_000,
  });
  return {
    ...bus,
    stream,
    async close() {
      await bus.close();
      // Remove the test stream with a short-lived connection of our own.
      const { connect } = await import('nats');
      const u = new URL(serverUrls.nats!);
      const nc = await connect({ servers: `${u.hostname}:${u.port || '4222'}` });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
    },
  };
}

export interface EventuallyOptions {
  /** Deadline for the condition; only a failing test ever waits this long. Default 30 s. */
  timeoutMs?: number;
  /** Pause between two checks. Default 25 ms. */
  intervalMs?: number;
  /** What is awaited, for the deadline message (default: the source of `check`). */
  what?: string;
}

/**
 * The one way tests wait for eventual consistency (projections, ETL, notifications, the relay):
 * polls `check` until it returns truthy (or stops throwing) and returns that value. Past the
 * deadline it fails with what was awaited, how long and how many checks, and the last failure
 * as the cause. Never a fixed sleep: a passing test waits exactly as long as the condition needs.
 */
export async function eventually<T>(
  check: () => Promise<T> | T,
  options: number | EventuallyOptions = {},
  intervalMs?: number,
): Promise<T> {
  const o: EventuallyOptions = typeof options === 'number' ? { timeoutMs: options } : options;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const interval = intervalMs ?? o.intervalMs ?? 25;
  const started = performance.now();
  let lastError: unknown;
  let lastValue: unknown;
  for (let tries = 1; ; tries++) {
    try {
      const value = await check();
      if (value) return value;
      lastValue = value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const elapsed = performance.now() - started;
    if (elapsed > timeoutMs) {
      const what = o.what ?? check.toString().replace(/\s+/g, ' ').slice(0, 200);
      const last =
        lastError === undefined
          ? `the check last returned ${String(lastValue)}`
          : `last failure: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`;
      throw new Error(
        `eventually: not true within ${timeoutMs} ms (${tries} checks, ${Math.round(elapsed)} ms): ${what}; ${last}`,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
