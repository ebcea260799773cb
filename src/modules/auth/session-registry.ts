/**
 * The session registry in the cache (docs/adr/0032): which sessions are live, with their grants
 * version, and which were ended. Every request of every service checks it; the database answers
 * a miss once and the answer is written back.
 */
import type { Cache } from '../../ports/cache.js';
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { parseSessionMarker, sessionKey, sessionMarker, type SessionStatus } from '../../platform/tokens.js';
import { createSessionRepository, type SessionGrants } from './session.repository.js';

export interface SessionRegistryDeps {
  sql: Sql;
  cache: Cache;
  clock: Clock;
  /** Access token lifetime: how long an ended session must stay marked. */
  accessTtl: number;
}

export type SessionRegistry = ReturnType<typeof createSessionRegistry>;

export function createSessionRegistry(deps: SessionRegistryDeps) {
  const { cache, clock, accessTtl } = deps;
  const sessions = createSessionRepository(deps.sql);
  /** Sessions ended by this process, checked before the shared cache (which may evict). */
  const revokedHere = new Map<string, number>();

  async function markRevoked(sessionIds: readonly string[]): Promise<void> {
    const until = Date.now() + (accessTtl + 60) * 1000;
    for (const id of sessionIds) {
      revokedHere.set(id, until);
      await cache.set(sessionKey(id), sessionMarker.revoked, accessTtl + 60);
    }
  }

  /** Registers sessions as live with their grants version, for the rest of their lifetime. */
  async function markLive(rows: readonly SessionGrants[]): Promise<void> {
    const now = clock.now().getTime();
    const batch = 500;
    for (let i = 0; i < rows.length; i += batch)
      await Promise.all(
        rows.slice(i, i + batch).map(async (r) => {
          const seconds = Math.ceil((r.expires_at.getTime() - now) / 1000);
          if (seconds > 0) await cache.set(sessionKey(r.id), sessionMarker.live(r.grants_version), seconds);
        }),
      );
  }

  /**
   * The registry lookup of every request in this process: one cache read. A miss (a restarted
   * all-in-one with its in-memory cache, a flushed or evicted Redis) is answered by the database
   * once and written back, so the next request is one read again.
   */
  async function sessionStatus(sessionId: string): Promise<SessionStatus> {
    const until = revokedHere.get(sessionId);
    if (until !== undefined) {
      if (until > Date.now()) return { state: 'revoked' };
      revokedHere.delete(sessionId);
    }
    const cached = parseSessionMarker(await cache.get(sessionKey(sessionId)));
    if (cached) return cached;
    const row = await sessions.status(sessionId, clock.now());
    if (!row) return { state: 'unknown' };
    if (row.ended) {
      await cache.set(sessionKey(sessionId), sessionMarker.revoked, accessTtl + 60);
      return { state: 'revoked' };
    }
    await markLive([{ id: sessionId, grants_version: row.grants_version, expires_at: row.expires_at }]);
    return { state: 'live', grants: row.grants_version };
  }

  return { sessionStatus, markLive, markRevoked };
}
