/**
 * The catalog response cache, on the cache port. Every key carries the read-model version
 * (`catalog:rm-version`, incremented by the read-model writer after each change), so a change
 * makes every older entry unreachable at once; entries also expire after CACHE_TTL seconds.
 * The version is read at most once per VERSION_REFRESH_MS per process. A cache that is down (or
 * throws) only costs hits: answers then come straight from the database.
 *
 * With a shared cache (Redis), each process also keeps a near cache: a size-bounded in-process
 * LRU of the same versioned keys. An entry under a version never changes, so the near cache is
 * exactly as fresh as the shared one (a change is seen within VERSION_REFRESH_MS either way);
 * it saves the Redis round trip on hot responses.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Cache } from '../../ports/cache.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';

export const VERSION_KEY = 'catalog:rm-version';
/** How long a process trusts the version it read: the longest a change can go unseen. */
export const VERSION_REFRESH_MS = 100;
const VERSION_TTL_SECONDS = 30 * 24 * 3600;

export interface CatalogCache {
  /** The current read-model version (a string of digits). */
  version(): Promise<string>;
  /**
   * The string stored for `kind` + `parts` under the current version, or the result of `compute`
   * (stored for next time). A rejected `compute` is not stored.
   */
  remember(kind: string, parts: readonly unknown[], compute: () => Promise<string>): Promise<string>;
}

export interface CatalogCacheDeps {
  cache: Cache;
  clock: Clock;
  logger: Logger;
  /** Seconds an entry lives; 0 turns the cache off. */
  ttlSeconds: number;
  /** Bytes (UTF-16 code units × 2) the near cache may hold; 0 or an in-memory `cache`: none. */
  nearBytes?: number;
  /** Counts lookups by result (hit, near, miss, off). */
  onLookup?: (result: 'hit' | 'near' | 'miss' | 'off') => void;
}

export function createCatalogCache(deps: CatalogCacheDeps): CatalogCache {
  const { cache, clock, logger, ttlSeconds } = deps;
  let known: { value: string; shared: boolean; at: number } | null = null;
  let pending: Promise<{ value: string; shared: boolean }> | null = null;
  const nearBytes = cache.engine === 'memory' ? 0 : (deps.nearBytes ?? 0);
  const near =
    nearBytes > 0 && ttlSeconds > 0
      ? new LRUCache<string, string>({
          maxSize: nearBytes,
          sizeCalculation: (value, key) => (value.length + key.length) * 2 + 64,
          ttl: ttlSeconds * 1000,
          ttlResolution: 0,
          perf: { now: () => clock.now().getTime() },
        })
      : null;

  const safely = async <T>(what: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      logger.warn({ err: error }, `catalog cache ${what} failed`);
      return fallback;
    }
  };

  /** The version, and whether it came from the shared cache (not a local stand-in). */
  async function readVersion(): Promise<{ value: string; shared: boolean }> {
    const stored = await safely('get', () => cache.get(VERSION_KEY), null);
    if (stored !== null) return { value: stored, shared: true };
    // No version yet (fresh engine, expired, evicted) or the engine is unreachable: start from the
    // clock so the new value never repeats one that older entries were stored under.
    const fresh = String(clock.now().getTime());
    await safely('set', () => cache.set(VERSION_KEY, fresh, VERSION_TTL_SECONDS), undefined);
    return { value: fresh, shared: false };
  }

  async function current(): Promise<{ value: string; shared: boolean }> {
    const now = clock.now().getTime();
    if (known && now - known.at < VERSION_REFRESH_MS) return known;
    // One read in flight per process, however many requests wait for it.
    pending ??= readVersion().finally(() => {
      pending = null;
    });
    const read = await pending;
    known = { ...read, at: now };
    return known;
  }

  async function version(): Promise<string> {
    return (await current()).value;
  }

  return {
    version,
    async remember(kind, parts, compute) {
      if (ttlSeconds <= 0) {
        deps.onLookup?.('off');
        return compute();
      }
      // Short parts (an id and the access levels) are the key themselves; long ones are hashed.
      const text = JSON.stringify(parts);
      const digest = text.length <= 96 ? text : createHash('sha1').update(text).digest('base64url');
      const v = await current();
      const key = `catalog:${v.value}:${kind}:${digest}`;
      // A version the shared cache did not confirm (it is down or was flushed) may be stale in
      // this process alone: then the near cache is bypassed and answers come from the database.
      const local = v.shared ? near : null;
      const nearHit = local?.get(key);
      if (nearHit !== undefined) {
        deps.onLookup?.('near');
        return nearHit;
      }
      const hit = await safely('get', () => cache.get(key), null);
      if (hit !== null) {
        deps.onLookup?.('hit');
        local?.set(key, hit);
        return hit;
      }
      deps.onLookup?.('miss');
      const value = await compute();
      local?.set(key, value);
      // Not awaited: the caller need not wait for the store (one connection keeps the order).
      void safely('set', () => cache.set(key, value, ttlSeconds), undefined);
      return value;
    },
  };
}
