/**
 * Passwords: checking one under the lockout (accounts and unknown names lock alike), changing it,
 * and resetting it from a mailed link.
 */
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { authErrors } from './auth.errors.js';
import { activeUser, secondsFrom } from './account.model.js';
import type { AfterReply } from './after-reply.js';
import { hashToken } from './crypto.js';
import { normalizeEmail, requireEmail } from './email.js';
import { mailToken, unlessMailedRecently } from './email-token.js';
import { createLoginThrottleRepository } from './login-throttle.repository.js';
import { createOneTimeTokenRepository } from './one-time-token.repository.js';
import { checkPassword, type PasswordHasher } from './passwords.js';
import { createUserRepository, type AttemptClaim, type UserRow } from './user.repository.js';

export interface PasswordServiceDeps {
  sql: Sql;
  clock: Clock;
  hasher: PasswordHasher;
  afterReply: AfterReply;
  /** Failed attempts that lock an account (or an unknown name). */
  lockoutThreshold: number;
  /** Ends sessions of a user (all, or all but `except`). */
  endSessions(userId: string, reason: string, where?: { except?: string }): Promise<number>;
}

export type PasswordService = ReturnType<typeof createPasswordService>;

const invalidCredentials = authErrors.INVALID_CREDENTIALS;

export function createPasswordService(deps: PasswordServiceDeps) {
  const { sql, clock, hasher, lockoutThreshold } = deps;
  const users = createUserRepository(sql);
  const tokens = createOneTimeTokenRepository(sql);

  function refuseWhileLocked(result: AttemptClaim): void {
    if (!('locked_until' in result)) return;
    const seconds = Math.max(1, Math.ceil((result.locked_until.getTime() - clock.now().getTime()) / 1000));
    throw authErrors.ACCOUNT_LOCKED({ retryAfterSeconds: seconds });
  }

  /** Claims one attempt at a secret of this account; 429 ACCOUNT_LOCKED while it is locked. */
  async function claim(user: UserRow): Promise<void> {
    refuseWhileLocked(await users.claimAttempt(user.id, clock.now(), lockoutThreshold));
  }

  /**
   * Checks a password. Unknown logins lock exactly like real ones (same statement shape, same
   * back-off, same Retry-After), so neither the lockout nor its timing reveals that an account
   * exists. A right password clears the failed attempts.
   */
  async function verify(user: UserRow | undefined, password: string, name: string): Promise<UserRow> {
    if (!user || !user.password_hash || !user.is_active) {
      const key = hashToken(`login:${(normalizeEmail(name) ?? name).toLowerCase()}`);
      refuseWhileLocked(await createLoginThrottleRepository(sql).claim(key, clock.now(), lockoutThreshold));
      await hasher.dummyVerify(password);
      throw invalidCredentials();
    }
    await claim(user);
    if (!(await hasher.verify(user.password_hash, password))) throw invalidCredentials();
    await users.clearAttempts(user.id);
    return user;
  }

  async function issueReset(email: string): Promise<void> {
    const user = await users.byEmail(email);
    // Only to an address the account has proven: an unverified one may not be its owner's.
    if (!user || !user.is_active || !user.email_verified_at) return;
    const now = clock.now();
    await unlessMailedRecently(sql, user.id, 'reset_password', now, (tx) =>
      mailToken(tx, user, 'reset_password', now),
    );
  }

  return {
    claim,
    verify,
    /** Forgets the failed attempts of an account (after a right secret). */
    clearAttempts: (userId: string) => users.clearAttempts(userId),

    changePassword: async (userId: string, sessionId: string, oldPassword: string, newPassword: string) => {
      const user = activeUser(await users.byId(userId));
      await verify(user, oldPassword, user.login);
      checkPassword(newPassword, { login: user.login, email: user.email });
      const hashed = await hasher.hash(newPassword);
      await sql.transaction(async (tx) => {
        await createUserRepository(tx).setPassword(userId, hashed, clock.now());
        // A reset link asked for before the change must not undo it.
        await createOneTimeTokenRepository(tx).voidAll(userId, ['reset_password'], clock.now());
      });
      await deps.endSessions(userId, 'password_changed', { except: sessionId });
    },

    /** Answers at once, whatever the address; a reset link goes to a verified address only. */
    forgotPassword: (email: string): void => {
      const address = requireEmail(email);
      deps.afterReply.run('password reset request', () => issueReset(address));
    },

    resetPassword: async (token: string, newPassword: string): Promise<void> => {
      const invalid = authErrors.RESET_TOKEN_INVALID;
      const hash = hashToken(token);
      const found = await tokens.peek(hash, 'reset_password', clock.now());
      if (!found?.email) throw invalid();
      const email = found.email;
      const user = activeUser(await users.byId(found.user_id));
      checkPassword(newPassword, { login: user.login, email: user.email });
      const hashed = await hasher.hash(newPassword);
      const done = await sql.transaction(async (tx) => {
        const now = clock.now();
        const txTokens = createOneTimeTokenRepository(tx);
        if (!(await txTokens.consume(hash, 'reset_password', now))) return false;
        // Every other reset link of the account dies with this one.
        await txTokens.voidAll(user.id, ['reset_password'], now);
        return createUserRepository(tx).resetPassword(user.id, email, hashed, now);
      });
      if (!done) throw invalid();
      await deps.endSessions(user.id, 'password_reset');
    },

    /** Forgets unknown names that failed long ago (the maintenance worker calls it). */
    pruneThrottle: () => createLoginThrottleRepository(sql).prune(secondsFrom(clock.now(), -24 * 3600)),
  };
}
