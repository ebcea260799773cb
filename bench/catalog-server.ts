/**
 * The server side of the catalog benchmark, run as a child process so load generation does not
 * share its event loop: the catalog module with the response cache (CACHE_TTL from the parent),
 * the same module with the cache off, and a bare Fastify baseline route, each on its own
 * loopback port. Engines: PGlite in BENCH_PGLITE_DIR, or BENCH_DATABASE_URL + BENCH_REDIS_URL.
 */
import Fastify from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';
import { createKernel } from '../src/runtime/kernel.js';
import type { Engines } from '../src/runtime/container.js';
import { createMemoryBus } from '../src/adapters/bus/memory.js';
import { createMemoryCache } from '../src/adapters/cache/memory.js';

async function engines(): Promise<Engines> {
  const bus = createMemoryBus();
  if (process.env.BENCH_DATABASE_URL) {
    const { createPostgresSql } = await import('../src/adapters/sql/postgres.js');
    const { createRedisCache } = await import('../src/adapters/cache/redis.js');
    const sql = await createPostgresSql(process.env.BENCH_DATABASE_URL, { poolSize: 10 });
    const cache = await createRedisCache(process.env.BENCH_REDIS_URL!, { namespace: 'kino_bench:' });
    await cache.delPrefix('');
    return { sql, cache, bus, close: async () => (await cache.close(), await sql.close()) };
  }
  const { createPgliteSql } = await import('../src/adapters/sql/pglite.js');
  const sql = await createPgliteSql(process.env.BENCH_PGLITE_DIR!);
  const cache = createMemoryCache({ maxEntries: 100_000 });
  return { sql, cache, bus, close: async () => sql.close() };
}

const logger = createLogger('warn');
const shared = await engines();
const kernel = (cacheTtl: string) =>
  createKernel({
    config: loadConfig({
      CACHE_TTL: cacheTtl,
      // One load generator is one caller: the per-caller search budget would cap the run.
      KINO_RATE_LIMIT: 'off',
      LOG_LEVEL: 'warn',
      API_DOCS: 'off',
      KINO_DATA_DIR: '/tmp/kino-bench',
    }),
    logger,
    modules: ['catalog'],
    http: true,
    workers: [],
    relay: false,
    migrate: false,
    engines: shared,
  });
const cached = await kernel(process.env.BENCH_CACHE_TTL ?? '60');
const uncached = await kernel('0');

// The ceiling: a bare Fastify route serialising a list page of the same shape through a schema.
const baseline = Fastify();
const item = Type.Object({ uuid: Type.String(), title: Type.String(), imdb_rating: Type.Number() });
const page = Array.from({ length: 50 }, (_, i) => ({
  uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  title: `Film number ${i}`,
  imdb_rating: 5 + (i % 50) / 10,
}));
baseline.get('/baseline', { schema: { response: { 200: Type.Array(item) } } }, async (_req, reply) =>
  reply.header('x-total-count', '50').send(page),
);

const listen = async (app: {
  listen(o: { port: number; host: string }): Promise<string>;
  server: { address(): unknown };
}) => {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
};
const ports = {
  cached: await listen(cached.app!),
  uncached: await listen(uncached.app!),
  baseline: await listen(baseline),
};
process.send?.({ ready: ports });
process.on('message', (m: { stop?: boolean }) => {
  if (!m.stop) return;
  void (async () => {
    await baseline.close();
    await uncached.close();
    await cached.close();
    await shared.close();
    process.exit(0);
  })();
});
