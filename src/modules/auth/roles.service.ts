/**
 * Roles, permissions and users administration. Three rules hold for every caller: nobody grants a
 * permission they do not hold themselves, nobody acts on a user who holds a permission they lack,
 * and the last ADMIN cannot lose the role. A grants change reaches the holders' access tokens at
 * once through their sessions' grants version (docs/adr/0032).
 */
import type { Sql, SqlExecutor } from '../../ports/sql.js';
import { isSqlError, SqlState } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { authErrors } from './auth.errors.js';
import { event } from '../../platform/events.js';
import { emit } from '../../platform/outbox.js';
import type { Principal } from '../../platform/security.js';
import { toPublicUser, type PublicUser } from './account.model.js';
import { createRoleRepository, type Role } from './role.repository.js';
import { createSessionRepository, type SessionGrants } from './session.repository.js';
import { createUserRepository, type UserRow } from './user.repository.js';

export type { Role } from './role.repository.js';

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
  const users = createUserRepository(sql);
  const rolesRepo = createRoleRepository(sql);

  function mustHold(actor: Principal, permissions: readonly string[]): void {
    const missing = permissions.filter((p) => !actor.permissions.has(p));
    if (missing.length > 0)
      throw authErrors.PERMISSION_NOT_HELD({
        detail: `You cannot grant permissions you do not hold: ${missing.join(', ')}.`,
      });
  }

  /** Acting on a user (roles, sessions) needs every permission that user holds. */
  async function mustOutrank(actor: Principal, userId: string): Promise<void> {
    const { permissions } = await users.rolesAndPermissions(userId);
    const missing = permissions.filter((p) => !actor.permissions.has(p));
    if (missing.length > 0)
      throw authErrors.USER_OUTRANKS_YOU({
        detail: `This user holds permissions you do not hold: ${missing.join(', ')}.`,
      });
  }

  async function checkPermissionsExist(db: SqlExecutor, permissions: readonly string[]): Promise<void> {
    const existing = await createRoleRepository(db).existingPermissions(permissions);
    const unknown = permissions.filter((p) => !existing.includes(p));
    if (unknown.length > 0)
      throw authErrors.PERMISSION_NOT_FOUND({ detail: `Unknown permission(s): ${unknown.join(', ')}.` });
  }

  async function getRole(code: string, db: SqlExecutor = sql): Promise<Role> {
    const [role] = await createRoleRepository(db).list(code);
    if (!role) throw authErrors.ROLE_NOT_FOUND();
    return role;
  }

  async function findUser(id: string): Promise<UserRow> {
    const user = await users.byId(id);
    if (!user) throw authErrors.USER_NOT_FOUND();
    return user;
  }

  async function emitRoles(tx: SqlExecutor, userId: string): Promise<void> {
    const { roles } = await createUserRepository(tx).rolesAndPermissions(userId);
    await emit(tx, [event('auth.user.roles_changed', userId, { userId, roles })]);
  }

  return {
    listRoles: () => rolesRepo.list(),
    getRole,
    listPermissions: () => rolesRepo.permissions(),

    async createRole(actor: Principal, input: Role): Promise<Role> {
      mustHold(actor, input.permissions);
      return sql.transaction(async (tx) => {
        const txRoles = createRoleRepository(tx);
        await checkPermissionsExist(tx, input.permissions);
        try {
          await txRoles.insert(input.code, input.description, clock.now());
        } catch (error) {
          if (isSqlError(error, SqlState.uniqueViolation)) throw authErrors.ROLE_EXISTS();
          throw error;
        }
        await txRoles.addPermissions(input.code, input.permissions);
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
          throw authErrors.ROLE_PROTECTED({ detail: 'The permissions of ADMIN cannot be changed.' });
        // Adding or removing a permission both count as granting it.
        const changed = [
          ...input.permissions.filter((p) => !current.permissions.includes(p)),
          ...current.permissions.filter((p) => !input.permissions!.includes(p)),
        ];
        mustHold(actor, changed);
      }
      const { role, bumped } = await sql.transaction(async (tx) => {
        const txRoles = createRoleRepository(tx);
        if (input.description !== undefined)
          await txRoles.setDescription(code, input.description, clock.now());
        let bumped: SessionGrants[] = [];
        if (input.permissions) {
          await checkPermissionsExist(tx, input.permissions);
          await txRoles.clearPermissions(code);
          await txRoles.addPermissions(code, input.permissions);
          const next = await getRole(code, tx);
          // Holders' tokens carry the old set until they refresh: the same transaction bumps
          // their sessions, so a refresh sees either the old grants and version or both new.
          if (next.permissions.join() !== current.permissions.join())
            bumped = await createSessionRepository(tx).bumpGrants({ roleCode: code }, clock.now());
        }
        return { role: await getRole(code, tx), bumped };
      });
      await deps.grantsChanged(bumped);
      return role;
    },

    async deleteRole(actor: Principal, code: string): Promise<void> {
      const role = await getRole(code);
      if ((BUILT_IN_ROLES as readonly string[]).includes(code))
        throw authErrors.ROLE_PROTECTED({ detail: `${code} is a built-in role and cannot be deleted.` });
      mustHold(actor, role.permissions);
      const holders = await rolesRepo.holders(code);
      await rolesRepo.delete(code);
      for (const userId of holders) await deps.endSessions(userId, 'role_removed');
    },

    async listUsers(
      query: string | undefined,
      page: number,
      size: number,
    ): Promise<{ rows: PublicUser[]; total: number }> {
      const { rows, total } = await users.search(query, size, (page - 1) * size);
      return { rows: rows.map(toPublicUser), total };
    },

    async getUser(id: string): Promise<PublicUser & { roles: string[] }> {
      const user = await findUser(id);
      const { roles } = await users.rolesAndPermissions(id);
      return { ...toPublicUser(user), roles };
    },

    async userPermissions(id: string): Promise<{ roles: string[]; permissions: string[] }> {
      await findUser(id);
      return users.rolesAndPermissions(id);
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
        const txRoles = createRoleRepository(tx);
        const txUsers = createUserRepository(tx);
        const added = await txRoles.grant(userId, code, clock.now(), actor.userId);
        const removed = exclusive.length === 0 ? 0 : await txRoles.revoke(userId, exclusive);
        if (added === 0 && removed === 0)
          return { roles: (await txUsers.rolesAndPermissions(userId)).roles, bumped: [] };
        await emitRoles(tx, userId);
        return {
          roles: (await txUsers.rolesAndPermissions(userId)).roles,
          bumped: await createSessionRepository(tx).bumpGrants({ userId }, clock.now()),
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
      if (code === 'UNSUB_USER') throw authErrors.SUBSCRIPTION_ROLE_REQUIRED();
      const roles = await sql.transaction(async (tx) => {
        const txRoles = createRoleRepository(tx);
        // Serialise ADMIN removals so two admins cannot remove each other at once.
        if (code === 'ADMIN' && (await txRoles.lockOtherAdmins(userId)) === 0) throw authErrors.LAST_ADMIN();
        const removed = await txRoles.revoke(userId, [code]);
        if (removed === 0) throw authErrors.ROLE_NOT_ASSIGNED();
        // Losing the subscription leaves the account unsubscribed, never without either role.
        if (code === 'SUB_USER') await txRoles.grant(userId, 'UNSUB_USER', clock.now(), actor.userId);
        await emitRoles(tx, userId);
        return (await createUserRepository(tx).rolesAndPermissions(userId)).roles;
      });
      await deps.endSessions(userId, 'role_removed');
      return roles;
    },
  };
}
