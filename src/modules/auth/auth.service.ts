/**
 * The auth service other code calls: one object over the small services of the module (sessions,
 * login, passwords, MFA, accounts), so HTTP routes, commands and tests call the same functions.
 */
import type { Cache } from '../../ports/cache.js';
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import type { Config } from '../../platform/config.js';
import type { Logger } from '../../platform/logger.js';
import { createAccountService } from './account.service.js';
import { createAfterReply } from './after-reply.js';
import type { Sealer } from './crypto.js';
import type { KeyStore } from './keys.js';
import { createLoginService } from './login.service.js';
import { createMfaService } from './mfa.service.js';
import { createOneTimeTokenRepository } from './one-time-token.repository.js';
import { createPasswordService } from './password.service.js';
import type { PasswordHasher } from './passwords.js';
import { createSessionRegistry } from './session-registry.js';
import { createSessionService } from './session.service.js';

export {
  toPublicUser,
  uniqueToConflict,
  type ClientInfo,
  type PublicUser,
  type TokenPair,
} from './account.model.js';
export { REFRESH_GRACE_SECONDS } from './session.service.js';

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

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: AuthServiceDeps) {
  const { sql, cache, clock, logger, config, keys, hasher, sealer } = deps;
  const accessTtl = config.authAccessTtl;
  const afterReply = createAfterReply(logger);
  const registry = createSessionRegistry({ sql, cache, clock, accessTtl });
  const sessions = createSessionService({
    sql,
    clock,
    logger,
    keys,
    registry,
    accessTtl,
    refreshTtl: config.authRefreshTtl,
  });
  const passwords = createPasswordService({
    sql,
    clock,
    hasher,
    afterReply,
    lockoutThreshold: config.authLockoutThreshold,
    endSessions: sessions.endSessions,
  });
  const mfa = createMfaService({ sql, clock, sealer, passwords });
  const accounts = createAccountService({
    sql,
    clock,
    afterReply,
    passwords,
    mfa,
    endSessions: sessions.endSessions,
  });
  const login = createLoginService({ sql, clock, hasher, accounts, passwords, mfa, sessions });

  return {
    ...registry,
    ...sessions,
    ...login,
    changePassword: passwords.changePassword,
    forgotPassword: passwords.forgotPassword,
    resetPassword: passwords.resetPassword,
    pruneThrottle: passwords.pruneThrottle,
    totpSetup: mfa.totpSetup,
    totpEnable: mfa.totpEnable,
    totpDisable: mfa.totpDisable,
    ...accounts,
    /** Deletes single-use tokens that expired over a day ago (the maintenance worker calls it). */
    pruneTokens: () => createOneTimeTokenRepository(sql).deleteExpired(),
    /** Resolves when every request accepted so far has been handled (tests, shutdown). */
    settle: afterReply.settle,
  };
}
