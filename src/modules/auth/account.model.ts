/** What the auth services share about accounts: the public view, client facts and a token pair. */
import { isSqlError, SqlState } from '../../ports/sql.js';
import { authErrors } from './auth.errors.js';
import type { UserRow } from './user.repository.js';

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

/** The user, if the account still exists and is active; else 401 ACCOUNT_GONE. */
export function activeUser<U extends UserRow>(user: U | null | undefined): U {
  if (!user || !user.is_active) throw authErrors.ACCOUNT_GONE();
  return user;
}

/** Unique violations on login/email become 409 with a stable code. */
export function uniqueToConflict(error: unknown): never {
  if (isSqlError(error, SqlState.uniqueViolation)) {
    const which = /email/.test(`${error.constraint ?? ''} ${error.message}`) ? 'EMAIL_TAKEN' : 'LOGIN_TAKEN';
    throw authErrors[which]();
  }
  throw error;
}

/** `seconds` after the clock's now (before it when negative). */
export const secondsFrom = (now: Date, seconds: number): Date => new Date(now.getTime() + seconds * 1000);
