/** Fixed-window rate limits per IP and action, counted in the shared cache (atomic incr). */
import type { Cache } from '../../ports/cache.js';
import type { Clock } from '../../platform/clock.js';
import { platformErrors } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';

export type LimitedAction = 'register' | 'login' | 'refresh' | 'mfa' | 'reset' | 'verify' | 'oauth';

export interface RateLimiter {
  /** Throws 429 RATE_LIMITED with Retry-After when `ip` exceeded the limit for `action`. */
  hit(action: LimitedAction, ip: string): Promise<void>;
}

export function createRateLimiter(deps: {
  cache: Cache;
  clock: Clock;
  logger: Logger;
  enabled: boolean;
  perMinute: number;
}): RateLimiter {
  const windowSeconds = 60;
  let warned = 0;
  return {
    async hit(action, ip) {
      if (!deps.enabled) return;
      const now = deps.clock.now().getTime() / 1000;
      const window = Math.floor(now / windowSeconds);
      const n = await deps.cache.incr(`auth:rl:${action}:${ip}:${window}`, windowSeconds + 1);
      if (n === null) {
        // The cache is down: fail open (the per-account lockout in the database still holds).
        if (Date.now() - warned > 60_000) {
          warned = Date.now();
          deps.logger.warn({ action }, 'rate limit skipped: cache unreachable');
        }
        return;
      }
      if (n > deps.perMinute)
        throw platformErrors.RATE_LIMITED({
          detail: 'Too many requests from this address; slow down.',
          retryAfterSeconds: (window + 1) * windowSeconds - now,
        });
    },
  };
}
