/**
 * Grants changes reach access tokens at once, over HTTP on a listening server: a role's new
 * permissions refuse its holders' older tokens (a refresh brings the new set), acting on a user
 * needs every permission that user holds, and SUB_USER / UNSUB_USER are exclusive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';

let kino: TestKino;
let base = '';
let n = 0;
const PASSWORD = 'correct horse battery staple';

interface Tokens {
  access_token: string;
  refresh_token: string;
}
interface Account extends Tokens {
  id: string;
  login: string;
}

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const permissionsOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { permissions: string[] })
    .permissions;

async function register(): Promise<Account> {
  const login = `role${++n}`;
  const res = await call('POST', '/api/v1/auth/register', undefined, {
    login,
    email: `${login}@example.com`,
    password: PASSWORD,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const b = res.body as unknown as Tokens & { user: { id: string } };
  return { access_token: b.access_token, refresh_token: b.refresh_token, id: b.user.id, login };
}

async function refreshed(a: Tokens): Promise<Tokens> {
  const res = await call('POST', '/api/v1/auth/refresh', undefined, { refresh_token: a.refresh_token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as unknown as Tokens;
}

let admin: Account;

beforeAll(async () => {
  kino = await createTestKino({ modules: ['auth'], env: { KINO_RATE_LIMIT: 'off' } });
  await kino.app.listen({ port: 0, host: '127.0.0.1' });
  const address = kino.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  await kino.kernel.services
    .require('auth')
    .ensureSuperuser({ login: 'boss', email: 'boss@example.com', password: PASSWORD });
  const res = await call('POST', '/api/v1/auth/login', undefined, { login: 'boss', password: PASSWORD });
  const me = await call('GET', '/api/v1/users/me', (res.body as unknown as Tokens).access_token);
  admin = { ...(res.body as unknown as Tokens), id: String(me.body.id), login: 'boss' };
});
afterAll(async () => {
  await kino?.close();
});

describe('grants changes reach access tokens at once', () => {
  it('PUT /roles/{code} refuses holders’ older tokens; a refresh carries the new permissions', async () => {
    const created = await call('POST', '/api/v1/roles', admin.access_token, {
      code: 'CURATOR',
      description: 'Curates',
      permissions: ['CRUD_FILMS', 'FREE_FILMS'],
    });
    expect(created.status).toBe(201);
    const holder = await register();
    const bystander = await register();
    expect((await call('POST', `/api/v1/users/${holder.id}/roles/CURATOR`, admin.access_token)).status).toBe(
      200,
    );
    let tokens = await refreshed(holder);
    expect(permissionsOf(tokens.access_token)).toContain('CRUD_FILMS');
    expect((await call('GET', '/api/v1/users/me', tokens.access_token)).status).toBe(200);

    const put = await call('PUT', '/api/v1/roles/CURATOR', admin.access_token, {
      permissions: ['FREE_FILMS'],
    });
    expect(put.status).toBe(200);
    const stale = await call('GET', '/api/v1/users/me', tokens.access_token);
    expect(stale.status).toBe(401);
    expect(stale.body.code).toBe('TOKEN_EXPIRED');
    tokens = await refreshed(tokens);
    expect(permissionsOf(tokens.access_token)).not.toContain('CRUD_FILMS');
    expect((await call('GET', '/api/v1/users/me', tokens.access_token)).status).toBe(200);
    // Users without the role, and a change of the description alone, keep their tokens.
    expect((await call('GET', '/api/v1/users/me', bystander.access_token)).status).toBe(200);
    expect(
      (await call('PUT', '/api/v1/roles/CURATOR', admin.access_token, { description: 'x' })).status,
    ).toBe(200);
    expect((await call('GET', '/api/v1/users/me', tokens.access_token)).status).toBe(200);
    // The administrator who changed the role does not hold it: the admin token stays valid.
    expect((await call('GET', '/api/v1/users/me', admin.access_token)).status).toBe(200);
  });

  it('assigning SUB_USER removes UNSUB_USER (and back), and the old token is refused at once', async () => {
    const viewer = await register();
    const sub = await call('POST', `/api/v1/users/${viewer.id}/roles/SUB_USER`, admin.access_token);
    expect(sub.body).toEqual({ roles: ['SUB_USER'] });
    const perms = await call('GET', `/api/v1/users/${viewer.id}/permissions`, admin.access_token);
    expect(perms.body).toEqual({ roles: ['SUB_USER'], permissions: ['FREE_FILMS', 'PAID_FILMS'] });
    const stale = await call('GET', '/api/v1/users/me', viewer.access_token);
    expect(stale.body.code).toBe('TOKEN_EXPIRED');
    const tokens = await refreshed(viewer);
    expect(permissionsOf(tokens.access_token)).toEqual(['FREE_FILMS', 'PAID_FILMS']);

    const unsub = await call('POST', `/api/v1/users/${viewer.id}/roles/UNSUB_USER`, admin.access_token);
    expect(unsub.body).toEqual({ roles: ['UNSUB_USER'] });
    expect((await call('GET', '/api/v1/users/me', tokens.access_token)).body.code).toBe('TOKEN_EXPIRED');
    const removeLast = await call(
      'DELETE',
      `/api/v1/users/${viewer.id}/roles/UNSUB_USER`,
      admin.access_token,
    );
    expect(removeLast.status).toBe(409);
    expect(removeLast.body.code).toBe('SUBSCRIPTION_ROLE_REQUIRED');
  });
});

describe('acting on a user needs every permission that user holds', () => {
  it('an ASSIGN_ROLE-only manager cannot end an ADMIN’s sessions or change their roles', async () => {
    expect(
      (
        await call('POST', '/api/v1/roles', admin.access_token, {
          code: 'SUPPORT',
          description: 'Support desk',
          permissions: ['ASSIGN_ROLE'],
        })
      ).status,
    ).toBe(201);
    const m = await register();
    await call('POST', `/api/v1/users/${m.id}/roles/SUPPORT`, admin.access_token);
    const manager = await refreshed(m);
    expect(permissionsOf(manager.access_token)).toEqual(['ASSIGN_ROLE', 'FREE_FILMS']);

    const end = await call('DELETE', `/api/v1/users/${admin.id}/sessions`, manager.access_token);
    expect(end.status).toBe(403);
    expect(end.body.code).toBe('USER_OUTRANKS_YOU');
    for (const [method, role] of [
      ['DELETE', 'ADMIN'],
      ['POST', 'SUPPORT'],
      ['DELETE', 'SUPPORT'],
    ] as const) {
      const res = await call(method, `/api/v1/users/${admin.id}/roles/${role}`, manager.access_token);
      expect(res.status, `${method} ${role}`).toBe(403);
    }
    expect((await call('GET', '/api/v1/users/me', admin.access_token)).status).toBe(200);

    // A plain viewer holds nothing the manager lacks: the manager may end their sessions.
    const viewer = await register();
    expect((await call('DELETE', `/api/v1/users/${viewer.id}/sessions`, manager.access_token)).status).toBe(
      204,
    );
    expect((await call('GET', '/api/v1/users/me', viewer.access_token)).body.code).toBe('TOKEN_REVOKED');
  });
});
