/** Refresh tokens (auth.refresh_tokens), stored hashed, each used once and replaced by its successor. */
import type { SqlExecutor } from '../../ports/sql.js';
import { GRANTS, USER_COLUMNS, type Grants, type UserRow } from './user.repository.js';

export interface RefreshTokenRow {
  session_id: string;
  used_at: Date | null;
  expires_at: Date;
  /** Whether the token that replaced this one was used in turn (null: never replaced). */
  successor_used: boolean | null;
}

export interface Rotation {
  /** The session of the token claimed; null when it was not claimable. */
  claimed: string | null;
  grantsVersion: number;
  /** The session's user with its grants; null when the session ended. */
  user: (UserRow & Grants) | null;
}

export function createRefreshTokenRepository(db: SqlExecutor) {
  return {
    async insert(hash: string, sessionId: string, now: Date, expiresAt: Date): Promise<void> {
      await db.query(
        'INSERT INTO auth.refresh_tokens (hash, session_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
        [hash, sessionId, now, expiresAt],
      );
    },
    /**
     * One refresh in one statement: marks the token used if nobody did yet (exactly one concurrent
     * caller gets it), touches its session if still open, stores the successor, and reads the
     * session's user with its roles and permissions for the new access token.
     */
    async rotate(hash: string, next: string, now: Date, expiresAt: Date): Promise<Rotation> {
      const [row] = await db.query(
        `WITH c AS (
           UPDATE auth.refresh_tokens SET used_at = $3, replaced_by = $2
           WHERE hash = $1 AND used_at IS NULL AND expires_at > $3 RETURNING session_id),
         s AS (
           UPDATE auth.sessions SET last_used_at = $3
           WHERE id = (SELECT session_id FROM c) AND revoked_at IS NULL AND expires_at > $3
           RETURNING id, user_id, grants_version),
         n AS (
           INSERT INTO auth.refresh_tokens (hash, session_id, created_at, expires_at)
           SELECT $2, id, $3, $4 FROM s RETURNING session_id)
         SELECT (SELECT session_id FROM c) AS claimed, s.grants_version, u.id AS user_id, u.*, ${GRANTS('u.id')}
         FROM (SELECT 1) AS one
         LEFT JOIN (s JOIN n ON n.session_id = s.id) ON true
         LEFT JOIN LATERAL (SELECT ${USER_COLUMNS} FROM auth.users WHERE id = s.user_id) AS u ON true`,
        [hash, next, now, expiresAt],
      );
      if (!row) return { claimed: null, grantsVersion: 0, user: null };
      const { claimed, grants_version, user_id, ...user } = row as unknown as {
        claimed: string | null;
        grants_version: number | null;
        user_id: string | null;
      };
      return {
        claimed,
        grantsVersion: grants_version ?? 0,
        user: user_id ? (user as UserRow & Grants) : null,
      };
    },
    async find(hash: string): Promise<RefreshTokenRow | undefined> {
      const [row] = await db.query<RefreshTokenRow>(
        `SELECT t.session_id, t.used_at, t.expires_at, (n.used_at IS NOT NULL) AS successor_used
         FROM auth.refresh_tokens t LEFT JOIN auth.refresh_tokens n ON n.hash = t.replaced_by
         WHERE t.hash = $1`,
        [hash],
      );
      return row;
    },
  };
}

export type RefreshTokenRepository = ReturnType<typeof createRefreshTokenRepository>;
