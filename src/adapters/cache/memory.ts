import { LRUCache } from 'lru-cache';
import type { Cache } from '../../ports/cache.js';

/** An in-process LRU with per-entry TTL. Shared by nothing but this process. */
export function createMemoryCache(options: { maxEntries: number; now?: () => number }): Cache {
  const lru = new LRUCache<string, string>({
    max: options.maxEntries,
    ttlAutopurge: false,
    allowStale: false,
    updateAgeOnGet: false,
    ...(options.now ? { perf: { now: options.now } } : {}),
  });
  const ms = (seconds: number) => Math.max(1, Math.round(seconds * 1000));
  return {
    engine: 'memory',
    async get(key) {
      return lru.get(key) ?? null;
    },
    async getMany(keys) {
      return keys.map((key) => lru.get(key) ?? null);
    },
    async set(key, value, ttlSeconds) {
      lru.set(key, value, { ttl: ms(ttlSeconds) });
    },
    async del(key) {
      lru.delete(key);
    },
    async delPrefix(prefix) {
      for (const key of [...lru.keys()]) if (key.startsWith(prefix)) lru.delete(key);
    },
    async incr(key, ttlSeconds) {
      // Synchronous read-modify-write: atomic within the one thread that can reach this map.
      const current = lru.get(key);
      if (current === undefined) {
        lru.set(key, '1', { ttl: ms(ttlSeconds) });
        return 1;
      }
      const next = Number(current) + 1;
      lru.set(key, String(next), { noUpdateTTL: true });
      return next;
    },
    async ttl(key) {
      if (!lru.has(key)) return null;
      const remaining = lru.getRemainingTTL(key);
      // Rounded as Redis rounds TTL (a fresh 60 s key answers 60, not 61: the LRU's clock can put a
      // fraction of a millisecond past the TTL), but never 0 for a key that still exists.
      return Number.isFinite(remaining) && remaining > 0 ? Math.max(1, Math.round(remaining / 1000)) : null;
    },
    async ping() {},
    async close() {
      lru.clear();
    },
  };
}
