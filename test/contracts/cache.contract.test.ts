/** The cache port contract (ports/cache.ts), on the in-memory LRU always and on Redis when REDIS_URL is set. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/ports/cache.js';
import { createMemoryCache } from '../../src/adapters/cache/memory.js';
import { createRedisCache } from '../../src/adapters/cache/redis.js';
import { createTestCache, eventually, serverUrls } from '../helpers/engines.js';

const engines = [
  { name: 'memory', run: true },
  { name: 'redis', run: Boolean(serverUrls.redis) },
] as const;
// TTLs run on the engine's own clock (Redis's for Redis), so these cases wait on real time. They
// wait for the expiry itself rather than for a fixed sleep, and the TTLs are long enough that a
// loaded machine cannot let one expire between two consecutive calls.

for (const engine of engines) {
  describe.skipIf(!engine.run)(
    `cache contract on ${engine.name}${engine.run ? '' : ' (skipped: set REDIS_URL to run on Redis)'}`,
    () => {
      let cache: Cache;
      beforeAll(async () => {
        cache = await createTestCache(engine.name);
      });
      afterAll(async () => cache?.close());

      it('returns null for a missing key and the value for a set one', async () => {
        expect(await cache.get('missing')).toBeNull();
        await cache.set('k1', 'v1', 60);
        expect(await cache.get('k1')).toBe('v1');
        expect(await cache.getMany(['k1', 'missing'])).toEqual(['v1', null]);
        expect(await cache.getMany([])).toEqual([]);
      });

      it('expires a value after its TTL, counted from set', async () => {
        const set = performance.now();
        await cache.set('short', 'x', 1);
        await cache.set('long', 'y', 60);
        expect(await cache.get('short')).toBe('x');
        const ttl = await cache.ttl('long');
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(60);
        await eventually(async () => (await cache.get('short')) === null, {
          what: 'the 1 s entry to expire',
        });
        expect(performance.now() - set).toBeGreaterThanOrEqual(900);
      });

      it('deletes one key and every key with a prefix', async () => {
        await cache.set('films:1', 'a', 60);
        await cache.set('films:2', 'b', 60);
        await cache.set('genres:1', 'c', 60);
        await cache.del('films:1');
        expect(await cache.get('films:1')).toBeNull();
        await cache.set('films:3', 'd', 60);
        await cache.delPrefix('films:');
        expect(await cache.getMany(['films:2', 'films:3', 'genres:1'])).toEqual([null, null, 'c']);
      });

      it('increments atomically: concurrent calls get distinct consecutive values', async () => {
        const values = await Promise.all(Array.from({ length: 50 }, () => cache.incr('counter', 60)));
        expect([...values].sort((a, b) => a! - b!)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      });

      it('sets the TTL when incr creates the key and never extends it (fixed window)', async () => {
        expect(await cache.incr('window', 1)).toBe(1);
        expect(await cache.incr('window', 60)).toBe(2);
        // Expires on the first call's 1 s, not the second's 60 s.
        await eventually(async () => (await cache.get('window')) === null, {
          what: 'the window to end 1 s after it opened',
        });
        expect(await cache.incr('window', 1)).toBe(1);
      });
    },
  );
}

describe('cache fail-open behaviour', () => {
  it('redis adapter: an unreachable server never throws; reads miss, incr returns null', async () => {
    const errors: Error[] = [];
    const cache = await createRedisCache('redis://127.0.0.1:1/0', { onError: (e) => errors.push(e) });
    try {
      expect(await cache.get('x')).toBeNull();
      expect(await cache.getMany(['x', 'y'])).toEqual([null, null]);
      await expect(cache.set('x', '1', 10)).resolves.toBeUndefined();
      await expect(cache.del('x')).resolves.toBeUndefined();
      await expect(cache.delPrefix('x')).resolves.toBeUndefined();
      expect(await cache.incr('x', 10)).toBeNull();
      await expect(cache.ping()).rejects.toThrow();
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await cache.close();
    }
  });

  it('memory adapter: evicts least recently used entries beyond its size', async () => {
    const cache = createMemoryCache({ maxEntries: 2 });
    await cache.set('a', '1', 60);
    await cache.set('b', '2', 60);
    await cache.get('a');
    await cache.set('c', '3', 60);
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual(['1', null, '3']);
  });
});
