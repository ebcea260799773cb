/** The auth module's SQL for accounts, sessions, refresh tokens, single-use tokens and history. */
import type { SqlExecutor } from '../../ports/sql.js';

export interface UserRow {
  id: string;
  login: string;
  email: string;
  password_hash: string | null;
  first_name: string | null;
  last_name: string | null;
  locale: string;
  email_verified_at: Date | null;
  is_active: boolean;
  failed_logins: number;
  locked_until: Date | null;
  totp_secret: string | null;
  totp_enabled: boolean;
  created_at: Date;
}

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

const USER_COLUMNS = `id, login, email, password_hash, first_name, last_name, locale, email_verified_at,
  is_active, failed_logins, locked_until, totp_secret, totp_enabled, created_at`;

/** A user's roles (oldest grant first) and distinct permissions, for the row `userId` names. */
const GRANTS = (userId: string) => `
  coalesce((SELECT array_agg(ur.role_code ORDER BY ur.granted_at, ur.role_code)
            FROM auth.user_roles ur WHERE ur.user_id = ${userId}), '{}') AS roles,
  coalesce((SELECT array_agg(DISTINCT rp.permission_code ORDER BY rp.permission_code)
            FROM auth.user_roles ur JOIN auth.role_permissions rp ON rp.role_code = ur.role_code
            WHERE ur.user_id = ${userId}), '{}') AS permissions`;

export interface Grants {
  roles: string[];
  permissions: string[];
}

export const users = {
  async byId(db: SqlExecutor, id: string): Promise<UserRow | undefined> {
    const [row] = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM auth.users WHERE id = $1`, [id]);
    return row;
  },
  /** By login or email, case-insensitively. */
  async byLoginOrEmail(db: SqlExecutor, name: string): Promise<UserRow | undefined> {
    const [row] = await db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM auth.users WHERE lower(login) = lower($1) OR lower(email) = lower($1)
       ORDER BY (lower(login) = lower($1)) DESC LIMIT 1`,
      [name],
    );
    return row;
  },
  async byEmail(db: SqlExecutor, email: string): Promise<UserRow | undefined> {
    const [row] = await db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM auth.users WHERE lower(email) = lower($1)`,
      [email],
    );
    return row;
  },
  /** Sets the names given (undefined leaves a name as it is). */
  async updateNames(
    db: SqlExecutor,
    id: string,
    patch: { first_name?: string | null; last_name?: string | null },
    now: Date,
  ): Promise<void> {
    await db.execute(
      `UPDATE auth.users SET first_name = CASE WHEN $2 THEN $3 ELSE first_name END,
         last_name = CASE WHEN $4 THEN $5 ELSE last_name END, updated_at = $6 WHERE id = $1`,
      [
        id,
        patch.first_name !== undefined,
        patch.first_name ?? null,
        patch.last_name !== undefined,
        patch.last_name ?? null,
        now,
      ],
    );
  },
  /** Sets the address; `verifiedAt` null marks it unproven. */
  async setEmail(
    db: SqlExecutor,
    id: string,
    email: string,
    verifiedAt: Date | null,
    now: Date,
  ): Promise<void> {
    await db.execute(
      'UPDATE auth.users SET email = $2, email_verified_at = $3, updated_at = $4 WHERE id = $1',
      [id, email, verifiedAt, now],
    );
  },
  /** Marks the address proven, only while the account still holds exactly `email`. */
  async markEmailVerified(db: SqlExecutor, id: string, email: string, now: Date): Promise<boolean> {
    const changed = await db.execute(
      `UPDATE auth.users SET email_verified_at = coalesce(email_verified_at, $3)
       WHERE id = $1 AND email = $2`,
      [id, email, now],
    );
    return changed === 1;
  },
  /**
   * Sets a password from a reset link (mailed to `email`): only while the account still holds
   * that address; unlocks the account, and reaching the mailbox proves the address.
   */
  async resetPassword(
    db: SqlExecutor,
    id: string,
    email: string,
    passwordHash: string,
    now: Date,
  ): Promise<boolean> {
    const changed = await db.execute(
      `UPDATE auth.users SET password_hash = $3, failed_logins = 0, locked_until = NULL,
         email_verified_at = coalesce(email_verified_at, $4), updated_at = $4
       WHERE id = $1 AND email = $2`,
      [id, email, passwordHash, now],
    );
    return changed === 1;
  },
  async setPassword(db: SqlExecutor, id: string, passwordHash: string, now: Date): Promise<void> {
    await db.execute('UPDATE auth.users SET password_hash = $2, updated_at = $3 WHERE id = $1', [
      id,
      passwordHash,
      now,
    ]);
  },
  async insert(
    db: SqlExecutor,
    u: {
      id: string;
      login: string;
      email: string;
      passwordHash: string | null;
      firstName: string | null;
      lastName: string | null;
      emailVerified: boolean;
      now: Date;
    },
  ): Promise<UserRow> {
    const [row] = await db.query<UserRow>(
      `INSERT INTO auth.users (id, login, email, password_hash, first_name, last_name, email_verified_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN $8::timestamptz END, $8, $8) RETURNING ${USER_COLUMNS}`,
      [u.id, u.login, u.email, u.passwordHash, u.firstName, u.lastName, u.emailVerified, u.now],
    );
    return row!;
  },
  /**
   * Claims one login (or code) attempt before the secret is checked, atomically: no row comes
   * back while the account is locked, so parallel guesses never exceed the budget. The attempt
   * that reaches the threshold locks the account (back-off doubles per further failure).
   */
  async claimAttempt(
    db: SqlExecutor,
    id: string,
    now: Date,
    threshold: number,
  ): Promise<{ failed_logins: number } | { locked_until: Date }> {
    const [claimed] = await db.query<{ failed_logins: number }>(
      `UPDATE auth.users SET failed_logins = failed_logins + 1,
         locked_until = CASE WHEN failed_logins + 1 >= $3
           THEN $2::timestamptz + make_interval(secs => least(30 * power(2, failed_logins + 1 - $3), 3600))
           ELSE NULL END
       WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)
       RETURNING failed_logins`,
      [id, now, threshold],
    );
    if (claimed) return claimed;
    const [row] = await db.query<{ locked_until: Date | null }>(
      'SELECT locked_until FROM auth.users WHERE id = $1',
      [id],
    );
    return { locked_until: row?.locked_until ?? now };
  },
  async clearAttempts(db: SqlExecutor, id: string): Promise<void> {
    await db.execute(
      'UPDATE auth.users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND failed_logins > 0',
      [id],
    );
  },
  async rolesAndPermissions(db: SqlExecutor, id: string): Promise<Grants> {
    const [row] = await db.query<Grants>(`SELECT ${GRANTS('$1::uuid')}`, [id]);
    return { roles: row?.roles ?? [], permissions: row?.permissions ?? [] };
  },
};

export interface SessionGrants {
  id: string;
  grants_version: number;
  expires_at: Date;
}

export const sessions = {
  async insert(
    db: SqlExecutor,
    s: {
      id: string;
      userId: string;
      method: string;
      userAgent: string | null;
      ip: string | null;
      now: Date;
      expiresAt: Date;
    },
  ): Promise<void> {
    await db.query(
      `INSERT INTO auth.sessions (id, user_id, method, user_agent, ip, created_at, last_used_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
      [s.id, s.userId, s.method, s.userAgent, s.ip, s.now, s.expiresAt],
    );
  },
  async active(db: SqlExecutor, userId: string, now: Date): Promise<SessionRow[]> {
    return db.query<SessionRow>(
      `SELECT id, user_id, method, user_agent, ip, created_at, last_used_at, expires_at FROM auth.sessions
       WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY last_used_at DESC`,
      [userId, now],
    );
  },
  /** What the session registry needs of one session; `undefined` when it never existed. */
  async status(
    db: SqlExecutor,
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
   * Bumps the grants version of the open sessions of one user, or of every holder of a role, in the
   * transaction that changes the grants; returns the sessions for the registry.
   */
  async bumpGrants(
    db: SqlExecutor,
    where: { userId: string } | { roleCode: string },
    now: Date,
  ): Promise<SessionGrants[]> {
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
    db: SqlExecutor,
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

export const refreshTokens = {
  async insert(db: SqlExecutor, hash: string, sessionId: string, now: Date, expiresAt: Date): Promise<void> {
    await db.query(
      'INSERT INTO auth.refresh_tokens (hash, session_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
      [hash, sessionId, now, expiresAt],
    );
  },
  /**
   * One refresh in one statement: marks the token used if nobody did yet (exactly one concurrent
   * caller gets it), touches its session if still open, stores the successor, and reads the
   * session's user with its roles and permissions for the new access token. `claimed` is null
   * when the token was not claimable; `user` is null when the session ended.
   */
  async rotate(
    db: SqlExecutor,
    hash: string,
    next: string,
    now: Date,
    expiresAt: Date,
  ): Promise<{ claimed: string | null; grantsVersion: number; user: (UserRow & Grants) | null }> {
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
  async find(
    db: SqlExecutor,
    hash: string,
  ): Promise<
    { session_id: string; used_at: Date | null; expires_at: Date; successor_used: boolean | null } | undefined
  > {
    const [row] = await db.query<{
      session_id: string;
      used_at: Date | null;
      expires_at: Date;
      successor_used: boolean | null;
    }>(
      `SELECT t.session_id, t.used_at, t.expires_at, (n.used_at IS NOT NULL) AS successor_used
       FROM auth.refresh_tokens t LEFT JOIN auth.refresh_tokens n ON n.hash = t.replaced_by
       WHERE t.hash = $1`,
      [hash],
    );
    return row;
  },
};

export type OneTimePurpose = 'verify_email' | 'reset_password' | 'mfa' | 'revert_email';

export interface OneTimeToken {
  user_id: string;
  /** The address the token was mailed to (null for MFA step tokens). */
  email: string | null;
}

export const oneTimeTokens = {
  async insert(
    db: SqlExecutor,
    t: {
      hash: string;
      purpose: OneTimePurpose;
      userId: string;
      email?: string | null;
      now: Date;
      expiresAt: Date;
    },
  ): Promise<void> {
    await db.query(
      `INSERT INTO auth.one_time_tokens (hash, purpose, user_id, email, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [t.hash, t.purpose, t.userId, t.email ?? null, t.now, t.expiresAt],
    );
  },
  /** Valid, unused token of that purpose; does not consume it. */
  async peek(
    db: SqlExecutor,
    hash: string,
    purpose: OneTimePurpose,
    now: Date,
  ): Promise<OneTimeToken | undefined> {
    const [row] = await db.query<OneTimeToken>(
      `SELECT user_id, email FROM auth.one_time_tokens
       WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`,
      [hash, purpose, now],
    );
    return row;
  },
  /** Consumes the token; exactly one caller succeeds. */
  async consume(
    db: SqlExecutor,
    hash: string,
    purpose: OneTimePurpose,
    now: Date,
  ): Promise<OneTimeToken | undefined> {
    const [row] = await db.query<OneTimeToken>(
      `UPDATE auth.one_time_tokens SET used_at = $3
       WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id, email`,
      [hash, purpose, now],
    );
    return row;
  },
  /** Voids every outstanding token of these purposes of the account; returns how many. */
  async voidAll(
    db: SqlExecutor,
    userId: string,
    purposes: readonly OneTimePurpose[],
    now: Date,
  ): Promise<number> {
    return db.execute(
      `UPDATE auth.one_time_tokens SET used_at = $3
       WHERE user_id = $1 AND purpose = ANY($2::text[]) AND used_at IS NULL`,
      [userId, [...purposes], now],
    );
  },
  /** Whether a token of that purpose was issued to the account after `since`. */
  async issuedSince(db: SqlExecutor, userId: string, purpose: OneTimePurpose, since: Date): Promise<boolean> {
    const [row] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM auth.one_time_tokens
       WHERE user_id = $1 AND purpose = $2 AND created_at > $3`,
      [userId, purpose, since],
    );
    return (row?.n ?? 0) > 0;
  },
};

/**
 * Failed attempts for names that match no account, with the same claim-then-check semantics and
 * back-off schedule as `users.claimAttempt`.
 */
export const loginThrottle = {
  async claim(
    db: SqlExecutor,
    nameHash: string,
    now: Date,
    threshold: number,
  ): Promise<{ failed_logins: number } | { locked_until: Date }> {
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
  async prune(db: SqlExecutor, before: Date): Promise<number> {
    return db.execute(
      'DELETE FROM auth.login_throttle WHERE updated_at < $1 AND (locked_until IS NULL OR locked_until < $1)',
      [before],
    );
  },
};

export interface HistoryRow {
  at: Date;
  ip: string | null;
  user_agent: string | null;
  success: boolean;
  method: string;
}

export const history = {
  async insert(
    db: SqlExecutor,
    h: {
      id: string;
      userId: string;
      at: Date;
      ip: string | null;
      userAgent: string | null;
      success: boolean;
      method: string;
      reason: string | null;
    },
  ): Promise<void> {
    await db.query(
      `INSERT INTO auth.login_history (id, user_id, at, ip, user_agent, success, method, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [h.id, h.userId, h.at, h.ip, h.userAgent, h.success, h.method, h.reason],
    );
  },
  async page(
    db: SqlExecutor,
    userId: string,
    limit: number,
    offset: number,
  ): Promise<{ rows: HistoryRow[]; total: number }> {
    const rows = await db.query<HistoryRow>(
      `SELECT at, ip, user_agent, success, method FROM auth.login_history WHERE user_id = $1
       ORDER BY at DESC, id LIMIT $2 OFFSET $3`,
      [userId, limit, offset],
    );
    const [count] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM auth.login_history WHERE user_id = $1',
      [userId],
    );
    return { rows, total: count?.n ?? 0 };
  },
  /** Creates monthly partitions from the previous month to `ahead` months after `now`. */
  async ensurePartitions(db: SqlExecutor, now: Date, ahead = 3): Promise<string[]> {
    const created: string[] = [];
    for (let i = -1; i <= ahead; i++) {
      const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1));
      const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
      const name = `login_history_${from.getUTCFullYear()}_${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
      const [exists] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'auth' AND c.relname = $1`,
        [name],
      );
      if ((exists?.n ?? 0) > 0) continue;
      // Names and bounds come from dates computed here, never from input.
      await db.exec(
        `CREATE TABLE IF NOT EXISTS auth.${name} PARTITION OF auth.login_history
         FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`,
      );
      created.push(name);
    }
    return created;
  },
};
