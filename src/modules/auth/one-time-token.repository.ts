/** Single-use tokens (auth.one_time_tokens), stored hashed: email links and MFA steps. */
import type { SqlExecutor } from '../../ports/sql.js';

export type OneTimePurpose = 'verify_email' | 'reset_password' | 'mfa' | 'revert_email';

export interface OneTimeToken {
  user_id: string;
  /** The address the token was mailed to (null for MFA step tokens). */
  email: string | null;
}

export function createOneTimeTokenRepository(db: SqlExecutor) {
  return {
    async insert(t: {
      hash: string;
      purpose: OneTimePurpose;
      userId: string;
      email?: string | null;
      now: Date;
      expiresAt: Date;
    }): Promise<void> {
      await db.query(
        `INSERT INTO auth.one_time_tokens (hash, purpose, user_id, email, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [t.hash, t.purpose, t.userId, t.email ?? null, t.now, t.expiresAt],
      );
    },
    /** Valid, unused token of that purpose; does not consume it. */
    async peek(hash: string, purpose: OneTimePurpose, now: Date): Promise<OneTimeToken | undefined> {
      const [row] = await db.query<OneTimeToken>(
        `SELECT user_id, email FROM auth.one_time_tokens
         WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`,
        [hash, purpose, now],
      );
      return row;
    },
    /** Consumes the token; exactly one caller succeeds. */
    async consume(hash: string, purpose: OneTimePurpose, now: Date): Promise<OneTimeToken | undefined> {
      const [row] = await db.query<OneTimeToken>(
        `UPDATE auth.one_time_tokens SET used_at = $3
         WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id, email`,
        [hash, purpose, now],
      );
      return row;
    },
    /** Voids every outstanding token of these purposes of the account; returns how many. */
    async voidAll(userId: string, purposes: readonly OneTimePurpose[], now: Date): Promise<number> {
      return db.execute(
        `UPDATE auth.one_time_tokens SET used_at = $3
         WHERE user_id = $1 AND purpose = ANY($2::text[]) AND used_at IS NULL`,
        [userId, [...purposes], now],
      );
    },
    /** Whether a token of that purpose was issued to the account after `since`. */
    async issuedSince(userId: string, purpose: OneTimePurpose, since: Date): Promise<boolean> {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM auth.one_time_tokens
         WHERE user_id = $1 AND purpose = $2 AND created_at > $3`,
        [userId, purpose, since],
      );
      return (row?.n ?? 0) > 0;
    },
    /** Deletes tokens that expired more than a day ago (by the database's clock); returns how many. */
    async deleteExpired(): Promise<number> {
      return db.execute(`DELETE FROM auth.one_time_tokens WHERE expires_at < now() - interval '1 day'`);
    },
  };
}

export type OneTimeTokenRepository = ReturnType<typeof createOneTimeTokenRepository>;
