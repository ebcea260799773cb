/**
 * Accounts and sessions: register, login (with lockout and MFA), refresh rotation with reuse
 * detection, logout, own sessions and history, profile, password change and reset, email
 * verification and TOTP. Transport-free: HTTP routes, commands and tests call the same functions.
 */
import { randomUUID } from 'node:crypto';
import { generateSecret, generateURI, verify as verifyTotp } from 'otplib';
import type { Cache } from '../../ports/cache.js';
import { isSqlError, SqlState, type Sql, type SqlExecutor } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import type { Config } from '../../platform/config.js';
import {
  AppError,
  badRequest,
  conflict,
  forbidden,
  notFound,
  tooManyRequests,
  unauthorized,
} from '../../platform/errors.js';
import { event } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import { emit } from '../../platform/outbox.js';
import { parseSessionMarker, sessionKey, sessionMarker, type SessionStatus } from '../../platform/tokens.js';
import {
  history,
  loginThrottle,
  oneTimeTokens,
  refreshTokens,
  sessions,
  users,
  type Grants,
  type SessionGrants,
  type UserRow,
} from './auth.repository.js';
import { hashToken, randomToken, type Sealer } from './crypto.js';
import { normalizeEmail, requireEmail } from './email.js';
import type { KeyStore } from './keys.js';
import { checkPassword, type PasswordHasher } from './passwords.js';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface PublicUser {
  id: string;
  login: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  email_verified: boolean;
  mfa_enabled: boolean;
  created_at: Date;
}

export interface AuthServiceDeps {
  sql: Sql;
  cache: Cache;
  clock: Clock;
  logger: Logger;
  config: Config;
  keys: KeyStore;
  hasher: PasswordHasher;
  sealer: Sealer;
}

/** Refresh tokens rotated this recently by a parallel request are not treated as reuse. */
export const REFRESH_GRACE_SECONDS = 10;
const MFA_TOKEN_SECONDS = 300;
const EMAIL_TOKEN_SECONDS = 3600;
/** How long the previous address can undo an email change. */
const REVERT_TOKEN_SECONDS = 7 * 24 * 3600;
/** At most one reset or verification mail per account in this window. */
const MAIL_COOLDOWN_SECONDS = 60;
const TOTP_ISSUER = 'Kinoservice';

export const toPublicUser = (u: UserRow): PublicUser => ({
  id: u.id,
  login: u.login,
  email: u.email,
  first_name: u.first_name,
  last_name: u.last_name,
  email_verified: u.email_verified_at !== null,
  mfa_enabled: u.totp_enabled,
  created_at: u.created_at,
});

const invalidCredentials = () => unauthorized('INVALID_CREDENTIALS', 'The login or the password is wrong.');

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: AuthServiceDeps) {
  const { sql, cache, clock, logger, config, keys, hasher, sealer } = deps;
  const accessTtl = config.authAccessTtl;
  const refreshTtl = config.authRefreshTtl;
  const threshold = config.authLockoutThreshold;
  /** Sessions ended by this process, checked before the shared cache (which may evict). */
  const revokedHere = new Map<string, number>();
  const later = (seconds: number) => new Date(clock.now().getTime() + seconds * 1000);

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
    const row = await sessions.status(sql, sessionId, clock.now());
    if (!row) return { state: 'unknown' };
    if (row.ended) {
      await cache.set(sessionKey(sessionId), sessionMarker.revoked, accessTtl + 60);
      return { state: 'revoked' };
    }
    await markLive([{ id: sessionId, grants_version: row.grants_version, expires_at: row.expires_at }]);
    return { state: 'live', grants: row.grants_version };
  }

  async function accessToken(
    user: UserRow,
    sessionId: string,
    db: SqlExecutor = sql,
    grants?: Grants,
    grantsVersion = 0,
  ): Promise<string> {
    const { roles, permissions } = grants ?? (await users.rolesAndPermissions(db, user.id));
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

  async function newRefreshToken(db: SqlExecutor, sessionId: string): Promise<string> {
    const token = randomToken(32);
    await refreshTokens.insert(db, hashToken(token), sessionId, clock.now(), later(refreshTtl));
    return token;
  }

  /** Opens a session for `user` and returns its first token pair. */
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
      await sessions.insert(tx, {
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
      await markLive([{ id: sessionId, grants_version: 0, expires_at: expiresAt }]);
      return newRefreshToken(tx, sessionId);
    }
    return {
      access_token: await accessToken(user, sessionId, db),
      refresh_token: refresh,
      token_type: 'Bearer',
      expires_in: accessTtl,
    };
  }

  async function recordLogin(
    userId: string,
    client: ClientInfo,
    success: boolean,
    method: string,
    reason: string | null,
  ) {
    const row = {
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
      await history.insert(sql, row);
    } catch (error) {
      // The partition for this month is missing (periodic task late): create it and retry once.
      await ensurePartitions();
      await history
        .insert(sql, row)
        .catch((e: unknown) => logger.warn({ err: e }, 'login history not recorded'));
      void error;
    }
  }

  async function ensurePartitions(): Promise<void> {
    try {
      const created = await history.ensurePartitions(sql, clock.now());
      if (created.length > 0) logger.info({ partitions: created }, 'login history partitions created');
    } catch (error) {
      // Another replica created the same partition at the same moment.
      if (!isSqlError(error, '42P07') && !isSqlError(error, SqlState.uniqueViolation)) throw error;
    }
  }

  function lockedError(until: Date): AppError {
    const seconds = Math.max(1, Math.ceil((until.getTime() - clock.now().getTime()) / 1000));
    return tooManyRequests('ACCOUNT_LOCKED', 'Too many failed attempts; try again later.', seconds);
  }

  /**
   * Unknown logins lock exactly like real ones (same statement shape, same back-off, same
   * Retry-After), so neither the lockout nor its timing reveals that an account exists.
   */
  async function claimUnknown(name: string): Promise<void> {
    const key = hashToken(`login:${(normalizeEmail(name) ?? name).toLowerCase()}`);
    const result = await loginThrottle.claim(sql, key, clock.now(), threshold);
    if ('locked_until' in result) throw lockedError(result.locked_until);
  }

  async function claim(user: UserRow): Promise<void> {
    const result = await users.claimAttempt(sql, user.id, clock.now(), threshold);
    if ('locked_until' in result) throw lockedError(result.locked_until);
  }

  async function verifyUserPassword(
    user: UserRow | undefined,
    password: string,
    name: string,
  ): Promise<UserRow> {
    if (!user || !user.password_hash || !user.is_active) {
      await claimUnknown(name);
      await hasher.dummyVerify(password);
      throw invalidCredentials();
    }
    await claim(user);
    if (!(await hasher.verify(user.password_hash, password))) throw invalidCredentials();
    await users.clearAttempts(sql, user.id);
    return user;
  }

  /** The user, if the account still exists and is active; else 401 USER_NOT_FOUND. */
  function activeUser<U extends UserRow>(user: U | null | undefined): U {
    if (!user || !user.is_active) throw unauthorized('USER_NOT_FOUND', 'This account no longer exists.');
    return user;
  }

  async function loadUser(id: string): Promise<UserRow> {
    return activeUser(await users.byId(sql, id));
  }

  /** A one-time token for the address the account holds now, stored hashed, and its mail asked for. */
  async function mailToken(
    tx: SqlExecutor,
    user: UserRow,
    purpose: 'verify_email' | 'reset_password',
    now: Date,
  ): Promise<void> {
    const token = randomToken(32);
    const expiresAt = later(EMAIL_TOKEN_SECONDS);
    await oneTimeTokens.insert(tx, {
      hash: hashToken(token),
      purpose,
      userId: user.id,
      email: user.email,
      now,
      expiresAt,
    });
    const payload = {
      userId: user.id,
      email: user.email,
      login: user.login,
      token,
      expiresAt: expiresAt.toISOString(),
      locale: user.locale,
    };
    await emit(tx, [
      purpose === 'verify_email'
        ? event('auth.email_verification.requested', user.id, payload)
        : event('auth.password_reset.requested', user.id, payload),
    ]);
  }

  /** A new verification link for the address the account holds now; older links stop working. */
  async function requestEmailVerification(tx: SqlExecutor, user: UserRow): Promise<void> {
    await oneTimeTokens.voidAll(tx, user.id, ['verify_email'], clock.now());
    await mailToken(tx, user, 'verify_email', clock.now());
  }

  async function endSessions(
    userId: string,
    reason: string,
    where: { ids?: readonly string[]; except?: string } = {},
  ): Promise<number> {
    const ended = await sql.transaction(async (tx) => {
      const ids = await sessions.revoke(tx, { userId, ...where }, reason, clock.now());
      if (ids.length > 0)
        await emit(tx, [event('auth.session.revoked', userId, { userId, sessionIds: ids })]);
      return ids;
    });
    await markRevoked(ended);
    return ended.length;
  }

  async function verifyTotpCode(user: UserRow, code: string): Promise<boolean> {
    if (!user.totp_secret) return false;
    const secret = sealer.open(user.totp_secret);
    const epoch = Math.floor(clock.now().getTime() / 1000);
    const result = await verifyTotp({ secret, token: code, epoch, epochTolerance: 30 }).catch(() => ({
      valid: false as const,
    }));
    if (!result.valid) return false;
    const step = Math.floor(epoch / 30) + result.delta;
    // A code is accepted once: only for a time step after the last accepted one.
    const changed = await sql.execute(
      'UPDATE auth.users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2',
      [user.id, step],
    );
    return changed === 1;
  }

  async function useRecoveryCode(userId: string, code: string): Promise<boolean> {
    const changed = await sql.execute(
      'UPDATE auth.recovery_codes SET used_at = $3 WHERE user_id = $1 AND hash = $2 AND used_at IS NULL',
      [userId, hashToken(code.trim().toLowerCase()), clock.now()],
    );
    return changed === 1;
  }

  /**
   * Recovery requests answered before any account-dependent work: the response is computed from
   * the input alone (same status, body and time for every address), and the lookup, token and
   * mail event happen afterwards. A request lost to a crash is asked again by its person.
   */
  const pending = new Set<Promise<void>>();
  function afterReply(what: string, work: () => Promise<void>): void {
    // Not even the first query starts before the reply is on its way: the embedded engine runs
    // on this thread and would hold the reply back for accounts that exist.
    const task = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((error: unknown) => logger.error({ err: error }, `${what} failed`))
      .finally(() => pending.delete(task));
    pending.add(task);
  }

  /** The current password, or else a fresh second-factor code, before recovery settings change. */
  async function reauthenticate(user: UserRow, proof: { current_password?: string; mfa_code?: string }) {
    if (proof.current_password !== undefined && user.password_hash) {
      await verifyUserPassword(user, proof.current_password, user.login);
      return;
    }
    if (proof.mfa_code !== undefined && user.totp_enabled) {
      await claim(user);
      const code = proof.mfa_code.trim();
      const ok = /^\d{6}$/.test(code)
        ? await verifyTotpCode(user, code)
        : await useRecoveryCode(user.id, code);
      if (!ok) throw badRequest('MFA_CODE_INVALID', 'The code is wrong or was already used.');
      await users.clearAttempts(sql, user.id);
      return;
    }
    throw forbidden(
      'REAUTHENTICATION_REQUIRED',
      user.password_hash
        ? 'Changing the email needs your current password (current_password).'
        : 'Changing the email needs a code from your authenticator app (mfa_code).',
    );
  }

  async function issueReset(email: string): Promise<void> {
    const user = await users.byEmail(sql, email);
    // Only to an address the account has proven: an unverified one may not be its owner's.
    if (!user || !user.is_active || !user.email_verified_at) return;
    const now = clock.now();
    if (await oneTimeTokens.issuedSince(sql, user.id, 'reset_password', later(-MAIL_COOLDOWN_SECONDS)))
      return;
    await sql.transaction((tx) => mailToken(tx, user, 'reset_password', now));
  }

  async function issueVerification(email: string): Promise<void> {
    const user = await users.byEmail(sql, email);
    if (!user || !user.is_active || user.email_verified_at) return;
    if (await oneTimeTokens.issuedSince(sql, user.id, 'verify_email', later(-MAIL_COOLDOWN_SECONDS))) return;
    await sql.transaction((tx) => requestEmailVerification(tx, user));
  }

  return {
    sessionStatus,
    markRevoked,
    markLive,
    ensurePartitions,
    accessToken,
    endSessions,

    async register(
      input: {
        login: string;
        email: string;
        password: string;
        first_name?: string | null;
        last_name?: string | null;
      },
      client: ClientInfo,
    ): Promise<{ user: PublicUser; tokens: TokenPair }> {
      const email = requireEmail(input.email);
      checkPassword(input.password, { login: input.login, email });
      const passwordHash = await hasher.hash(input.password);
      const user = await createUser({ ...input, email, passwordHash, emailVerified: false });
      const tokens = await openSession(user, 'password', client);
      await recordLogin(user.id, client, true, 'register', null);
      return { user: toPublicUser(user), tokens };
    },

    async login(
      input: { login: string; password: string },
      client: ClientInfo,
    ): Promise<TokenPair | { mfa_required: true; mfa_token: string }> {
      const found = await users.byLoginOrEmail(sql, normalizeEmail(input.login) ?? input.login);
      let user: UserRow;
      try {
        user = await verifyUserPassword(found, input.password, input.login);
      } catch (error) {
        if (found && error instanceof AppError)
          await recordLogin(found.id, client, false, 'password', error.code);
        throw error;
      }
      if (user.totp_enabled) {
        const token = randomToken(32);
        await oneTimeTokens.insert(sql, {
          hash: hashToken(token),
          purpose: 'mfa',
          userId: user.id,
          now: clock.now(),
          expiresAt: later(MFA_TOKEN_SECONDS),
        });
        return { mfa_required: true, mfa_token: token };
      }
      const tokens = await openSession(user, 'password', client);
      await recordLogin(user.id, client, true, 'password', null);
      return tokens;
    },

    async loginMfa(input: { mfa_token: string; code: string }, client: ClientInfo): Promise<TokenPair> {
      const hash = hashToken(input.mfa_token);
      const step = await oneTimeTokens.peek(sql, hash, 'mfa', clock.now());
      if (!step) throw unauthorized('MFA_TOKEN_INVALID', 'The MFA step has expired; log in again.');
      const user = await loadUser(step.user_id);
      await claim(user);
      const code = input.code.trim();
      const ok = /^\d{6}$/.test(code)
        ? await verifyTotpCode(user, code)
        : await useRecoveryCode(user.id, code);
      if (!ok) {
        await recordLogin(user.id, client, false, 'mfa', 'MFA_CODE_INVALID');
        throw unauthorized('MFA_CODE_INVALID', 'The code is wrong or was already used.');
      }
      if (!(await oneTimeTokens.consume(sql, hash, 'mfa', clock.now())))
        throw unauthorized('MFA_TOKEN_INVALID', 'The MFA step has expired; log in again.');
      await users.clearAttempts(sql, user.id);
      const tokens = await openSession(user, 'password+totp', client);
      await recordLogin(user.id, client, true, 'mfa', null);
      return tokens;
    },

    async refresh(refreshToken: string): Promise<TokenPair> {
      const hash = hashToken(refreshToken);
      const next = randomToken(32);
      const now = clock.now();
      const rotated = await refreshTokens.rotate(sql, hash, hashToken(next), now, later(refreshTtl));
      if (rotated.claimed && rotated.user) {
        const user = activeUser(rotated.user);
        // Puts the session back in a registry that lost it (a flushed Redis), for other services.
        await sessionStatus(rotated.claimed);
        return {
          access_token: await accessToken(user, rotated.claimed, sql, user, rotated.grantsVersion),
          refresh_token: next,
          token_type: 'Bearer',
          expires_in: accessTtl,
        };
      }
      if (rotated.claimed)
        // Claimed, but the session was revoked or expired meanwhile.
        throw unauthorized('SESSION_ENDED', 'This session has ended; log in again.');
      const row = await refreshTokens.find(sql, hash);
      if (!row || row.expires_at <= now || !row.used_at)
        throw unauthorized('REFRESH_TOKEN_INVALID', 'The refresh token is not valid; log in again.');
      const age = (now.getTime() - row.used_at.getTime()) / 1000;
      if (age <= REFRESH_GRACE_SECONDS && row.successor_used === false)
        // A parallel request (another tab) rotated it a moment ago: not an attack.
        throw conflict(
          'REFRESH_TOKEN_ROTATED',
          'This refresh token was just rotated by another request; use the newer one.',
        );
      const [session] = await sql.query<{ user_id: string }>(
        'SELECT user_id FROM auth.sessions WHERE id = $1',
        [row.session_id],
      );
      if (session) await endSessions(session.user_id, 'refresh_token_reuse', { ids: [row.session_id] });
      logger.warn({ session_id: row.session_id }, 'refresh token reused: session revoked');
      throw unauthorized(
        'REFRESH_TOKEN_REUSED',
        'This refresh token was already used; the session has been ended.',
      );
    },

    async logout(userId: string, sessionId: string, scope: 'current' | 'others' | 'all'): Promise<number> {
      if (scope === 'current') return endSessions(userId, 'logout', { ids: [sessionId] });
      if (scope === 'others') return endSessions(userId, 'logout_others', { except: sessionId });
      return endSessions(userId, 'logout_all');
    },

    async listSessions(userId: string) {
      return sessions.active(sql, userId, clock.now());
    },

    async endSession(userId: string, sessionId: string): Promise<void> {
      if ((await endSessions(userId, 'logout', { ids: [sessionId] })) === 0)
        throw notFound('SESSION_NOT_FOUND', 'No active session with this id.');
    },

    async history(userId: string, page: number, size: number) {
      return history.page(sql, userId, size, (page - 1) * size);
    },

    async me(userId: string): Promise<PublicUser> {
      return toPublicUser(await loadUser(userId));
    },

    /**
     * Updates the profile. A new email needs `current_password` (or `mfa_code` for accounts
     * without a password): it is unproven until verified, outstanding reset and verification
     * links die, and the previous address is told, with a link that undoes the change.
     */
    async updateMe(
      userId: string,
      patch: {
        first_name?: string | null;
        last_name?: string | null;
        email?: string;
        current_password?: string;
        mfa_code?: string;
      },
    ): Promise<PublicUser> {
      const user = await loadUser(userId);
      const email = patch.email === undefined ? undefined : requireEmail(patch.email);
      const emailChanged = email !== undefined && email.toLowerCase() !== user.email.toLowerCase();
      if (emailChanged) await reauthenticate(user, patch);
      const updated = await sql.transaction(async (tx) => {
        const now = clock.now();
        await users.updateNames(tx, userId, patch, now);
        if (email !== undefined && email !== user.email) {
          await users
            .setEmail(tx, userId, email, emailChanged ? null : user.email_verified_at, now)
            .catch(uniqueToConflict);
        }
        const fresh = (await users.byId(tx, userId))!;
        if (emailChanged) {
          await oneTimeTokens.voidAll(tx, userId, ['reset_password', 'revert_email'], now);
          await requestEmailVerification(tx, fresh);
          const token = randomToken(32);
          const expiresAt = later(REVERT_TOKEN_SECONDS);
          await oneTimeTokens.insert(tx, {
            hash: hashToken(token),
            purpose: 'revert_email',
            userId,
            email: user.email,
            now,
            expiresAt,
          });
          await emit(tx, [
            event('auth.email.changed', userId, {
              userId,
              login: user.login,
              locale: user.locale,
              oldEmail: user.email,
              newEmail: fresh.email,
              token,
              expiresAt: expiresAt.toISOString(),
            }),
          ]);
        }
        return fresh;
      });
      return toPublicUser(updated);
    },

    /**
     * Undoes an email change from the link mailed to the previous address: that address comes
     * back (proven, since the link reached it), every outstanding link dies and every session
     * ends, so whoever made the change is out.
     */
    async revertEmail(token: string): Promise<void> {
      const userId = await sql.transaction(async (tx) => {
        const now = clock.now();
        const found = await oneTimeTokens.consume(tx, hashToken(token), 'revert_email', now);
        if (!found?.email) return null;
        await users.setEmail(tx, found.user_id, found.email, now, now).catch(uniqueToConflict);
        await oneTimeTokens.voidAll(
          tx,
          found.user_id,
          ['verify_email', 'reset_password', 'revert_email'],
          now,
        );
        await emit(tx, [
          event('auth.email.restored', found.user_id, { userId: found.user_id, email: found.email }),
        ]);
        return found.user_id;
      });
      if (!userId) throw badRequest('REVERT_TOKEN_INVALID', 'This link is invalid or has expired.');
      await endSessions(userId, 'email_reverted');
    },

    async changeLogin(userId: string, login: string, password: string): Promise<PublicUser> {
      const user = await loadUser(userId);
      await verifyUserPassword(user, password, user.login);
      await sql
        .execute('UPDATE auth.users SET login = $2, updated_at = $3 WHERE id = $1', [
          userId,
          login,
          clock.now(),
        ])
        .catch(uniqueToConflict);
      return toPublicUser(await loadUser(userId));
    },

    async changePassword(
      userId: string,
      sessionId: string,
      oldPassword: string,
      newPassword: string,
    ): Promise<void> {
      const user = await loadUser(userId);
      await verifyUserPassword(user, oldPassword, user.login);
      checkPassword(newPassword, { login: user.login, email: user.email });
      const hashed = await hasher.hash(newPassword);
      await sql.transaction(async (tx) => {
        await users.setPassword(tx, userId, hashed, clock.now());
        // A reset link asked for before the change must not undo it.
        await oneTimeTokens.voidAll(tx, userId, ['reset_password'], clock.now());
      });
      await endSessions(userId, 'password_changed', { except: sessionId });
    },

    /** Answers at once, whatever the address; a reset link goes to a verified address only. */
    forgotPassword(email: string): void {
      const address = requireEmail(email);
      afterReply('password reset request', () => issueReset(address));
    },

    /** Answers at once, whatever the address; a new link goes to an unverified address only. */
    resendVerification(email: string): void {
      const address = requireEmail(email);
      afterReply('verification request', () => issueVerification(address));
    },

    /** Forgets unknown names that failed long ago (the maintenance loop calls it). */
    pruneThrottle: () => loginThrottle.prune(sql, later(-24 * 3600)),

    /** Resolves when every request accepted so far has been handled (tests, shutdown). */
    async settle(): Promise<void> {
      while (pending.size > 0) await Promise.all(pending);
    },

    async resetPassword(token: string, newPassword: string): Promise<void> {
      const invalid = () => badRequest('RESET_TOKEN_INVALID', 'This reset link is invalid or has expired.');
      const hash = hashToken(token);
      const found = await oneTimeTokens.peek(sql, hash, 'reset_password', clock.now());
      if (!found?.email) throw invalid();
      const user = await loadUser(found.user_id);
      checkPassword(newPassword, { login: user.login, email: user.email });
      const hashed = await hasher.hash(newPassword);
      const done = await sql.transaction(async (tx) => {
        const now = clock.now();
        if (!(await oneTimeTokens.consume(tx, hash, 'reset_password', now))) return false;
        // Every other reset link of the account dies with this one.
        await oneTimeTokens.voidAll(tx, user.id, ['reset_password'], now);
        return users.resetPassword(tx, user.id, found.email!, hashed, now);
      });
      if (!done) throw invalid();
      await endSessions(user.id, 'password_reset');
    },

    /** Proves the address the link was mailed to, only while the account still holds it. */
    async verifyEmail(token: string): Promise<void> {
      const done = await sql.transaction(async (tx) => {
        const found = await oneTimeTokens.consume(tx, hashToken(token), 'verify_email', clock.now());
        if (!found?.email) return false;
        return users.markEmailVerified(tx, found.user_id, found.email, clock.now());
      });
      if (!done)
        throw badRequest('VERIFICATION_TOKEN_INVALID', 'This verification link is invalid or has expired.');
    },

    async totpSetup(userId: string): Promise<{ secret: string; otpauth_url: string }> {
      const user = await loadUser(userId);
      if (user.totp_enabled)
        throw conflict('MFA_ALREADY_ENABLED', 'Two-factor authentication is already on.');
      const secret = generateSecret();
      await sql.execute('UPDATE auth.users SET totp_secret = $2 WHERE id = $1', [
        userId,
        sealer.seal(secret),
      ]);
      return { secret, otpauth_url: generateURI({ issuer: TOTP_ISSUER, label: user.login, secret }) };
    },

    async totpEnable(userId: string, code: string): Promise<{ recovery_codes: string[] }> {
      const user = await loadUser(userId);
      if (user.totp_enabled)
        throw conflict('MFA_ALREADY_ENABLED', 'Two-factor authentication is already on.');
      if (!user.totp_secret) throw conflict('MFA_NOT_SET_UP', 'Call the setup endpoint first.');
      await claim(user);
      if (!(await verifyTotpCode(user, code.trim())))
        throw badRequest('MFA_CODE_INVALID', 'The code is wrong or was already used.');
      await users.clearAttempts(sql, userId);
      const codes = Array.from({ length: 10 }, () => {
        const raw = randomToken(8)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, '');
        return `${raw.slice(0, 5)}-${raw.slice(5, 10)}`.padEnd(11, '0');
      });
      await sql.transaction(async (tx) => {
        await tx.execute('DELETE FROM auth.recovery_codes WHERE user_id = $1', [userId]);
        await tx.query('INSERT INTO auth.recovery_codes (user_id, hash) SELECT $1, unnest($2::text[])', [
          userId,
          codes.map((c) => hashToken(c)),
        ]);
        await tx.execute('UPDATE auth.users SET totp_enabled = true, updated_at = $2 WHERE id = $1', [
          userId,
          clock.now(),
        ]);
      });
      return { recovery_codes: codes };
    },

    async totpDisable(userId: string, password: string, code: string): Promise<void> {
      const user = await loadUser(userId);
      if (!user.totp_enabled) throw conflict('MFA_NOT_ENABLED', 'Two-factor authentication is off.');
      await verifyUserPassword(user, password, user.login);
      const c = code.trim();
      const ok = /^\d{6}$/.test(c) ? await verifyTotpCode(user, c) : await useRecoveryCode(userId, c);
      if (!ok) throw badRequest('MFA_CODE_INVALID', 'The code is wrong or was already used.');
      await sql.transaction(async (tx) => {
        await tx.execute('DELETE FROM auth.recovery_codes WHERE user_id = $1', [userId]);
        await tx.execute(
          'UPDATE auth.users SET totp_enabled = false, totp_secret = NULL, updated_at = $2 WHERE id = $1',
          [userId, clock.now()],
        );
      });
    },

    /** Creates an account with the UNSUB_USER role (or `roles`), emitting its events. */
    createUser,
    openSession,
    recordLogin,
  };

  async function createUser(input: {
    login: string;
    email: string;
    passwordHash: string | null;
    first_name?: string | null | undefined;
    last_name?: string | null | undefined;
    emailVerified: boolean;
    roles?: readonly string[];
  }): Promise<UserRow> {
    return sql
      .transaction(async (tx) => {
        const user = await users.insert(tx, {
          id: randomUUID(),
          login: input.login,
          email: requireEmail(input.email),
          passwordHash: input.passwordHash,
          firstName: input.first_name ?? null,
          lastName: input.last_name ?? null,
          emailVerified: input.emailVerified,
          now: clock.now(),
        });
        await tx.query(
          'INSERT INTO auth.user_roles (user_id, role_code, granted_at) SELECT $1, unnest($2::text[]), $3',
          [user.id, [...(input.roles ?? ['UNSUB_USER'])], clock.now()],
        );
        await emit(tx, [
          event('auth.user.registered', user.id, {
            userId: user.id,
            login: user.login,
            email: user.email,
            firstName: user.first_name,
            locale: user.locale,
          }),
        ]);
        if (!input.emailVerified) await requestEmailVerification(tx, user);
        return user;
      })
      .catch(uniqueToConflict);
  }
}

/** Unique violations on login/email become 409 with a stable code. */
export function uniqueToConflict(error: unknown): never {
  if (isSqlError(error, SqlState.uniqueViolation)) {
    const which = /email/.test(`${error.constraint ?? ''} ${error.message}`) ? 'EMAIL_TAKEN' : 'LOGIN_TAKEN';
    throw conflict(
      which,
      which === 'EMAIL_TAKEN' ? 'This email is already registered.' : 'This login is taken.',
    );
  }
  throw error;
}
