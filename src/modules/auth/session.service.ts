/**
 * Sessions: opening one (with its first token pair), refresh rotation with reuse detection, logout,
 * the owner's list of sessions, ending sessions, and the login history.
 */
import { randomUUID } from 'node:crypto';
import { isSqlError, SqlState, type Sql, type SqlExecutor } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { authErrors } from './auth.errors.js';
import { event } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import { emit } from '../../platform/outbox.js';
import { activeUser, secondsFrom, type ClientInfo, type TokenPair } from './account.model.js';
import { hashToken, randomToken } from './crypto.js';
import type { KeyStore } from './keys.js';
import { createLoginHistoryRepository } from './login-history.repository.js';
import { createRefreshTokenRepository } from './refresh-token.repository.js';
import type { SessionRegistry } from './session-registry.js';
import { createSessionRepository } from './session.repository.js';
import { createUserRepository, type Grants, type UserRow } from './user.repository.js';

/** Refresh tokens rotated this recently by a parallel request are not treated as reuse. */
export const REFRESH_GRACE_SECONDS = 10;

export interface SessionServiceDeps {
  sql: Sql;
  clock: Clock;
  logger: Logger;
  keys: KeyStore;
  registry: SessionRegistry;
  accessTtl: number;
  refreshTtl: number;
}

export type SessionService = ReturnType<typeof createSessionService>;

export function createSessionService(deps: SessionServiceDeps) {
  const { sql, clock, logger, keys, registry, accessTtl, refreshTtl } = deps;
  const history = createLoginHistoryRepository(sql);
  const later = (seconds: number) => secondsFrom(clock.now(), seconds);

  async function accessToken(
    user: UserRow,
    sessionId: string,
    db: SqlExecutor = sql,
    grants?: Grants,
    grantsVersion = 0,
  ): Promise<string> {
    const { roles, permissions } = grants ?? (await createUserRepository(db).rolesAndPermissions(user.id));
    return keys.sign(
      {
        sub: user.id,
        jti: randomUUID(),
        type: 'access',
        user_id: user.id,
        session_id: sessionId,
        username: user.login,
        role_code: roles[0] ?? 'ANONYMOUS',
        roles,
        permissions,
        grants_version: grantsVersion,
      },
      accessTtl,
    );
  }

  /** Opens a session for `user` and returns its first token pair (in `db`'s transaction if given). */
  async function openSession(
    user: UserRow,
    method: string,
    client: ClientInfo,
    db?: SqlExecutor,
  ): Promise<TokenPair> {
    const sessionId = randomUUID();
    const refresh = await (db ? run(db) : sql.transaction(run));
    async function run(tx: SqlExecutor) {
      const expiresAt = later(refreshTtl);
      await createSessionRepository(tx).insert({
        id: sessionId,
        userId: user.id,
        method,
        userAgent: client.userAgent,
        ip: client.ip,
        now: clock.now(),
        expiresAt,
      });
      // Registered before the commit: a grants change can only see the session after it, so its
      // newer version is never overwritten by this first one.
      await registry.markLive([{ id: sessionId, grants_version: 0, expires_at: expiresAt }]);
      const token = randomToken(32);
      await createRefreshTokenRepository(tx).insert(
        hashToken(token),
        sessionId,
        clock.now(),
        later(refreshTtl),
      );
      return token;
    }
    return {
      access_token: await accessToken(user, sessionId, db),
      refresh_token: refresh,
      token_type: 'Bearer',
      expires_in: accessTtl,
    };
  }

  /** Ends the sessions of a user that `where` selects (all by default); returns how many were open. */
  async function endSessions(
    userId: string,
    reason: string,
    where: { ids?: readonly string[]; except?: string } = {},
  ): Promise<number> {
    const ended = await sql.transaction(async (tx) => {
      const ids = await createSessionRepository(tx).revoke({ userId, ...where }, reason, clock.now());
      if (ids.length > 0)
        await emit(tx, [event('auth.session.revoked', userId, { userId, sessionIds: ids })]);
      return ids;
    });
    await registry.markRevoked(ended);
    return ended.length;
  }

  async function refresh(refreshToken: string): Promise<TokenPair> {
    const hash = hashToken(refreshToken);
    const next = randomToken(32);
    const now = clock.now();
    const tokens = createRefreshTokenRepository(sql);
    const rotated = await tokens.rotate(hash, hashToken(next), now, later(refreshTtl));
    if (rotated.claimed && rotated.user) {
      const user = activeUser(rotated.user);
      // Puts the session back in a registry that lost it (a flushed Redis), for other services.
      await registry.sessionStatus(rotated.claimed);
      return {
        access_token: await accessToken(user, rotated.claimed, sql, user, rotated.grantsVersion),
        refresh_token: next,
        token_type: 'Bearer',
        expires_in: accessTtl,
      };
    }
    if (rotated.claimed)
      // Claimed, but the session was revoked or expired meanwhile.
      throw authErrors.SESSION_ENDED();
    const row = await tokens.find(hash);
    if (!row || row.expires_at <= now || !row.used_at) throw authErrors.REFRESH_TOKEN_INVALID();
    const age = (now.getTime() - row.used_at.getTime()) / 1000;
    if (age <= REFRESH_GRACE_SECONDS && row.successor_used === false)
      // A parallel request (another tab) rotated it a moment ago: not an attack.
      throw authErrors.REFRESH_TOKEN_ROTATED();
    const owner = await createSessionRepository(sql).owner(row.session_id);
    if (owner) await endSessions(owner, 'refresh_token_reuse', { ids: [row.session_id] });
    logger.warn({ session_id: row.session_id }, 'refresh token reused: session revoked');
    throw authErrors.REFRESH_TOKEN_REUSED();
  }

  async function ensurePartitions(): Promise<void> {
    try {
      const created = await history.ensurePartitions(clock.now());
      if (created.length > 0) logger.info({ partitions: created }, 'login history partitions created');
    } catch (error) {
      // Another replica created the same partition at the same moment.
      if (!isSqlError(error, '42P07') && !isSqlError(error, SqlState.uniqueViolation)) throw error;
    }
  }

  async function recordLogin(
    userId: string,
    client: ClientInfo,
    success: boolean,
    method: string,
    reason: string | null,
  ): Promise<void> {
    const entry = {
      id: randomUUID(),
      userId,
      at: clock.now(),
      ip: client.ip,
      userAgent: client.userAgent,
      success,
      method,
      reason,
    };
    try {
      await history.insert(entry);
    } catch {
      // The partition for this month is missing (periodic task late): create it and retry once.
      await ensurePartitions();
      await history
        .insert(entry)
        .catch((e: unknown) => logger.warn({ err: e }, 'login history not recorded'));
    }
  }

  return {
    accessToken,
    openSession,
    endSessions,
    refresh,
    recordLogin,
    ensurePartitions,

    async logout(userId: string, sessionId: string, scope: 'current' | 'others' | 'all'): Promise<number> {
      if (scope === 'current') return endSessions(userId, 'logout', { ids: [sessionId] });
      if (scope === 'others') return endSessions(userId, 'logout_others', { except: sessionId });
      return endSessions(userId, 'logout_all');
    },

    listSessions: (userId: string) => createSessionRepository(sql).active(userId, clock.now()),

    async endSession(userId: string, sessionId: string): Promise<void> {
      if ((await endSessions(userId, 'logout', { ids: [sessionId] })) === 0)
        throw authErrors.SESSION_NOT_FOUND();
    },

    history: (userId: string, page: number, size: number) => history.page(userId, size, (page - 1) * size),
  };
}
