/** Registration and login: a password, then (when the account has it on) a second-factor step. */
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { AppError } from '../../platform/errors.js';
import { authErrors } from './auth.errors.js';
import {
  activeUser,
  secondsFrom,
  toPublicUser,
  type ClientInfo,
  type PublicUser,
  type TokenPair,
} from './account.model.js';
import type { AccountService } from './account.service.js';
import { hashToken, randomToken } from './crypto.js';
import { normalizeEmail, requireEmail } from './email.js';
import type { MfaService } from './mfa.service.js';
import { createOneTimeTokenRepository } from './one-time-token.repository.js';
import type { PasswordService } from './password.service.js';
import { checkPassword, type PasswordHasher } from './passwords.js';
import type { SessionService } from './session.service.js';
import { createUserRepository, type UserRow } from './user.repository.js';

/** How long the second step of a login may wait for its code. */
const MFA_TOKEN_SECONDS = 300;

export interface LoginServiceDeps {
  sql: Sql;
  clock: Clock;
  hasher: PasswordHasher;
  accounts: Pick<AccountService, 'createUser'>;
  passwords: Pick<PasswordService, 'claim' | 'clearAttempts' | 'verify'>;
  mfa: Pick<MfaService, 'verifyCode'>;
  sessions: Pick<SessionService, 'openSession' | 'recordLogin'>;
}

export type LoginService = ReturnType<typeof createLoginService>;

export function createLoginService(deps: LoginServiceDeps) {
  const { sql, clock, hasher, accounts, passwords, mfa, sessions } = deps;
  const users = createUserRepository(sql);
  const tokens = createOneTimeTokenRepository(sql);
  const stepExpired = authErrors.MFA_TOKEN_INVALID;

  return {
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
      const user = await accounts.createUser({ ...input, email, passwordHash, emailVerified: false });
      const pair = await sessions.openSession(user, 'password', client);
      await sessions.recordLogin(user.id, client, true, 'register', null);
      return { user: toPublicUser(user), tokens: pair };
    },

    async login(
      input: { login: string; password: string },
      client: ClientInfo,
    ): Promise<TokenPair | { mfa_required: true; mfa_token: string }> {
      const found = await users.byLoginOrEmail(normalizeEmail(input.login) ?? input.login);
      let user: UserRow;
      try {
        user = await passwords.verify(found, input.password, input.login);
      } catch (error) {
        if (found && error instanceof AppError)
          await sessions.recordLogin(found.id, client, false, 'password', error.code);
        throw error;
      }
      if (user.totp_enabled) {
        const token = randomToken(32);
        await tokens.insert({
          hash: hashToken(token),
          purpose: 'mfa',
          userId: user.id,
          now: clock.now(),
          expiresAt: secondsFrom(clock.now(), MFA_TOKEN_SECONDS),
        });
        return { mfa_required: true, mfa_token: token };
      }
      const pair = await sessions.openSession(user, 'password', client);
      await sessions.recordLogin(user.id, client, true, 'password', null);
      return pair;
    },

    async loginMfa(input: { mfa_token: string; code: string }, client: ClientInfo): Promise<TokenPair> {
      const hash = hashToken(input.mfa_token);
      const step = await tokens.peek(hash, 'mfa', clock.now());
      if (!step) throw stepExpired();
      const user = activeUser(await users.byId(step.user_id));
      await passwords.claim(user);
      if (!(await mfa.verifyCode(user, input.code))) {
        await sessions.recordLogin(user.id, client, false, 'mfa', 'MFA_CODE_INVALID');
        throw authErrors.MFA_CODE_INVALID();
      }
      if (!(await tokens.consume(hash, 'mfa', clock.now()))) throw stepExpired();
      await passwords.clearAttempts(user.id);
      const pair = await sessions.openSession(user, 'password+totp', client);
      await sessions.recordLogin(user.id, client, true, 'mfa', null);
      return pair;
    },
  };
}
