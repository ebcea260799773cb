import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock.js';
import { createLogger } from '../../platform/logger.js';
import type { Cache } from '../../ports/cache.js';
import { createTestCache } from '../../../test/helpers/engines.js';
import { createCatalogCache, VERSION_KEY, VERSION_REFRESH_MS } from './catalog.cache.js';

/** A shared cache stand-in: a memory cache that says it is Redis and counts reads. */
async function sharedCache(engine: Cache['engine'] = 'redis') {
  const inner = await createTestCache('memory');
  const reads: string[] = [];
  const cache: Cache = {
    ...inner,
    engine,
    async get(key) {
      reads.push(key);
      return inner.get(key);
    },
  };
  return { cache, reads };
}

async function setup(engine: Cache['engine'] = 'redis', nearBytes = 1024 * 1024) {
  const { cache, reads } = await sharedCache(engine);
  // A running system has a version in the shared cache (the read-model writer keeps it).
  await cache.set(VERSION_KEY, '1', 3600);
  const clock = new ManualClock();
  const lookups: string[] = [];
  const catalogCache = createCatalogCache({
    cache,
    clock,
    logger: createLogger('silent'),
    ttlSeconds: 60,
    nearBytes,
    onLookup: (result) => lookups.push(result),
  });
  let computed = 0;
  const compute = (value: string) => async () => {
    computed += 1;
    return value;
  };
  return { cache, reads, clock, lookups, catalogCache, compute, computed: () => computed };
}

const entryReads = (reads: string[]) => reads.filter((key) => key !== VERSION_KEY).length;

describe('catalog response cache', () => {
  it('answers a repeated request from the near cache without a shared-cache read', async () => {
    const t = await setup();
    expect(await t.catalogCache.remember('film', ['a'], t.compute('A'))).toBe('A');
    expect(await t.catalogCache.remember('film', ['a'], t.compute('other'))).toBe('A');
    expect(t.computed()).toBe(1);
    expect(entryReads(t.reads)).toBe(1);
    expect(t.lookups).toEqual(['miss', 'near']);
  });

  it('fills the near cache from a shared-cache hit written by another process', async () => {
    const writer = await setup();
    await writer.catalogCache.remember('film', ['b'], writer.compute('B'));
    await new Promise((resolve) => setImmediate(resolve));
    const reader = createCatalogCache({
      cache: writer.cache,
      clock: writer.clock,
      logger: createLogger('silent'),
      ttlSeconds: 60,
      nearBytes: 1024 * 1024,
    });
    const readsBefore = entryReads(writer.reads);
    expect(await reader.remember('film', ['b'], writer.compute('never'))).toBe('B');
    expect(await reader.remember('film', ['b'], writer.compute('never'))).toBe('B');
    expect(entryReads(writer.reads) - readsBefore).toBe(1);
    expect(writer.computed()).toBe(1);
  });

  it('stops serving near entries once the read-model version moves', async () => {
    const t = await setup();
    await t.catalogCache.remember('film', ['c'], t.compute('old'));
    await t.cache.set(VERSION_KEY, '999999', 3600);
    // Within the refresh window the process may still use the version it read.
    expect(await t.catalogCache.remember('film', ['c'], t.compute('new'))).toBe('old');
    t.clock.advance(VERSION_REFRESH_MS + 1);
    expect(await t.catalogCache.remember('film', ['c'], t.compute('new'))).toBe('new');
  });

  it('bypasses the near cache while the shared cache cannot confirm the version', async () => {
    const t = await setup();
    const get = t.cache.get.bind(t.cache);
    t.cache.get = async () => null; // unreachable or flushed: every read misses
    expect(await t.catalogCache.remember('film', ['f'], t.compute('one'))).toBe('one');
    expect(await t.catalogCache.remember('film', ['f'], t.compute('two'))).toBe('two');
    t.cache.get = get;
    t.clock.advance(VERSION_REFRESH_MS + 1);
    // Back: the version is confirmed again (the stand-in was written through), the shared entry
    // answers once and fills the near cache, which answers the next request.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await t.catalogCache.remember('film', ['f'], t.compute('three'))).toBe('two');
    const reads = entryReads(t.reads);
    expect(await t.catalogCache.remember('film', ['f'], t.compute('four'))).toBe('two');
    expect(entryReads(t.reads)).toBe(reads);
    expect(t.lookups.slice(-2)).toEqual(['hit', 'near']);
  });

  it('expires near entries with the cache TTL', async () => {
    const t = await setup();
    await t.catalogCache.remember('film', ['d'], t.compute('D'));
    await t.catalogCache.remember('film', ['d'], t.compute('D'));
    expect(entryReads(t.reads)).toBe(1);
    t.clock.advance(61_000);
    // The near entry is gone; the shared cache (real time here) still has it.
    expect(await t.catalogCache.remember('film', ['d'], t.compute('never'))).toBe('D');
    expect(entryReads(t.reads)).toBe(2);
    expect(t.lookups.at(-1)).toBe('hit');
  });

  it('keeps no near copy over an in-memory cache, and none when turned off', async () => {
    for (const t of [await setup('memory'), await setup('redis', 0)]) {
      await t.catalogCache.remember('film', ['e'], t.compute('E'));
      await new Promise((resolve) => setImmediate(resolve));
      await t.catalogCache.remember('film', ['e'], t.compute('E'));
      expect(entryReads(t.reads)).toBe(2);
      expect(t.lookups).toEqual(['miss', 'hit']);
    }
  });

  it('holds at most nearBytes of responses', async () => {
    const t = await setup('redis', 64 * 1024);
    const big = 'x'.repeat(10_000); // about 20 kB each
    for (let i = 0; i < 10; i++) await t.catalogCache.remember('film', [i], t.compute(`${big}${i}`));
    await new Promise((resolve) => setImmediate(resolve));
    const before = entryReads(t.reads);
    // The newest ones are near; the oldest were evicted and come from the shared cache.
    await t.catalogCache.remember('film', [9], t.compute('never'));
    expect(entryReads(t.reads)).toBe(before);
    await t.catalogCache.remember('film', [0], t.compute('never'));
    expect(entryReads(t.reads)).toBe(before + 1);
    expect(t.computed()).toBe(10);
  });
});
