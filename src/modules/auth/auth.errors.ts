/** The auth module's error codes: accounts, sessions, passwords, MFA, social login and roles. */
import { defineErrors, type ErrorCode } from '../../platform/errors.js';

export const authErrors = defineErrors({
  EMAIL_INVALID: { status: 400, message: 'This is not a single email address.' },
  PASSWORD_TOO_SHORT: { status: 400, message: 'The password is too short.' },
  PASSWORD_TOO_LONG: { status: 400, message: 'The password is too long.' },
  PASSWORD_TOO_COMMON: {
    status: 400,
    message: 'This password is too common or too easy to guess; choose another.',
  },
  RESET_TOKEN_INVALID: { status: 400, message: 'This reset link is invalid or has expired.' },
  REVERT_TOKEN_INVALID: { status: 400, message: 'This link is invalid or has expired.' },
  VERIFICATION_TOKEN_INVALID: {
    status: 400,
    message: 'This verification link is invalid or has expired.',
  },
  REDIRECT_NOT_ALLOWED: { status: 400, message: 'This redirect address is not on the allow-list.' },
  OAUTH_STATE_INVALID: {
    status: 400,
    message: 'The login attempt is unknown or has expired; start again.',
  },
  INVALID_CREDENTIALS: { status: 401, message: 'The login or the password is wrong.' },
  MFA_CODE_INVALID: { status: 401, message: 'The code is wrong or was already used.' },
  MFA_TOKEN_INVALID: { status: 401, message: 'The MFA step has expired; log in again.' },
  REFRESH_TOKEN_INVALID: { status: 401, message: 'The refresh token is not valid; log in again.' },
  REFRESH_TOKEN_REUSED: {
    status: 401,
    message: 'This refresh token was already used; the session has been ended.',
  },
  SESSION_ENDED: { status: 401, message: 'This session has ended; log in again.' },
  ACCOUNT_GONE: { status: 401, message: 'This account no longer exists.' },
  OAUTH_DENIED: { status: 401, message: 'The provider refused the login.' },
  OAUTH_EXCHANGE_FAILED: {
    status: 401,
    message: 'The provider did not confirm this login; start again.',
  },
  OAUTH_PROFILE_FAILED: { status: 401, message: 'The provider did not return the profile.' },
  REAUTHENTICATION_REQUIRED: {
    status: 403,
    message: 'This change needs your current password or a code from your authenticator app.',
  },
  PERMISSION_NOT_HELD: { status: 403, message: 'You cannot grant permissions you do not hold.' },
  USER_OUTRANKS_YOU: { status: 403, message: 'This user holds permissions you do not hold.' },
  USER_NOT_FOUND: { status: 404, message: 'There is no user with this id.' },
  SESSION_NOT_FOUND: { status: 404, message: 'No active session with this id.' },
  ROLE_NOT_FOUND: { status: 404, message: 'There is no role with this code.' },
  ROLE_NOT_ASSIGNED: { status: 404, message: 'The user does not have this role.' },
  PERMISSION_NOT_FOUND: { status: 404, message: 'Unknown permission.' },
  OAUTH_PROVIDER_UNKNOWN: { status: 404, message: 'This social login is not configured.' },
  LOGIN_TAKEN: { status: 409, message: 'This login is taken.' },
  EMAIL_TAKEN: { status: 409, message: 'This email is already registered.' },
  REFRESH_TOKEN_ROTATED: {
    status: 409,
    message: 'This refresh token was just rotated by another request; use the newer one.',
  },
  MFA_ALREADY_ENABLED: { status: 409, message: 'Two-factor authentication is already on.' },
  MFA_NOT_SET_UP: { status: 409, message: 'Call the setup endpoint first.' },
  MFA_NOT_ENABLED: { status: 409, message: 'Two-factor authentication is off.' },
  ROLE_EXISTS: { status: 409, message: 'A role with this code exists.' },
  ROLE_PROTECTED: {
    status: 409,
    message: 'Built-in roles cannot be deleted, and the permissions of ADMIN cannot be changed.',
  },
  SUBSCRIPTION_ROLE_REQUIRED: {
    status: 409,
    message: 'An account is subscribed (SUB_USER) or not (UNSUB_USER); assign SUB_USER instead.',
  },
  LAST_ADMIN: { status: 409, message: 'The last administrator cannot lose the ADMIN role.' },
  ACCOUNT_LOCKED: { status: 429, message: 'Too many failed attempts; try again later.' },
  OAUTH_PROVIDER_UNAVAILABLE: { status: 503, message: 'This social login is unavailable right now.' },
});

export type AuthErrorCode = ErrorCode<typeof authErrors>;
