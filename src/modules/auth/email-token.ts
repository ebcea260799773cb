/** Single-use links mailed to an account: a token stored hashed and the event that asks for the mail. */
import type { SqlExecutor } from '../../ports/sql.js';
import { event } from '../../platform/events.js';
import { emit } from '../../platform/outbox.js';
import { secondsFrom } from './account.model.js';
import { hashToken, randomToken } from './crypto.js';
import { createOneTimeTokenRepository } from './one-time-token.repository.js';
import type { UserRow } from './user.repository.js';

export const EMAIL_TOKEN_SECONDS = 3600;

/** A one-time token for the address the account holds now, stored hashed, and its mail asked for. */
export async function mailToken(
  tx: SqlExecutor,
  user: UserRow,
  purpose: 'verify_email' | 'reset_password',
  now: Date,
): Promise<void> {
  const token = randomToken(32);
  const expiresAt = secondsFrom(now, EMAIL_TOKEN_SECONDS);
  await createOneTimeTokenRepository(tx).insert({
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
export async function requestEmailVerification(tx: SqlExecutor, user: UserRow, now: Date): Promise<void> {
  await createOneTimeTokenRepository(tx).voidAll(user.id, ['verify_email'], now);
  await mailToken(tx, user, 'verify_email', now);
}
