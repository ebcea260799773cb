/** Roles on a real database: the three rules (hold what you grant, outrank whom you act on, keep an admin). */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../platform/security.js';
import { client, useAuthTestContext } from '../../../test/helpers/auth.js';
import { uniq } from '../../../test/helpers/engines.js';
import { createRolesService, type RolesService } from './roles.service.js';
import type { SessionGrants } from './session.repository.js';
import type { UserRow } from './user.repository.js';

const t = useAuthTestContext();
let roles: RolesService;
const ended: { userId: string; reason: string }[] = [];
const bumped: SessionGrants[][] = [];

beforeAll(() => {
  roles = createRolesService({
    sql: t.sql,
    clock: t.clock,
    endSessions: async (userId, reason) => {
      ended.push({ userId, reason });
      return t.auth.endSessions(userId, reason);
    },
    grantsChanged: async (rows) => {
      bumped.push([...rows]);
      await t.auth.markLive(rows);
    },
  });
});

async function actor(user: UserRow): Promise<Principal> {
  const { roles: held, permissions } = await roles.userPermissions(user.id);
  return {
    kind: 'user',
    userId: user.id,
    sessionId: null,
    login: user.login,
    roles: held,
    permissions: new Set(permissions),
  };
}

describe('roles service', () => {
  it('creates a role only with permissions the actor holds and that exist', async () => {
    const admin = await actor((await t.newUser({ roles: ['ADMIN'] })).user);
    const editor = await actor((await t.newUser({ roles: ['SUB_USER'] })).user);
    const code = uniq('ROLE_').toUpperCase();
    await expect(
      roles.createRole(editor, { code, description: 'x', permissions: ['CRUD_FILMS'] }),
    ).rejects.toMatchObject({ code: 'PERMISSION_NOT_HELD' });
    await expect(
      roles.createRole(
        { ...admin, permissions: new Set([...admin.permissions, 'NOPE']) },
        {
          code,
          description: 'x',
          permissions: ['NOPE'],
        },
      ),
    ).rejects.toMatchObject({ code: 'PERMISSION_NOT_FOUND' });
    expect(
      await roles.createRole(admin, { code, description: 'Editors', permissions: ['CRUD_FILMS'] }),
    ).toEqual({
      code,
      description: 'Editors',
      permissions: ['CRUD_FILMS'],
    });
    await expect(
      roles.createRole(admin, { code, description: 'again', permissions: [] }),
    ).rejects.toMatchObject({
      code: 'ROLE_EXISTS',
    });
    expect((await roles.listRoles()).map((r) => r.code)).toContain(code);
  });

  it('makes a subscription exclusive and bumps the holder’s session grants', async () => {
    const admin = await actor((await t.newUser({ roles: ['ADMIN'] })).user);
    const { user } = await t.newUser();
    await t.auth.openSession(user, 'password', client);
    const [session] = await t.auth.listSessions(user.id);
    bumped.length = 0;
    expect(await roles.assignRole(admin, user.id, 'SUB_USER')).toEqual(['SUB_USER']);
    expect(bumped).toEqual([[expect.objectContaining({ id: session!.id, grants_version: 1 })]]);
    expect(await t.auth.sessionStatus(session!.id)).toEqual({ state: 'live', grants: 1 });
    // Held already: nothing changes, so no session is bumped.
    expect(await roles.assignRole(admin, user.id, 'SUB_USER')).toEqual(['SUB_USER']);
    expect(bumped.flat()).toHaveLength(1);
    await expect(roles.removeRole(admin, user.id, 'UNSUB_USER')).rejects.toMatchObject({
      code: 'SUBSCRIPTION_ROLE_REQUIRED',
    });
    expect(await roles.removeRole(admin, user.id, 'SUB_USER')).toEqual(['UNSUB_USER']);
    expect(await t.auth.listSessions(user.id)).toEqual([]);
  });

  it('refuses acting on a user who holds permissions the actor lacks', async () => {
    const admin = (await t.newUser({ roles: ['ADMIN'] })).user;
    const subscriber = await actor((await t.newUser({ roles: ['SUB_USER'] })).user);
    await expect(roles.endUserSessions(subscriber, admin.id)).rejects.toMatchObject({
      code: 'USER_OUTRANKS_YOU',
    });
    await expect(roles.assignRole(subscriber, admin.id, 'SUB_USER')).rejects.toMatchObject({
      code: 'USER_OUTRANKS_YOU',
    });
  });

  it('never removes the last active administrator', async () => {
    const { user } = await t.newUser({ roles: ['ADMIN'] });
    const me = await actor(user);
    const holders = await t.sql.query<{ user_id: string }>(
      `SELECT user_id FROM auth.user_roles WHERE role_code = 'ADMIN' AND user_id <> $1`,
      [user.id],
    );
    for (const h of holders) await roles.removeRole(me, h.user_id, 'ADMIN');
    await expect(roles.removeRole(me, user.id, 'ADMIN')).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    await t.newUser({ roles: ['ADMIN'] });
    expect(await roles.removeRole(me, user.id, 'ADMIN')).not.toContain('ADMIN');
  });

  it('protects built-in roles; deleting another ends its holders’ sessions', async () => {
    const admin = await actor((await t.newUser({ roles: ['ADMIN'] })).user);
    await expect(roles.deleteRole(admin, 'SUB_USER')).rejects.toMatchObject({ code: 'ROLE_PROTECTED' });
    await expect(roles.updateRole(admin, 'ADMIN', { permissions: ['FREE_FILMS'] })).rejects.toMatchObject({
      code: 'ROLE_PROTECTED',
    });
    const code = uniq('GONE_').toUpperCase();
    await roles.createRole(admin, { code, description: 'x', permissions: ['FREE_FILMS'] });
    const { user } = await t.newUser();
    await roles.assignRole(admin, user.id, code);
    ended.length = 0;
    await roles.deleteRole(admin, code);
    expect(ended).toEqual([{ userId: user.id, reason: 'role_removed' }]);
    await expect(roles.getRole(code)).rejects.toMatchObject({ code: 'ROLE_NOT_FOUND' });
  });

  it('lists users matching a search, with % and _ taken literally', async () => {
    const tag = uniq('find');
    const { user } = await t.newUser();
    await t.auth.updateMe(user.id, { first_name: `${tag}_x` });
    expect((await roles.listUsers(`${tag}_`, 1, 10)).rows.map((u) => u.id)).toEqual([user.id]);
    expect((await roles.listUsers(`${tag}%x`, 1, 10)).total).toBe(0);
    expect(await roles.getUser(user.id)).toMatchObject({ id: user.id, roles: ['UNSUB_USER'] });
  });
});
