/** Users and roles administration: /api/v1/users, /api/v1/roles, /api/v1/permissions. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { platformErrors, type ErrorFactory } from '../../platform/errors.js';
import { authErrors } from './auth.errors.js';
import { Permission, requirePermission, requireUser, type Principal } from '../../platform/security.js';
import type { AuthService } from './auth.service.js';
import type { RolesService } from './roles.service.js';
import * as S from './auth.schemas.js';
import { bearerSecurity } from '../../platform/http/openapi.js';

const bearer = bearerSecurity;
const NoContent = { 204: Type.Null() };
const RoleParams = Type.Object({ code: S.RoleCode });
const UserRoleParams = Type.Object({ id: Type.String({ format: 'uuid' }), code: S.RoleCode });

/** Reading users and their sessions needs one of the two role permissions. */
function requireUserAdmin(p: Principal): void {
  requireUser(p);
  if (!p.permissions.has(Permission.assignRole) && !p.permissions.has(Permission.crudRole))
    throw platformErrors.PERMISSION_DENIED({
      detail: `This needs the permission ${Permission.assignRole} or ${Permission.crudRole}.`,
    });
}

export function adminRoutes(deps: { roles: RolesService; auth: AuthService }): FastifyPluginAsync {
  const { roles, auth } = deps;
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const users = { tags: ['users'], security: bearer };
    const rolesTag = { tags: ['roles'], security: bearer };

    app.get(
      '/api/v1/users',
      {
        schema: {
          'x-errors': [platformErrors.PERMISSION_DENIED],
          ...users,
          querystring: Type.Composite([
            Type.Object({ query: Type.Optional(Type.String({ maxLength: 200 })) }),
            S.Paging,
          ]),
          response: { 200: Type.Array(S.User) },
        },
      },
      async (request, reply) => {
        requireUserAdmin(request.principal);
        const { query, page_number, page_size } = request.query;
        const { rows, total } = await roles.listUsers(query || undefined, page_number, page_size);
        void reply.header('x-total-count', String(total));
        return rows;
      },
    );

    app.get(
      '/api/v1/users/:id',
      {
        schema: {
          'x-errors': [platformErrors.PERMISSION_DENIED, authErrors.USER_NOT_FOUND],
          ...users,
          params: S.IdParams,
          response: { 200: S.UserWithRoles },
        },
      },
      async (request) => {
        requireUserAdmin(request.principal);
        return roles.getUser(request.params.id);
      },
    );

    app.get(
      '/api/v1/users/:id/permissions',
      {
        schema: {
          'x-errors': [platformErrors.PERMISSION_DENIED, authErrors.USER_NOT_FOUND],
          ...users,
          params: S.IdParams,
          querystring: Type.Object({ check: Type.Optional(S.RoleCode) }),
          response: {
            200: Type.Object({
              roles: Type.Optional(Type.Array(Type.String())),
              permissions: Type.Optional(Type.Array(Type.String())),
              has_permission: Type.Optional(Type.Boolean()),
            }),
          },
        },
      },
      async (request) => {
        const p = request.principal;
        requireUser(p);
        if (p.userId !== request.params.id) requireUserAdmin(p);
        const result = await roles.userPermissions(request.params.id);
        const check = request.query.check;
        return check ? { has_permission: result.permissions.includes(check) } : result;
      },
    );

    /** Gives or takes one role: both answer the user's roles after the change. */
    const roleChange = (
      method: 'POST' | 'DELETE',
      errors: readonly ErrorFactory[],
      change: (actor: Principal, userId: string, code: string) => Promise<string[]>,
    ) =>
      app.route({
        method,
        url: '/api/v1/users/:id/roles/:code',
        schema: {
          'x-errors': [
            platformErrors.PERMISSION_DENIED,
            authErrors.USER_NOT_FOUND,
            ...errors,
            authErrors.PERMISSION_NOT_HELD,
            authErrors.USER_OUTRANKS_YOU,
            authErrors.SUBSCRIPTION_ROLE_REQUIRED,
          ],
          ...users,
          params: UserRoleParams,
          response: { 200: Type.Object({ roles: Type.Array(Type.String()) }) },
        },
        handler: async (request) => {
          requirePermission(request.principal, Permission.assignRole);
          return { roles: await change(request.principal, request.params.id, request.params.code) };
        },
      });
    roleChange('POST', [authErrors.ROLE_NOT_FOUND], (actor, id, code) => roles.assignRole(actor, id, code));
    roleChange('DELETE', [authErrors.ROLE_NOT_ASSIGNED, authErrors.LAST_ADMIN], (actor, id, code) =>
      roles.removeRole(actor, id, code),
    );

    app.get(
      '/api/v1/users/:id/sessions',
      {
        schema: {
          'x-errors': [platformErrors.PERMISSION_DENIED, authErrors.USER_NOT_FOUND],
          ...users,
          params: S.IdParams,
          response: { 200: Type.Array(S.Session) },
        },
      },
      async (request) => {
        requireUserAdmin(request.principal);
        await roles.getUser(request.params.id);
        const rows = await auth.listSessions(request.params.id);
        return rows.map((s) => ({ ...s, current: s.id === request.principal.sessionId }));
      },
    );

    app.delete(
      '/api/v1/users/:id/sessions',
      {
        schema: {
          'x-errors': [
            platformErrors.PERMISSION_DENIED,
            authErrors.USER_NOT_FOUND,
            authErrors.USER_OUTRANKS_YOU,
          ],
          ...users,
          params: S.IdParams,
          response: NoContent,
        },
      },
      async (request, reply) => {
        requireUserAdmin(request.principal);
        await roles.endUserSessions(request.principal, request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/api/v1/permissions',
      {
        schema: {
          'x-errors': [platformErrors.PERMISSION_DENIED],
          ...rolesTag,
          response: { 200: Type.Array(S.Permission) },
        },
      },
      async (request) => {
        requirePermission(request.principal, Permission.crudRole);
        return roles.listPermissions();
      },
    );

    app.get(
      '/api/v1/roles',
      {
        schema: {
          'x-errors': [platformErrors.PERMISSION_DENIED],
          ...rolesTag,
          response: { 200: Type.Array(S.Role) },
        },
      },
      async (request) => {
        requirePermission(request.principal, Permission.crudRole);
        return roles.listRoles();
      },
    );

    app.post(
      '/api/v1/roles',
      {
        schema: {
          'x-errors': [
            platformErrors.PERMISSION_DENIED,
            authErrors.ROLE_EXISTS,
            authErrors.PERMISSION_NOT_FOUND,
            authErrors.PERMISSION_NOT_HELD,
          ],
          ...rolesTag,
          body: S.Role,
          response: { 201: S.Role },
        },
      },
      async (request, reply) => {
        requirePermission(request.principal, Permission.crudRole);
        return reply.code(201).send(await roles.createRole(request.principal, request.body));
      },
    );

    app.get(
      '/api/v1/roles/:code',
      {
        schema: {
          'x-errors': [platformErrors.PERMISSION_DENIED, authErrors.ROLE_NOT_FOUND],
          ...rolesTag,
          params: RoleParams,
          response: { 200: S.Role },
        },
      },
      async (request) => {
        requirePermission(request.principal, Permission.crudRole);
        return roles.getRole(request.params.code);
      },
    );

    app.put(
      '/api/v1/roles/:code',
      {
        schema: {
          'x-errors': [
            platformErrors.PERMISSION_DENIED,
            authErrors.ROLE_NOT_FOUND,
            authErrors.ROLE_PROTECTED,
            authErrors.PERMISSION_NOT_FOUND,
            authErrors.PERMISSION_NOT_HELD,
          ],
          ...rolesTag,
          params: RoleParams,
          body: Type.Object(
            {
              description: Type.Optional(Type.String({ maxLength: 500 })),
              permissions: Type.Optional(Type.Array(S.RoleCode, { maxItems: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: S.Role },
        },
      },
      async (request) => {
        requirePermission(request.principal, Permission.crudRole);
        return roles.updateRole(request.principal, request.params.code, request.body);
      },
    );

    app.delete(
      '/api/v1/roles/:code',
      {
        schema: {
          'x-errors': [
            platformErrors.PERMISSION_DENIED,
            authErrors.ROLE_NOT_FOUND,
            authErrors.ROLE_PROTECTED,
            authErrors.PERMISSION_NOT_HELD,
          ],
          ...rolesTag,
          params: RoleParams,
          response: NoContent,
        },
      },
      async (request, reply) => {
        requirePermission(request.principal, Permission.crudRole);
        await roles.deleteRole(request.principal, request.params.code);
        return reply.code(204).send(null);
      },
    );
  };
}
