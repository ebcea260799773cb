/**
 * The catalog response cache, on the cache port. Every key carries the read-model version
 * (`catalog:rm-version`, incremented by the read-model writer after each change), so a change
 * makes every older entry unreachable at once; entries also expire after CACHE_TTL seconds.
 * The version is read at most once per VERSION_REFRESH_MS per process. A cache that is down (or
 * throws) only costs hits: answers then come straight from the database.
 */
import { createHash } from 'node:crypto';
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
  /** Counts lookups by result (hit, miss, off). */
  onLookup?: (result: 'hit' | 'miss' | 'off') => void;
}

export function createCatalogCache(deps: CatalogCacheDeps): CatalogCache {
  const { cache, clock, logger, ttlSeconds } = deps;
  let known: { value: string; at: number } | null = null;
  let pending: Promise<string> | null = null;

  const safely = async <T>(what: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      logger.warn({ err: error }, `catalog cache ${what} failed`);
      return fallback;
    }
  };

  async function readVersion(): Promise<string> {
    const stored = await safely('get', () => cache.get(VERSION_KEY), null);
    if (stored !== null) return stored;
    // No version yet (fresh engine, expired, evicted): start from the clock so the new value
    // never repeats one that older entries were stored under.
    const fresh = String(clock.now().getTime());
    await safely('set', () => cache.set(VERSION_KEY, fresh, VERSION_TTL_SECONDS), undefined);
    return fresh;
  }

  async function version(): Promise<string> {
    const now = clock.now().getTime();
    if (known && now - known.at < VERSION_REFRESH_MS) return known.value;
    // One read in flight per process, however many requests wait for it.
    pending ??= readVersion().finally(() => {
      pending = null;
    });
    const value = await pending;
    known = { value, at: now };
    return value;
  }

  return {
    version,
    async remember(kind, parts, compute) {
      if (ttlSeconds <= 0) {
        deps.onLookup?.('off');
        return compute();
      }
      const digest = createHash('sha1').update(JSON.stringify(parts)).digest('base64url');
      const key = `catalog:${await version()}:${kind}:${digest}`;
      const hit = await safely('get', () => cache.get(key), null);
      if (hit !== null) {
        deps.onLookup?.('hit');
        return hit;
      }
      deps.onLookup?.('miss');
      const value = await compute();
      // Not awaited: the caller need not wait for the store (one connection keeps the order).
      void safely('set', () => cache.set(key, value, ttlSeconds), undefined);
      return value;
    },
  };
}
