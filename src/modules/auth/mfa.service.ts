/**
 * Two-factor authentication with TOTP: setting it up, turning it on (which hands out recovery
 * codes) and off, and checking a code, each TOTP step and each recovery code accepted once.
 */
import { generateSecret, generateURI, verify as verifyTotp } from 'otplib';
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { authErrors } from './auth.errors.js';
import { activeUser } from './account.model.js';
import { hashToken, randomToken, type Sealer } from './crypto.js';
import { createMfaRepository } from './mfa.repository.js';
import type { PasswordService } from './password.service.js';
import { createUserRepository, type UserRow } from './user.repository.js';

const TOTP_ISSUER = 'Kinoservice';
const RECOVERY_CODES = 10;

export interface MfaServiceDeps {
  sql: Sql;
  clock: Clock;
  sealer: Sealer;
  passwords: Pick<PasswordService, 'claim' | 'clearAttempts' | 'verify'>;
}

export type MfaService = ReturnType<typeof createMfaService>;

export const codeInvalid = authErrors.MFA_CODE_INVALID;

/** Ten recovery codes shaped `xxxxx-xxxxx`. */
function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODES }, () => {
    const raw = randomToken(8)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
    return `${raw.slice(0, 5)}-${raw.slice(5, 10)}`.padEnd(11, '0');
  });
}

export function createMfaService(deps: MfaServiceDeps) {
  const { sql, clock, sealer, passwords } = deps;
  const users = createUserRepository(sql);
  const mfa = createMfaRepository(sql);
  const loadUser = async (id: string) => activeUser(await users.byId(id));

  async function verifyTotpCode(user: UserRow, code: string): Promise<boolean> {
    if (!user.totp_secret) return false;
    const secret = sealer.open(user.totp_secret);
    const epoch = Math.floor(clock.now().getTime() / 1000);
    const result = await verifyTotp({ secret, token: code, epoch, epochTolerance: 30 }).catch(() => ({
      valid: false as const,
    }));
    if (!result.valid) return false;
    // A code is accepted once: only for a time step after the last accepted one.
    return mfa.acceptStep(user.id, Math.floor(epoch / 30) + result.delta);
  }

  /** A six-digit TOTP code or an unused recovery code of the account; true when accepted. */
  async function verifyCode(user: UserRow, code: string): Promise<boolean> {
    const c = code.trim();
    return /^\d{6}$/.test(c)
      ? verifyTotpCode(user, c)
      : mfa.useRecoveryCode(user.id, hashToken(c.toLowerCase()), clock.now());
  }

  return {
    verifyCode,

    totpSetup: async (userId: string): Promise<{ secret: string; otpauth_url: string }> => {
      const user = await loadUser(userId);
      if (user.totp_enabled) throw authErrors.MFA_ALREADY_ENABLED();
      const secret = generateSecret();
      await mfa.setSecret(userId, sealer.seal(secret));
      return { secret, otpauth_url: generateURI({ issuer: TOTP_ISSUER, label: user.login, secret }) };
    },

    totpEnable: async (userId: string, code: string): Promise<{ recovery_codes: string[] }> => {
      const user = await loadUser(userId);
      if (user.totp_enabled) throw authErrors.MFA_ALREADY_ENABLED();
      if (!user.totp_secret) throw authErrors.MFA_NOT_SET_UP();
      await passwords.claim(user);
      if (!(await verifyTotpCode(user, code.trim()))) throw codeInvalid();
      await passwords.clearAttempts(userId);
      const codes = newRecoveryCodes();
      await sql.transaction(async (tx) => {
        const txMfa = createMfaRepository(tx);
        await txMfa.replaceRecoveryCodes(
          userId,
          codes.map((c) => hashToken(c)),
        );
        await txMfa.enable(userId, clock.now());
      });
      return { recovery_codes: codes };
    },

    totpDisable: async (userId: string, password: string, code: string): Promise<void> => {
      const user = await loadUser(userId);
      if (!user.totp_enabled) throw authErrors.MFA_NOT_ENABLED();
      await passwords.verify(user, password, user.login);
      if (!(await verifyCode(user, code))) throw codeInvalid();
      await sql.transaction((tx) => createMfaRepository(tx).disable(userId, clock.now()));
    },
  };
}
