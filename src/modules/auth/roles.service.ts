/**
 * Roles, permissions and users administration. Three rules hold for every caller: nobody grants a
 * permission they do not hold themselves, nobody acts on a user who holds a permission they lack,
 * and the last ADMIN cannot lose the role. A grants change reaches the holders' access tokens at
 * once through their sessions' grants version (docs/adr/0032).
 */
import type { Sql, SqlExecutor } from '../../ports/sql.js';
import { isSqlError, SqlState } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { conflict, forbidden, notFound } from '../../platform/errors.js';
import { event } from '../../platform/events.js';
import { emit } from '../../platform/outbox.js';
import type { Principal } from '../../platform/security.js';
import { sessions, users, type SessionGrants, type UserRow } from './auth.repository.js';
import { toPublicUser, type PublicUser } from './auth.service.js';

export interface Role {
  code: string;
  description: string;
  permissions: string[];
}

/** Roles the product relies on: they cannot be deleted. */
export const BUILT_IN_ROLES = ['ADMIN', 'SUB_USER', 'UNSUB_USER', 'ANONYMOUS'] as const;

/** A user is subscribed or not: assigning one of these roles removes the other. */
export const SUBSCRIPTION_ROLES = ['SUB_USER', 'UNSUB_USER'] as const;

export interface RolesServiceDeps {
  sql: Sql;
  clock: Clock;
  /** Ends every session of a user (after losing a role, tokens must not keep its permissions). */
  endSessions(userId: string, reason: string): Promise<number>;
  /** Publishes new grants versions to the session registry (after the change committed). */
  grantsChanged(rows: readonly SessionGrants[]): Promise<void>;
}

export type RolesService = ReturnType<typeof createRolesService>;

export function createRolesService(deps: RolesServiceDeps) {
  const { sql, clock } = deps;

  async function loadRoles(db: SqlExecutor, code?: string): Promise<Role[]> {
    return db.query<Role>(
      `SELECT r.code, r.description,
         coalesce(array_agg(rp.permission_code ORDER BY rp.permission_code) FILTER (WHERE rp.permission_code IS NOT NULL), '{}') AS permissions
       FROM auth.roles r LEFT JOIN auth.role_permissions rp ON rp.role_code = r.code
       WHERE $1::text IS NULL OR r.code = $1 GROUP BY r.code ORDER BY r.code`,
      [code ?? null],
    );
  }

  function mustHold(actor: Principal, permissions: readonly string[]): void {
    const missing = permissions.filter((p) => !actor.permissions.has(p));
    if (missing.length > 0)
      throw forbidden(
        'PERMISSION_NOT_HELD',
        `You cannot grant permissions you do not hold: ${missing.join(', ')}.`,
      );
  }

  /** Acting on a user (roles, sessions) needs every permission that user holds. */
  async function mustOutrank(actor: Principal, userId: string): Promise<void> {
    const { permissions } = await users.rolesAndPermissions(sql, userId);
    const missing = permissions.filter((p) => !actor.permissions.has(p));
    if (missing.length > 0)
      throw forbidden(
        'USER_OUTRANKS_YOU',
        `This user holds permissions you do not hold: ${missing.join(', ')}.`,
      );
  }

  async function checkPermissionsExist(db: SqlExecutor, permissions: readonly string[]): Promise<void> {
    const rows = await db.query<{ code: string }>(
      'SELECT code FROM auth.permissions WHERE code = ANY($1::text[])',
      [[...permissions]],
    );
    const unknown = permissions.filter((p) => !rows.some((r) => r.code === p));
    if (unknown.length > 0)
      throw notFound('PERMISSION_NOT_FOUND', `Unknown permission(s): ${unknown.join(', ')}.`);
  }

  async function getRole(code: string, db: SqlExecutor = sql): Promise<Role> {
    const [role] = await loadRoles(db, code);
    if (!role) throw notFound('ROLE_NOT_FOUND', `No role ${code}.`);
    return role;
  }

  async function findUser(id: string): Promise<UserRow> {
    const user = await users.byId(sql, id);
    if (!user) throw notFound('USER_NOT_FOUND', 'No user with this id.');
    return user;
  }

  async function emitRoles(tx: SqlExecutor, userId: string): Promise<void> {
    const { roles } = await users.rolesAndPermissions(tx, userId);
    await emit(tx, [event('auth.user.roles_changed', userId, { userId, roles })]);
  }

  return {
    listRoles: () => loadRoles(sql),
    getRole,
    async listPermissions(): Promise<{ code: string; description: string }[]> {
      return sql.query('SELECT code, description FROM auth.permissions ORDER BY code');
    },

    async createRole(actor: Principal, input: Role): Promise<Role> {
      mustHold(actor, input.permissions);
      return sql.transaction(async (tx) => {
        await checkPermissionsExist(tx, input.permissions);
        try {
          await tx.query(
            'INSERT INTO auth.roles (code, description, created_at, updated_at) VALUES ($1, $2, $3, $3)',
            [input.code, input.description, clock.now()],
          );
        } catch (error) {
          if (isSqlError(error, SqlState.uniqueViolation))
            throw conflict('ROLE_EXISTS', `Role ${input.code} exists.`);
          throw error;
        }
        await tx.query(
          'INSERT INTO auth.role_permissions (role_code, permission_code) SELECT $1, unnest($2::text[])',
          [input.code, [...new Set(input.permissions)]],
        );
        return getRole(input.code, tx);
      });
    },

    async updateRole(
      actor: Principal,
      code: string,
      input: { description?: string; permissions?: string[] },
    ): Promise<Role> {
      const current = await getRole(code);
      if (input.permissions) {
        if (code === 'ADMIN' && input.permissions.slice().sort().join() !== current.permissions.join())
          throw conflict('ROLE_PROTECTED', 'The permissions of ADMIN cannot be changed.');
        // Adding or removing a permission both count as granting it.
        const changed = [
          ...input.permissions.filter((p) => !current.permissions.includes(p)),
          ...current.permissions.filter((p) => !input.permissions!.includes(p)),
        ];
        mustHold(actor, changed);
      }
      const { role, bumped } = await sql.transaction(async (tx) => {
        if (input.description !== undefined)
          await tx.execute('UPDATE auth.roles SET description = $2, updated_at = $3 WHERE code = $1', [
            code,
            input.description,
            clock.now(),
          ]);
        let bumped: SessionGrants[] = [];
        if (input.permissions) {
          await checkPermissionsExist(tx, input.permissions);
          await tx.execute('DELETE FROM auth.role_permissions WHERE role_code = $1', [code]);
          await tx.query(
            'INSERT INTO auth.role_permissions (role_code, permission_code) SELECT $1, unnest($2::text[])',
            [code, [...new Set(input.permissions)]],
          );
          const next = await getRole(code, tx);
          // Holders' tokens carry the old set until they refresh: the same transaction bumps
          // their sessions, so a refresh sees either the old grants and version or both new.
          if (next.permissions.join() !== current.permissions.join())
            bumped = await sessions.bumpGrants(tx, { roleCode: code }, clock.now());
        }
        return { role: await getRole(code, tx), bumped };
      });
      await deps.grantsChanged(bumped);
      return role;
    },

    async deleteRole(actor: Principal, code: string): Promise<void> {
      const role = await getRole(code);
      if ((BUILT_IN_ROLES as readonly string[]).includes(code))
        throw conflict('ROLE_PROTECTED', `${code} is a built-in role and cannot be deleted.`);
      mustHold(actor, role.permissions);
      const holders = await sql.query<{ user_id: string }>(
        'SELECT user_id FROM auth.user_roles WHERE role_code = $1',
        [code],
      );
      await sql.execute('DELETE FROM auth.roles WHERE code = $1', [code]);
      for (const h of holders) await deps.endSessions(h.user_id, 'role_removed');
    },

    async listUsers(
      query: string | undefined,
      page: number,
      size: number,
    ): Promise<{ rows: PublicUser[]; total: number }> {
      const pattern = query ? `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
      const where = `$1::text IS NULL OR login ILIKE $1 OR email ILIKE $1 OR first_name ILIKE $1 OR last_name ILIKE $1`;
      const rows = await sql.query<UserRow>(
        `SELECT id, login, email, password_hash, first_name, last_name, locale, email_verified_at, is_active,
           failed_logins, locked_until, totp_secret, totp_enabled, created_at
         FROM auth.users WHERE ${where} ORDER BY created_at, id LIMIT $2 OFFSET $3`,
        [pattern, size, (page - 1) * size],
      );
      const [count] = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM auth.users WHERE ${where}`,
        [pattern],
      );
      return { rows: rows.map(toPublicUser), total: count?.n ?? 0 };
    },

    async getUser(id: string): Promise<PublicUser & { roles: string[] }> {
      const user = await findUser(id);
      const { roles } = await users.rolesAndPermissions(sql, id);
      return { ...toPublicUser(user), roles };
    },

    async userPermissions(id: string): Promise<{ roles: string[]; permissions: string[] }> {
      await findUser(id);
      return users.rolesAndPermissions(sql, id);
    },

    async assignRole(actor: Principal, userId: string, code: string): Promise<string[]> {
      await findUser(userId);
      const role = await getRole(code);
      mustHold(actor, role.permissions);
      await mustOutrank(actor, userId);
      const exclusive = (SUBSCRIPTION_ROLES as readonly string[]).includes(code)
        ? SUBSCRIPTION_ROLES.filter((r) => r !== code)
        : [];
      // Taking a role away counts as granting its permissions, as in removeRole.
      for (const other of exclusive) mustHold(actor, (await getRole(other)).permissions);
      const { roles, bumped } = await sql.transaction(async (tx) => {
        const added = await tx.execute(
          `INSERT INTO auth.user_roles (user_id, role_code, granted_at, granted_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [userId, code, clock.now(), actor.userId],
        );
        const removed =
          exclusive.length === 0
            ? 0
            : await tx.execute(
                'DELETE FROM auth.user_roles WHERE user_id = $1 AND role_code = ANY($2::text[])',
                [userId, exclusive],
              );
        if (added === 0 && removed === 0)
          return { roles: (await users.rolesAndPermissions(tx, userId)).roles, bumped: [] };
        await emitRoles(tx, userId);
        return {
          roles: (await users.rolesAndPermissions(tx, userId)).roles,
          bumped: await sessions.bumpGrants(tx, { userId }, clock.now()),
        };
      });
      await deps.grantsChanged(bumped);
      return roles;
    },

    /** Ends every session of a user, for an administrator who outranks them. */
    async endUserSessions(actor: Principal, userId: string): Promise<void> {
      await findUser(userId);
      await mustOutrank(actor, userId);
      await deps.endSessions(userId, 'ended_by_admin');
    },

    async removeRole(actor: Principal, userId: string, code: string): Promise<string[]> {
      await findUser(userId);
      const role = await getRole(code);
      mustHold(actor, role.permissions);
      await mustOutrank(actor, userId);
      if (code === 'UNSUB_USER')
        throw conflict(
          'SUBSCRIPTION_ROLE_REQUIRED',
          'An account is subscribed (SUB_USER) or not (UNSUB_USER); assign SUB_USER instead.',
        );
      const roles = await sql.transaction(async (tx) => {
        if (code === 'ADMIN') {
          // Serialise ADMIN removals so two admins cannot remove each other at once.
          await tx.query(`SELECT code FROM auth.roles WHERE code = 'ADMIN' FOR UPDATE`);
          const [row] = await tx.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM auth.user_roles ur JOIN auth.users u ON u.id = ur.user_id
             WHERE ur.role_code = 'ADMIN' AND u.is_active AND ur.user_id <> $1`,
            [userId],
          );
          if ((row?.n ?? 0) === 0)
            throw conflict('LAST_ADMIN', 'The last administrator cannot lose the ADMIN role.');
        }
        const removed = await tx.execute(
          'DELETE FROM auth.user_roles WHERE user_id = $1 AND role_code = $2',
          [userId, code],
        );
        if (removed === 0) throw notFound('ROLE_NOT_ASSIGNED', `The user does not have the role ${code}.`);
        // Losing the subscription leaves the account unsubscribed, never without either role.
        if (code === 'SUB_USER')
          await tx.query(
            `INSERT INTO auth.user_roles (user_id, role_code, granted_at, granted_by)
             VALUES ($1, 'UNSUB_USER', $2, $3) ON CONFLICT DO NOTHING`,
            [userId, clock.now(), actor.userId],
          );
        await emitRoles(tx, userId);
        return (await users.rolesAndPermissions(tx, userId)).roles;
      });
      await deps.endSessions(userId, 'role_removed');
      return roles;
    },
  };
}
