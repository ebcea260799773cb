/** Sessions (auth.sessions): opening, listing, the registry's view, grants versions and ending. */
import type { SqlExecutor } from '../../ports/sql.js';

export interface SessionRow {
  id: string;
  user_id: string;
  method: string;
  user_agent: string | null;
  ip: string | null;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
}

export interface SessionGrants {
  id: string;
  grants_version: number;
  expires_at: Date;
}

export function createSessionRepository(db: SqlExecutor) {
  return {
    async insert(s: {
      id: string;
      userId: string;
      method: string;
      userAgent: string | null;
      ip: string | null;
      now: Date;
      expiresAt: Date;
    }): Promise<void> {
      await db.query(
        `INSERT INTO auth.sessions (id, user_id, method, user_agent, ip, created_at, last_used_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
        [s.id, s.userId, s.method, s.userAgent, s.ip, s.now, s.expiresAt],
      );
    },
    async active(userId: string, now: Date): Promise<SessionRow[]> {
      return db.query<SessionRow>(
        `SELECT id, user_id, method, user_agent, ip, created_at, last_used_at, expires_at FROM auth.sessions
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY last_used_at DESC`,
        [userId, now],
      );
    },
    /** The account a session belongs to; `undefined` when it never existed. */
    async owner(id: string): Promise<string | undefined> {
      const [row] = await db.query<{ user_id: string }>('SELECT user_id FROM auth.sessions WHERE id = $1', [
        id,
      ]);
      return row?.user_id;
    },
    /** What the session registry needs of one session; `undefined` when it never existed. */
    async status(
      id: string,
      now: Date,
    ): Promise<{ ended: boolean; grants_version: number; expires_at: Date } | undefined> {
      const [row] = await db.query<{ ended: boolean; grants_version: number; expires_at: Date }>(
        `SELECT (revoked_at IS NOT NULL OR expires_at <= $2) AS ended, grants_version, expires_at
         FROM auth.sessions WHERE id = $1`,
        [id, now],
      );
      return row;
    },
    /**
     * Bumps the grants version of the open sessions of one user, or of every holder of a role, in
     * the transaction that changes the grants; returns the sessions for the registry.
     */
    async bumpGrants(where: { userId: string } | { roleCode: string }, now: Date): Promise<SessionGrants[]> {
      const byUser = 'userId' in where;
      return db.query<SessionGrants>(
        `UPDATE auth.sessions SET grants_version = grants_version + 1
         WHERE revoked_at IS NULL AND expires_at > $2 AND ${
           byUser ? 'user_id = $1' : 'user_id IN (SELECT user_id FROM auth.user_roles WHERE role_code = $1)'
         }
         RETURNING id, grants_version, expires_at`,
        [byUser ? where.userId : where.roleCode, now],
      );
    },
    /** Ends sessions; returns the ids that were still active. */
    async revoke(
      where: { userId: string; ids?: readonly string[]; except?: string },
      reason: string,
      now: Date,
    ): Promise<string[]> {
      const rows = await db.query<{ id: string }>(
        `UPDATE auth.sessions SET revoked_at = $2, revoked_reason = $3
         WHERE user_id = $1 AND revoked_at IS NULL
           AND ($4::uuid[] IS NULL OR id = ANY($4::uuid[]))
           AND ($5::uuid IS NULL OR id <> $5)
         RETURNING id`,
        [where.userId, now, reason, where.ids ? [...where.ids] : null, where.except ?? null],
      );
      return rows.map((r) => r.id);
    },
  };
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;
