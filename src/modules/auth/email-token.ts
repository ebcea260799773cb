/** Single-use links mailed to an account: a token stored hashed and the event that asks for the mail. */
import type { Sql, SqlExecutor } from '../../ports/sql.js';
import { event } from '../../platform/events.js';
import { emit } from '../../platform/outbox.js';
import { secondsFrom } from './account.model.js';
import { hashToken, randomToken } from './crypto.js';
import { createOneTimeTokenRepository } from './one-time-token.repository.js';
import { createUserRepository, type UserRow } from './user.repository.js';

export const EMAIL_TOKEN_SECONDS = 3600;

/** At most one reset or verification mail per account in this window. */
export const MAIL_COOLDOWN_SECONDS = 60;

/**
 * Runs `send` in a transaction unless a link of `purpose` went to the account within
 * MAIL_COOLDOWN_SECONDS. The account's row is locked before the check, so requests that arrive together
 * (two tabs, two replicas, a scripted burst) send one mail, not one each.
 */
export async function unlessMailedRecently(
  sql: Sql,
  userId: string,
  purpose: 'verify_email' | 'reset_password',
  now: Date,
  send: (tx: SqlExecutor) => Promise<void>,
): Promise<void> {
  await sql.transaction(async (tx) => {
    await createUserRepository(tx).lock(userId);
    const since = secondsFrom(now, -MAIL_COOLDOWN_SECONDS);
    if (await createOneTimeTokenRepository(tx).issuedSince(userId, purpose, since)) return;
    await send(tx);
  });
}

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
