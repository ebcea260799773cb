/**
 * The cache port: an in-memory LRU (embedded) or Redis (server). A cache is never a system of
 * record: it may forget anything at any time, and an unreachable engine must not turn a request
 * into a 5xx.
 *
 * Guarantees every adapter keeps:
 * - `get` returns `null` for a missing or expired key, and also when the engine is unreachable
 *   (fail-open reads); it never throws.
 * - `set` stores a string with a TTL counted from this call; `set`, `del` and `delPrefix` never
 *   throw: an unreachable engine is reported through `onError` and the call resolves.
 * - `incr` is atomic across every process sharing the engine: concurrent calls on one key return
 *   distinct consecutive values. The TTL is set when the call creates the key and is not
 *   extended by later increments (fixed windows). It returns `null` when the engine is
 *   unreachable, so callers choose to fail open or closed.
 * - `delPrefix` removes every key that starts with the prefix (for small key spaces; prefer
 *   version keys bumped with `incr` for hot invalidation).
 * - Keys are plain strings; adapters may add a namespace but never change what callers see.
 */
export interface Cache {
  readonly engine: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  /** Reads several keys in one round trip; missing keys come back as `null`. */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
  delPrefix(prefix: string): Promise<void>;
  incr(key: string, ttlSeconds: number): Promise<number | null>;
  /** Seconds until the key expires, `null` when it does not exist, has no TTL, or on error. */
  ttl(key: string): Promise<number | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
