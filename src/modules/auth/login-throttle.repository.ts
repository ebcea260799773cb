/**
 * Failed attempts for names that match no account (auth.login_throttle), with the same
 * claim-then-check semantics and back-off schedule as the users repository's `claimAttempt`.
 */
import type { SqlExecutor } from '../../ports/sql.js';
import type { AttemptClaim } from './user.repository.js';

export function createLoginThrottleRepository(db: SqlExecutor) {
  return {
    async claim(nameHash: string, now: Date, threshold: number): Promise<AttemptClaim> {
      const [claimed] = await db.query<{ failed_logins: number }>(
        `INSERT INTO auth.login_throttle AS t (name_hash, failed_logins, locked_until, updated_at)
         VALUES ($1, 1, CASE WHEN 1 >= $3 THEN $2::timestamptz + make_interval(secs => 30) END, $2)
         ON CONFLICT (name_hash) DO UPDATE SET failed_logins = t.failed_logins + 1,
           locked_until = CASE WHEN t.failed_logins + 1 >= $3
             THEN $2::timestamptz + make_interval(secs => least(30 * power(2, t.failed_logins + 1 - $3), 3600))
             ELSE NULL END,
           updated_at = $2
         WHERE t.locked_until IS NULL OR t.locked_until <= $2
         RETURNING failed_logins`,
        [nameHash, now, threshold],
      );
      if (claimed) return claimed;
      const [row] = await db.query<{ locked_until: Date | null }>(
        'SELECT locked_until FROM auth.login_throttle WHERE name_hash = $1',
        [nameHash],
      );
      return { locked_until: row?.locked_until ?? now };
    },
    /** Forgets names idle since `before` and not locked. */
    async prune(before: Date): Promise<number> {
      return db.execute(
        'DELETE FROM auth.login_throttle WHERE updated_at < $1 AND (locked_until IS NULL OR locked_until < $1)',
        [before],
      );
    },
  };
}

export type LoginThrottleRepository = ReturnType<typeof createLoginThrottleRepository>;
