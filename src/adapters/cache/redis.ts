import { Redis } from 'ioredis';
import type { Cache } from '../../ports/cache.js';

/**
 * Redis through ioredis. Commands fail fast while the server is unreachable (no offline queue), so
 * a dead Redis costs a request microseconds, not a timeout; the client keeps reconnecting.
 */
export async function createRedisCache(
  url: string,
  options: { namespace?: string; onError?: (error: Error) => void } = {},
): Promise<Cache> {
  const ns = options.namespace ?? 'kino:';
  const report = (error: unknown) =>
    options.onError?.(error instanceof Error ? error : new Error(String(error)));
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    // Commands issued in the same tick share one write (fewer syscalls under concurrency).
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * times, 2_000),
  });
  let lastErrorAt = 0;
  redis.on('error', (error) => {
    // Reconnect attempts repeat the same error; report it at most every 10 s.
    const now = Date.now();
    if (now - lastErrorAt > 10_000) {
      lastErrorAt = now;
      report(error);
    }
  });
  try {
    await redis.connect();
  } catch (error) {
    report(error);
  }

  const k = (key: string) => ns + key;
  return {
    engine: 'redis',
    async get(key) {
      try {
        return await redis.get(k(key));
      } catch (error) {
        report(error);
        return null;
      }
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      try {
        return await redis.mget(keys.map(k));
      } catch (error) {
        report(error);
        return keys.map(() => null);
      }
    },
    async set(key, value, ttlSeconds) {
      try {
        await redis.set(k(key), value, 'PX', Math.max(1, Math.round(ttlSeconds * 1000)));
      } catch (error) {
        report(error);
      }
    },
    async del(key) {
      try {
        await redis.del(k(key));
      } catch (error) {
        report(error);
      }
    },
    async delPrefix(prefix) {
      try {
        const pattern = k(prefix).replace(/[*?[\]\\]/g, '\\$&') + '*';
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.unlink(...keys);
        } while (cursor !== '0');
      } catch (error) {
        report(error);
      }
    },
    async incr(key, ttlSeconds) {
      try {
        // SET NX creates the key with its TTL only once; INCR never touches the TTL.
        const result = await redis
          .multi()
          .set(k(key), '0', 'PX', Math.max(1, Math.round(ttlSeconds * 1000)), 'NX')
          .incr(k(key))
          .exec();
        const incrResult = result?.[1];
        if (!incrResult || incrResult[0]) throw incrResult?.[0] ?? new Error('redis transaction aborted');
        return Number(incrResult[1]);
      } catch (error) {
        report(error);
        return null;
      }
    },
    async ttl(key) {
      try {
        const ms = await redis.pttl(k(key));
        return ms > 0 ? Math.ceil(ms / 1000) : null;
      } catch (error) {
        report(error);
        return null;
      }
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      redis.disconnect();
    },
  };
}
