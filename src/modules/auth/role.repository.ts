/** Roles, permissions and who holds which role (auth.roles, auth.permissions, auth.user_roles). */
import type { SqlExecutor } from '../../ports/sql.js';

export interface Role {
  code: string;
  description: string;
  permissions: string[];
}

export function createRoleRepository(db: SqlExecutor) {
  return {
    /** Every role with its permissions, or the one named `code`, by code. */
    async list(code?: string): Promise<Role[]> {
      return db.query<Role>(
        `SELECT r.code, r.description,
           coalesce(array_agg(rp.permission_code ORDER BY rp.permission_code) FILTER (WHERE rp.permission_code IS NOT NULL), '{}') AS permissions
         FROM auth.roles r LEFT JOIN auth.role_permissions rp ON rp.role_code = r.code
         WHERE $1::text IS NULL OR r.code = $1 GROUP BY r.code ORDER BY r.code`,
        [code ?? null],
      );
    },
    async permissions(): Promise<{ code: string; description: string }[]> {
      return db.query('SELECT code, description FROM auth.permissions ORDER BY code');
    },
    /** Which of these permission codes exist. */
    async existingPermissions(codes: readonly string[]): Promise<string[]> {
      const rows = await db.query<{ code: string }>(
        'SELECT code FROM auth.permissions WHERE code = ANY($1::text[])',
        [[...codes]],
      );
      return rows.map((r) => r.code);
    },
    /** Inserts a role without permissions; a taken code raises a unique violation. */
    async insert(code: string, description: string, now: Date): Promise<void> {
      await db.query(
        'INSERT INTO auth.roles (code, description, created_at, updated_at) VALUES ($1, $2, $3, $3)',
        [code, description, now],
      );
    },
    async setDescription(code: string, description: string, now: Date): Promise<void> {
      await db.execute('UPDATE auth.roles SET description = $2, updated_at = $3 WHERE code = $1', [
        code,
        description,
        now,
      ]);
    },
    async addPermissions(code: string, permissions: readonly string[]): Promise<void> {
      await db.query(
        'INSERT INTO auth.role_permissions (role_code, permission_code) SELECT $1, unnest($2::text[])',
        [code, [...new Set(permissions)]],
      );
    },
    async clearPermissions(code: string): Promise<void> {
      await db.execute('DELETE FROM auth.role_permissions WHERE role_code = $1', [code]);
    },
    async delete(code: string): Promise<void> {
      await db.execute('DELETE FROM auth.roles WHERE code = $1', [code]);
    },
    /** The accounts holding a role. */
    async holders(code: string): Promise<string[]> {
      const rows = await db.query<{ user_id: string }>(
        'SELECT user_id FROM auth.user_roles WHERE role_code = $1',
        [code],
      );
      return rows.map((r) => r.user_id);
    },
    /** How many accounts hold a role. */
    async holderCount(code: string): Promise<number> {
      const [row] = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM auth.user_roles WHERE role_code = $1',
        [code],
      );
      return row?.n ?? 0;
    },
    /** Gives a new account its first roles, all granted at `now`. */
    async grantAll(userId: string, codes: readonly string[], now: Date): Promise<void> {
      await db.query(
        'INSERT INTO auth.user_roles (user_id, role_code, granted_at) SELECT $1, unnest($2::text[]), $3',
        [userId, [...codes], now],
      );
    },
    /** Grants one role unless held; returns 1 when granted, 0 when it was held already. */
    async grant(userId: string, code: string, now: Date, by: string | null): Promise<number> {
      return db.execute(
        `INSERT INTO auth.user_roles (user_id, role_code, granted_at, granted_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING`,
        [userId, code, now, by],
      );
    },
    /** Grants ADMIN at the database's time unless held (a superuser made from the command line). */
    async grantAdmin(userId: string): Promise<void> {
      await db.query(
        `INSERT INTO auth.user_roles (user_id, role_code) VALUES ($1, 'ADMIN') ON CONFLICT DO NOTHING`,
        [userId],
      );
    },
    /** Takes these roles from the account; returns how many it held. */
    async revoke(userId: string, codes: readonly string[]): Promise<number> {
      return db.execute('DELETE FROM auth.user_roles WHERE user_id = $1 AND role_code = ANY($2::text[])', [
        userId,
        [...codes],
      ]);
    },
    /**
     * Locks the ADMIN role row until the transaction ends, then counts the active administrators
     * other than `userId`: two removals of ADMIN never both see the other's holder as remaining.
     */
    async lockOtherAdmins(userId: string): Promise<number> {
      await db.query(`SELECT code FROM auth.roles WHERE code = 'ADMIN' FOR UPDATE`);
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM auth.user_roles ur JOIN auth.users u ON u.id = ur.user_id
         WHERE ur.role_code = 'ADMIN' AND u.is_active AND ur.user_id <> $1`,
        [userId],
      );
      return row?.n ?? 0;
    },
  };
}

export type RoleRepository = ReturnType<typeof createRoleRepository>;
