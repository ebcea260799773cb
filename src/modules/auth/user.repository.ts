/** Accounts (auth.users): lookups, profile and credential updates, and the login attempt budget. */
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

export interface Grants {
  roles: string[];
  permissions: string[];
}

/** The result of claiming one attempt: the count so far, or when the lock ends. */
export type AttemptClaim = { failed_logins: number } | { locked_until: Date };

export const USER_COLUMNS = `id, login, email, password_hash, first_name, last_name, locale, email_verified_at,
  is_active, failed_logins, locked_until, totp_secret, totp_enabled, created_at`;

/** A user's roles (oldest grant first) and distinct permissions, for the row `userId` names. */
export const GRANTS = (userId: string) => `
  coalesce((SELECT array_agg(ur.role_code ORDER BY ur.granted_at, ur.role_code)
            FROM auth.user_roles ur WHERE ur.user_id = ${userId}), '{}') AS roles,
  coalesce((SELECT array_agg(DISTINCT rp.permission_code ORDER BY rp.permission_code)
            FROM auth.user_roles ur JOIN auth.role_permissions rp ON rp.role_code = ur.role_code
            WHERE ur.user_id = ${userId}), '{}') AS permissions`;

const SEARCH = `$1::text IS NULL OR login ILIKE $1 OR email ILIKE $1 OR first_name ILIKE $1 OR last_name ILIKE $1`;

export function createUserRepository(db: SqlExecutor) {
  return {
    async byId(id: string): Promise<UserRow | undefined> {
      const [row] = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM auth.users WHERE id = $1`, [id]);
      return row;
    },
    /** Locks the account's row until the transaction ends, so that checks made after it see its writes. */
    async lock(id: string): Promise<void> {
      await db.query(`SELECT id FROM auth.users WHERE id = $1 FOR UPDATE`, [id]);
    },
    /** By login or email, case-insensitively. */
    async byLoginOrEmail(name: string): Promise<UserRow | undefined> {
      const [row] = await db.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM auth.users WHERE lower(login) = lower($1) OR lower(email) = lower($1)
         ORDER BY (lower(login) = lower($1)) DESC LIMIT 1`,
        [name],
      );
      return row;
    },
    async byEmail(email: string): Promise<UserRow | undefined> {
      const [row] = await db.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM auth.users WHERE lower(email) = lower($1)`,
        [email],
      );
      return row;
    },
    /** The account with this login (case-insensitively), and whether it holds ADMIN. */
    async adminStatus(login: string): Promise<{ id: string; is_admin: boolean } | undefined> {
      const [row] = await db.query<{ id: string; is_admin: boolean }>(
        `SELECT u.id, EXISTS (SELECT 1 FROM auth.user_roles r WHERE r.user_id = u.id AND r.role_code = 'ADMIN') AS is_admin
         FROM auth.users u WHERE lower(u.login) = lower($1)`,
        [login],
      );
      return row;
    },
    /** A page of accounts, oldest first, whose login, email or names contain `query` (any case). */
    async search(
      query: string | undefined,
      limit: number,
      offset: number,
    ): Promise<{ rows: UserRow[]; total: number }> {
      const pattern = query ? `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
      const rows = await db.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM auth.users WHERE ${SEARCH} ORDER BY created_at, id LIMIT $2 OFFSET $3`,
        [pattern, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM auth.users WHERE ${SEARCH}`,
        [pattern],
      );
      return { rows, total: count?.n ?? 0 };
    },
    /** Sets the names given (undefined leaves a name as it is). */
    async updateNames(
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
    async setEmail(id: string, email: string, verifiedAt: Date | null, now: Date): Promise<void> {
      await db.execute(
        'UPDATE auth.users SET email = $2, email_verified_at = $3, updated_at = $4 WHERE id = $1',
        [id, email, verifiedAt, now],
      );
    },
    async setLogin(id: string, login: string, now: Date): Promise<void> {
      await db.execute('UPDATE auth.users SET login = $2, updated_at = $3 WHERE id = $1', [id, login, now]);
    },
    /** Marks the address proven, only while the account still holds exactly `email`. */
    async markEmailVerified(id: string, email: string, now: Date): Promise<boolean> {
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
    async resetPassword(id: string, email: string, passwordHash: string, now: Date): Promise<boolean> {
      const changed = await db.execute(
        `UPDATE auth.users SET password_hash = $3, failed_logins = 0, locked_until = NULL,
           email_verified_at = coalesce(email_verified_at, $4), updated_at = $4
         WHERE id = $1 AND email = $2`,
        [id, email, passwordHash, now],
      );
      return changed === 1;
    },
    async setPassword(id: string, passwordHash: string, now: Date): Promise<void> {
      await db.execute('UPDATE auth.users SET password_hash = $2, updated_at = $3 WHERE id = $1', [
        id,
        passwordHash,
        now,
      ]);
    },
    async insert(u: {
      id: string;
      login: string;
      email: string;
      passwordHash: string | null;
      firstName: string | null;
      lastName: string | null;
      emailVerified: boolean;
      now: Date;
    }): Promise<UserRow> {
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
    async claimAttempt(id: string, now: Date, threshold: number): Promise<AttemptClaim> {
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
    async clearAttempts(id: string): Promise<void> {
      await db.execute(
        'UPDATE auth.users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND failed_logins > 0',
        [id],
      );
    },
    async rolesAndPermissions(id: string): Promise<Grants> {
      const [row] = await db.query<Grants>(`SELECT ${GRANTS('$1::uuid')}`, [id]);
      return { roles: row?.roles ?? [], permissions: row?.permissions ?? [] };
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
