/** Second factor state: the sealed TOTP secret and last accepted step (auth.users), recovery codes. */
import type { SqlExecutor } from '../../ports/sql.js';

export function createMfaRepository(db: SqlExecutor) {
  return {
    /** Stores a new (sealed) secret, not yet enabled. */
    async setSecret(userId: string, sealedSecret: string): Promise<void> {
      await db.execute('UPDATE auth.users SET totp_secret = $2 WHERE id = $1', [userId, sealedSecret]);
    },
    /** Records `step` as the last accepted one; false when it is not after the last one. */
    async acceptStep(userId: string, step: number): Promise<boolean> {
      const changed = await db.execute(
        'UPDATE auth.users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2',
        [userId, step],
      );
      return changed === 1;
    },
    /** Uses one recovery code (by hash); false when it is unknown or was used. */
    async useRecoveryCode(userId: string, hash: string, now: Date): Promise<boolean> {
      const changed = await db.execute(
        'UPDATE auth.recovery_codes SET used_at = $3 WHERE user_id = $1 AND hash = $2 AND used_at IS NULL',
        [userId, hash, now],
      );
      return changed === 1;
    },
    /** Replaces every recovery code of the account with these (hashed) ones. */
    async replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
      await db.execute('DELETE FROM auth.recovery_codes WHERE user_id = $1', [userId]);
      await db.query('INSERT INTO auth.recovery_codes (user_id, hash) SELECT $1, unnest($2::text[])', [
        userId,
        [...hashes],
      ]);
    },
    async enable(userId: string, now: Date): Promise<void> {
      await db.execute('UPDATE auth.users SET totp_enabled = true, updated_at = $2 WHERE id = $1', [
        userId,
        now,
      ]);
    },
    /** Turns the second factor off: secret and recovery codes are gone. */
    async disable(userId: string, now: Date): Promise<void> {
      await db.execute('DELETE FROM auth.recovery_codes WHERE user_id = $1', [userId]);
      await db.execute(
        'UPDATE auth.users SET totp_enabled = false, totp_secret = NULL, updated_at = $2 WHERE id = $1',
        [userId, now],
      );
    },
  };
}

export type MfaRepository = ReturnType<typeof createMfaRepository>;
