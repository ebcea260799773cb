/**
 * Fixed-window rate limits counted in the shared cache (atomic `incr`), so every replica sees
 * one budget per caller. Modules name their own buckets; the cache being down fails open
 * (a cache is never a system of record) with one warning a minute.
 */
import type { Cache } from '../ports/cache.js';
import type { Clock } from './clock.js';
import { platformErrors } from './errors.js';
import type { Logger } from './logger.js';

export interface Budget {
  /** Distinguishes the counters of one limiter from another's (e.g. `ugc:ingest`). */
  readonly bucket: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface WindowLimiter {
  /**
   * Counts one hit of `caller` in `budget`. Resolves `null` when allowed (or the cache is down),
   * else the seconds until the window ends.
   */
  check(budget: Budget, caller: string): Promise<number | null>;
  /** As `check`, but throws 429 `RATE_LIMITED` with Retry-After when over the budget. */
  hit(budget: Budget, caller: string): Promise<void>;
}

export function createWindowLimiter(deps: {
  cache: Cache;
  clock: Clock;
  logger: Logger;
  /** KINO_RATE_LIMIT: off turns every budget off (load tests, trusted networks). */
  enabled: boolean;
}): WindowLimiter {
  let warned = 0;
  const check = async (budget: Budget, caller: string): Promise<number | null> => {
    if (!deps.enabled) return null;
    const now = deps.clock.now().getTime() / 1000;
    const window = Math.floor(now / budget.windowSeconds);
    const n = await deps.cache.incr(`rl:${budget.bucket}:${caller}:${window}`, budget.windowSeconds + 1);
    if (n === null) {
      if (Date.now() - warned > 60_000) {
        warned = Date.now();
        deps.logger.warn({ bucket: budget.bucket }, 'rate limit skipped: cache unreachable');
      }
      return null;
    }
    return n > budget.limit ? (window + 1) * budget.windowSeconds - now : null;
  };
  return {
    check,
    async hit(budget, caller) {
      const wait = await check(budget, caller);
      if (wait !== null) throw platformErrors.RATE_LIMITED({ retryAfterSeconds: wait });
    },
  };
}
