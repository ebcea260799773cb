/**
 * Engines for tests. Embedded by default; the server engine for each port whose URL is set in
 * the environment (DATABASE_URL, REDIS_URL, NATS_URL), isolated per call: a fresh database, a
 * fresh Redis namespace and a fresh JetStream stream, all removed by `close()`.
 */
import { randomBytes } from 'node:crypto';
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

/** Polls `check` until it returns truthy (or stops throwing), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 5_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      lastError = new Error('condition stayed false');
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
