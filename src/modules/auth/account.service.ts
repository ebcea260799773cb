/**
 * Accounts: creating one, the owner's profile, changing the login or the email (with a link to
 * the previous address that undoes it), and proving the address.
 */
import { randomUUID } from 'node:crypto';
import type { Sql, SqlExecutor } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { authErrors } from './auth.errors.js';
import { event } from '../../platform/events.js';
import { emit } from '../../platform/outbox.js';
import { activeUser, secondsFrom, toPublicUser, uniqueToConflict, type PublicUser } from './account.model.js';
import type { AfterReply } from './after-reply.js';
import { hashToken, randomToken } from './crypto.js';
import { requireEmail } from './email.js';
import { requestEmailVerification, unlessMailedRecently } from './email-token.js';
import type { MfaService } from './mfa.service.js';
import { createOneTimeTokenRepository } from './one-time-token.repository.js';
import type { PasswordService } from './password.service.js';
import { createRoleRepository } from './role.repository.js';
import { createUserRepository, type UserRow } from './user.repository.js';

/** How long the previous address can undo an email change. */
const REVERT_TOKEN_SECONDS = 7 * 24 * 3600;

export interface AccountServiceDeps {
  sql: Sql;
  clock: Clock;
  afterReply: AfterReply;
  passwords: Pick<PasswordService, 'claim' | 'clearAttempts' | 'verify'>;
  mfa: Pick<MfaService, 'verifyCode'>;
  /** Ends every session of a user. */
  endSessions(userId: string, reason: string): Promise<number>;
}

export interface NewAccount {
  login: string;
  email: string;
  passwordHash: string | null;
  first_name?: string | null | undefined;
  last_name?: string | null | undefined;
  emailVerified: boolean;
  roles?: readonly string[];
}

export interface ProfilePatch {
  first_name?: string | null;
  last_name?: string | null;
  email?: string;
  current_password?: string;
  mfa_code?: string;
}

export type AccountService = ReturnType<typeof createAccountService>;

export function createAccountService(deps: AccountServiceDeps) {
  const { sql, clock, passwords, mfa } = deps;
  const users = createUserRepository(sql);
  const loadUser = async (id: string) => activeUser(await users.byId(id));

  /** The current password, or else a fresh second-factor code, before recovery settings change. */
  async function reauthenticate(user: UserRow, proof: { current_password?: string; mfa_code?: string }) {
    if (proof.current_password !== undefined && user.password_hash) {
      await passwords.verify(user, proof.current_password, user.login);
      return;
    }
    if (proof.mfa_code !== undefined && user.totp_enabled) {
      await passwords.claim(user);
      if (!(await mfa.verifyCode(user, proof.mfa_code))) throw authErrors.MFA_CODE_INVALID();
      await passwords.clearAttempts(user.id);
      return;
    }
    throw authErrors.REAUTHENTICATION_REQUIRED({
      detail: user.password_hash
        ? 'Changing the email needs your current password (current_password).'
        : 'Changing the email needs a code from your authenticator app (mfa_code).',
    });
  }

  async function issueVerification(email: string): Promise<void> {
    const user = await users.byEmail(email);
    if (!user || !user.is_active || user.email_verified_at) return;
    const now = clock.now();
    await unlessMailedRecently(sql, user.id, 'verify_email', now, (tx) =>
      requestEmailVerification(tx, user, now),
    );
  }

  /**
   * After the account `user` moved to a new address (`fresh`): outstanding links die, the new
   * address gets a verification link and the previous one a link that undoes the change.
   */
  async function announceEmailChange(tx: SqlExecutor, user: UserRow, fresh: UserRow, now: Date) {
    const tokens = createOneTimeTokenRepository(tx);
    await tokens.voidAll(user.id, ['reset_password', 'revert_email'], now);
    await requestEmailVerification(tx, fresh, now);
    const token = randomToken(32);
    const expiresAt = secondsFrom(now, REVERT_TOKEN_SECONDS);
    await tokens.insert({
      hash: hashToken(token),
      purpose: 'revert_email',
      userId: user.id,
      email: user.email,
      now,
      expiresAt,
    });
    await emit(tx, [
      event('auth.email.changed', user.id, {
        userId: user.id,
        login: user.login,
        locale: user.locale,
        oldEmail: user.email,
        newEmail: fresh.email,
        token,
        expiresAt: expiresAt.toISOString(),
      }),
    ]);
  }

  return {
    /** Creates an account with the UNSUB_USER role (or `roles`), emitting its events. */
    async createUser(input: NewAccount): Promise<UserRow> {
      return sql
        .transaction(async (tx) => {
          const user = await createUserRepository(tx).insert({
            id: randomUUID(),
            login: input.login,
            email: requireEmail(input.email),
            passwordHash: input.passwordHash,
            firstName: input.first_name ?? null,
            lastName: input.last_name ?? null,
            emailVerified: input.emailVerified,
            now: clock.now(),
          });
          await createRoleRepository(tx).grantAll(user.id, input.roles ?? ['UNSUB_USER'], clock.now());
          await emit(tx, [
            event('auth.user.registered', user.id, {
              userId: user.id,
              login: user.login,
              email: user.email,
              firstName: user.first_name,
              locale: user.locale,
            }),
          ]);
          if (!input.emailVerified) await requestEmailVerification(tx, user, clock.now());
          return user;
        })
        .catch(uniqueToConflict);
    },

    me: async (userId: string): Promise<PublicUser> => toPublicUser(await loadUser(userId)),

    /**
     * Updates the profile. A new email needs `current_password` (or `mfa_code` for accounts
     * without a password): it is unproven until verified, outstanding reset and verification
     * links die, and the previous address is told, with a link that undoes the change.
     */
    async updateMe(userId: string, patch: ProfilePatch): Promise<PublicUser> {
      const user = await loadUser(userId);
      const email = patch.email === undefined ? undefined : requireEmail(patch.email);
      const emailChanged = email !== undefined && email.toLowerCase() !== user.email.toLowerCase();
      if (emailChanged) await reauthenticate(user, patch);
      const updated = await sql.transaction(async (tx) => {
        const now = clock.now();
        const txUsers = createUserRepository(tx);
        await txUsers.updateNames(userId, patch, now);
        // A new address is unproven; a new spelling (case) of the same one stays as it was.
        if (email !== undefined && email !== user.email)
          await txUsers
            .setEmail(userId, email, emailChanged ? null : user.email_verified_at, now)
            .catch(uniqueToConflict);
        const fresh = (await txUsers.byId(userId))!;
        if (emailChanged) await announceEmailChange(tx, user, fresh, now);
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
        const tokens = createOneTimeTokenRepository(tx);
        const found = await tokens.consume(hashToken(token), 'revert_email', now);
        if (!found?.email) return null;
        await createUserRepository(tx).setEmail(found.user_id, found.email, now, now).catch(uniqueToConflict);
        await tokens.voidAll(found.user_id, ['verify_email', 'reset_password', 'revert_email'], now);
        await emit(tx, [
          event('auth.email.restored', found.user_id, { userId: found.user_id, email: found.email }),
        ]);
        return found.user_id;
      });
      if (!userId) throw authErrors.REVERT_TOKEN_INVALID();
      await deps.endSessions(userId, 'email_reverted');
    },

    async changeLogin(userId: string, login: string, password: string): Promise<PublicUser> {
      const user = await loadUser(userId);
      await passwords.verify(user, password, user.login);
      await users.setLogin(userId, login, clock.now()).catch(uniqueToConflict);
      return toPublicUser(await loadUser(userId));
    },

    /** Proves the address the link was mailed to, only while the account still holds it. */
    async verifyEmail(token: string): Promise<void> {
      const done = await sql.transaction(async (tx) => {
        const found = await createOneTimeTokenRepository(tx).consume(
          hashToken(token),
          'verify_email',
          clock.now(),
        );
        if (!found?.email) return false;
        return createUserRepository(tx).markEmailVerified(found.user_id, found.email, clock.now());
      });
      if (!done) throw authErrors.VERIFICATION_TOKEN_INVALID();
    },

    /** Answers at once, whatever the address; a new link goes to an unverified address only. */
    resendVerification(email: string): void {
      const address = requireEmail(email);
      deps.afterReply.run('verification request', () => issueVerification(address));
    },
  };
}
