/**
 * A per-caller budget for searches the response cache cannot answer (OWASP API4:2023). A cached
 * search costs a lookup; an uncached one costs the database a full-text query plus typo lookups,
 * so one caller sending distinct queries (a random word defeats the cache) could keep a core
 * busy and slow every other caller. Each caller (the user, or the IP address of an anonymous
 * caller) may run `perMinute` uncached searches a minute, counted in windows of 10 s so a
 * burst waits seconds, not a minute; over it, 429 with Retry-After. Counted in the shared cache
 * (atomic incr), so the budget holds across replicas; when the cache is down it fails open.
 */
import type { Cache } from '../../ports/cache.js';
import type { Clock } from '../../platform/clock.js';
import { catalogErrors } from './catalog.errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Principal } from '../../platform/security.js';

const WINDOW_SECONDS = 10;

export interface SearchBudget {
  /** Spends one uncached search of `caller`; throws 429 SEARCH_RATE_LIMITED when none is left. */
  spend(caller: string): Promise<void>;
}

/** Who pays for a search: the user when there is one, else the address. */
export const searchCaller = (principal: Principal, ip: string): string =>
  principal.kind === 'user' && principal.userId ? `u:${principal.userId}` : `ip:${ip}`;

export function createSearchBudget(deps: {
  cache: Cache;
  clock: Clock;
  logger: Logger;
  enabled: boolean;
  perMinute: number;
}): SearchBudget {
  const perWindow = Math.max(1, Math.ceil((deps.perMinute * WINDOW_SECONDS) / 60));
  let warned = 0;
  return {
    async spend(caller) {
      if (!deps.enabled) return;
      const now = deps.clock.now().getTime() / 1000;
      const window = Math.floor(now / WINDOW_SECONDS);
      let n: number | null;
      try {
        n = await deps.cache.incr(`catalog:search-budget:${caller}:${window}`, WINDOW_SECONDS + 1);
      } catch {
        n = null;
      }
      if (n === null) {
        if (Date.now() - warned > 60_000) {
          warned = Date.now();
          deps.logger.warn('search budget skipped: cache unreachable');
        }
        return;
      }
      if (n > perWindow)
        throw catalogErrors.SEARCH_RATE_LIMITED({ retryAfterSeconds: (window + 1) * WINDOW_SECONDS - now });
    },
  };
}
