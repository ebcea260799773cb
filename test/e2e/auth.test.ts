import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import { createTestKino, type TestKino } from '../helpers/kino.js';

let kino: TestKino;
let n = 0;
const PASSWORD = 'correct horse battery staple';

interface Tokens {
  access_token: string;
  refresh_token: string;
}

async function register(login = `user${++n}`, password = PASSWORD) {
  const res = await kino.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { login, email: `${login}@example.com`, password, first_name: 'Ann' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Tokens & { user: { id: string; login: string } }>();
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const me = (t: string) => kino.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(t) });
const login = (l: string, password = PASSWORD, ip = '10.0.0.1') =>
  kino.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: l, password },
    remoteAddress: ip,
  });
async function verifyFromOutbox(userId: string) {
  const [ev] = await kino.kernel.engines.sql.query<{ payload: { token: string } }>(
    `SELECT payload FROM platform.outbox WHERE type = 'auth.email_verification.requested' AND key = $1`,
    [userId],
  );
  const res = await kino.app.inject({
    method: 'POST',
    url: '/api/v1/auth/verify-email',
    payload: { token: ev!.payload.token },
  });
  expect(res.statusCode, res.body).toBe(200);
}
const refresh = (token: string) =>
  kino.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } });

beforeAll(async () => {
  kino = await createTestKino({ modules: ['auth'], env: { KINO_RATE_LIMIT: 'off' } });
});
afterAll(async () => {
  await kino?.close();
});

describe('register and login', () => {
  it('registers with UNSUB_USER, returns a working token pair and emits events', async () => {
    const body = await register('alice');
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { login: 'alice' } });
    const res = await me(body.access_token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ login: 'alice', email: 'alice@example.com', email_verified: false });
    const perms = await kino.app.inject({
      method: 'GET',
      url: `/api/v1/users/${body.user.id}/permissions`,
      headers: bearer(body.access_token),
    });
    expect(perms.json()).toEqual({ roles: ['UNSUB_USER'], permissions: ['FREE_FILMS'] });
    const events = await kino.kernel.engines.sql.query<{ type: string }>(
      `SELECT type FROM platform.outbox WHERE key = $1 ORDER BY seq`,
      [body.user.id],
    );
    expect(events.map((e) => e.type)).toEqual(['auth.user.registered', 'auth.email_verification.requested']);
  });

  it('refuses duplicates, short, long and common passwords with stable codes', async () => {
    await register('carol');
    const dup = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { login: 'CAROL', email: 'other@example.com', password: PASSWORD },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json<{ code: string }>().code).toBe('LOGIN_TAKEN');
    const cases: [string, string][] = [
      ['short12', 'PASSWORD_TOO_SHORT'],
      ['x'.repeat(129), 'PASSWORD_TOO_LONG'],
      ['password1', 'PASSWORD_TOO_COMMON'],
      ['qwertyuiop', 'PASSWORD_TOO_COMMON'],
    ];
    for (const [password, code] of cases) {
      const res = await kino.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { login: `weak${++n}`, email: `weak${n}@example.com`, password },
      });
      expect(res.statusCode, password).toBe(400);
      expect(res.json<{ code: string }>().code).toBe(code);
    }
    // 8 characters of any kind are enough (no composition rules), 128 is the limit.
    await register(`ok${++n}`, 'ёжик в тумане');
    await register(`ok${++n}`, 'y'.repeat(120) + 'zZ9!_abc');
  });

  it('logs in by login or email; unknown user and wrong password look the same', async () => {
    await register('bob');
    expect((await login('bob')).statusCode).toBe(200);
    expect((await login('BOB@example.com')).statusCode).toBe(200);
    const wrong = await login('bob', 'wrong password here');
    const unknown = await login('nobody-here', 'wrong password here');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (b: string) => ({ ...(JSON.parse(b) as Record<string, unknown>), instance: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(wrong.json<{ code: string }>().code).toBe('INVALID_CREDENTIALS');
  });

  it('records login history newest first with X-Total-Count', async () => {
    const { access_token } = await register('hist');
    await login('hist', 'bad password 1');
    await login('hist');
    const res = await kino.app.inject({
      method: 'GET',
      url: '/api/v1/auth/history?page_size=2',
      headers: bearer(access_token),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-total-count']).toBe('3');
    const rows = res.json<{ success: boolean; method: string }[]>();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ success: true, method: 'password' });
    expect(rows[1]).toMatchObject({ success: false, method: 'password' });
    const parts = await kino.kernel.engines.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'auth.login_history'::regclass`,
    );
    expect(parts[0]!.n).toBeGreaterThanOrEqual(4);
  });
});

describe('lockout', () => {
  it('20 parallel wrong passwords never exceed the budget, then 429 with Retry-After', async () => {
    await register('locky');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login('locky', `wrong password ${i}`, `10.1.0.${i}`)),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 401)).toHaveLength(5);
    expect(codes.filter((c) => c === 429)).toHaveLength(15);
    const locked = results.find((r) => r.statusCode === 429)!;
    expect(locked.json<{ code: string }>().code).toBe('ACCOUNT_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // Even the right password waits for the lock to pass.
    expect((await login('locky')).statusCode).toBe(429);
    const [row] = await kino.kernel.engines.sql.query<{ failed_logins: number }>(
      `SELECT failed_logins FROM auth.users WHERE login = 'locky'`,
    );
    expect(row!.failed_logins).toBe(5);
  });

  it('unknown logins lock the same way (no enumeration through lockout)', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await login('ghost-user', 'some password x')).statusCode);
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });
});

describe('refresh rotation', () => {
  it('rotates; reusing an old token after the grace window ends the session', async () => {
    const first = await register();
    const second = (await refresh(first.refresh_token)).json<Tokens>();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const third = await refresh(second.refresh_token);
    expect(third.statusCode).toBe(200);
    // first is two generations old: reuse → session revoked.
    const reuse = await refresh(first.refresh_token);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json<{ code: string }>().code).toBe('REFRESH_TOKEN_REUSED');
    expect((await refresh(third.json<Tokens>().refresh_token)).json<{ code: string }>().code).toBe(
      'SESSION_ENDED',
    );
    expect((await me(third.json<Tokens>().access_token)).json<{ code: string }>().code).toBe('TOKEN_REVOKED');
  });

  it('20 parallel refreshes with one token: one winner, the user stays logged in', async () => {
    const t = await register();
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(t.refresh_token)));
    const winners = results.filter((r) => r.statusCode === 200);
    expect(winners).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 200)) {
      expect(r.statusCode).toBe(409);
      expect(r.json<{ code: string }>().code).toBe('REFRESH_TOKEN_ROTATED');
    }
    const next = winners[0]!.json<Tokens>();
    expect((await me(next.access_token)).statusCode).toBe(200);
    expect((await refresh(next.refresh_token)).statusCode).toBe(200);
  });

  it('refuses an unknown refresh token', async () => {
    const res = await refresh('not-a-token');
    expect(res.statusCode).toBe(401);
    expect(res.json<{ code: string }>().code).toBe('REFRESH_TOKEN_INVALID');
  });
});

describe('sessions and logout', () => {
  it('logout revokes the access token at once; logout-others keeps the current one', async () => {
    const a = await register('sess');
    const b = (await login('sess')).json<Tokens>();
    const c = (await login('sess')).json<Tokens>();
    const list = await kino.app.inject({
      method: 'GET',
      url: '/api/v1/auth/sessions',
      headers: bearer(a.access_token),
    });
    expect(list.json<unknown[]>()).toHaveLength(3);
    expect(list.json<{ current: boolean }[]>().filter((s) => s.current)).toHaveLength(1);

    const out = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: bearer(b.access_token),
    });
    expect(out.statusCode).toBe(204);
    const after = await me(b.access_token);
    expect(after.statusCode).toBe(401);
    expect(after.json<{ code: string }>().code).toBe('TOKEN_REVOKED');
    expect((await refresh(b.refresh_token)).statusCode).toBe(401);

    await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout-others',
      headers: bearer(a.access_token),
    });
    expect((await me(a.access_token)).statusCode).toBe(200);
    expect((await me(c.access_token)).statusCode).toBe(401);

    const d = (await login('sess')).json<Tokens>();
    const mine = await kino.app.inject({
      method: 'GET',
      url: '/api/v1/auth/sessions',
      headers: bearer(a.access_token),
    });
    const other = mine.json<{ id: string; current: boolean }[]>().find((s) => !s.current)!;
    const del = await kino.app.inject({
      method: 'DELETE',
      url: `/api/v1/auth/sessions/${other.id}`,
      headers: bearer(a.access_token),
    });
    expect(del.statusCode).toBe(204);
    expect((await me(d.access_token)).statusCode).toBe(401);
    await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout-all',
      headers: bearer(a.access_token),
    });
    expect((await me(a.access_token)).statusCode).toBe(401);
  });
});

describe('profile and passwords', () => {
  it('updates the profile, changes login and password (ending other sessions)', async () => {
    const a = await register('prof');
    const other = (await login('prof')).json<Tokens>();
    const patch = await kino.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: bearer(a.access_token),
      payload: { first_name: 'Prof', last_name: null },
    });
    expect(patch.json()).toMatchObject({ first_name: 'Prof', last_name: null });
    const renamed = await kino.app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/login',
      headers: bearer(a.access_token),
      payload: { login: 'prof2', password: PASSWORD },
    });
    expect(renamed.json()).toMatchObject({ login: 'prof2' });
    const badOld = await kino.app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: bearer(a.access_token),
      payload: { old_password: 'not the password', new_password: 'a brand new secret' },
    });
    expect(badOld.statusCode).toBe(401);
    const changed = await kino.app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: bearer(a.access_token),
      payload: { old_password: PASSWORD, new_password: 'a brand new secret' },
    });
    expect(changed.statusCode).toBe(204);
    expect((await me(a.access_token)).statusCode).toBe(200);
    expect((await me(other.access_token)).statusCode).toBe(401);
    expect((await login('prof2', 'a brand new secret')).statusCode).toBe(200);
  });

  it('forgot → reset with the token from the event; forgot is 202 for unknown emails too', async () => {
    const a = await register('forg');
    await verifyFromOutbox(a.user.id);
    const unknown = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/forgot',
      payload: { email: 'nobody@example.com' },
    });
    const known = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/forgot',
      payload: { email: 'forg@example.com' },
    });
    expect(unknown.statusCode).toBe(202);
    expect(known.statusCode).toBe(202);
    expect(known.body).toBe(unknown.body);
    await kino.kernel.services.require('auth').auth.settle();
    const [ev] = await kino.kernel.engines.sql.query<{ payload: { token: string } }>(
      `SELECT payload FROM platform.outbox WHERE type = 'auth.password_reset.requested' AND key = $1`,
      [a.user.id],
    );
    const token = ev!.payload.token;
    const [stored] = await kino.kernel.engines.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM auth.one_time_tokens WHERE hash = $1`,
      [token],
    );
    expect(stored!.n).toBe(0); // only the hash is stored
    const weak = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/reset',
      payload: { token, new_password: 'password' },
    });
    expect(weak.json<{ code: string }>().code).toBe('PASSWORD_TOO_COMMON');
    const ok = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/reset',
      payload: { token, new_password: 'reset to something new' },
    });
    expect(ok.statusCode).toBe(204);
    expect((await me(a.access_token)).statusCode).toBe(401);
    const again = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/reset',
      payload: { token, new_password: 'reset to something else' },
    });
    expect(again.json<{ code: string }>().code).toBe('RESET_TOKEN_INVALID');
    expect((await login('forg', 'reset to something new')).statusCode).toBe(200);
  });

  it('verifies the email with the token from the event, once', async () => {
    const a = await register('veri');
    const [ev] = await kino.kernel.engines.sql.query<{ payload: { token: string } }>(
      `SELECT payload FROM platform.outbox WHERE type = 'auth.email_verification.requested' AND key = $1`,
      [a.user.id],
    );
    const verify = () =>
      kino.app.inject({
        method: 'POST',
        url: '/api/v1/auth/verify-email',
        payload: { token: ev!.payload.token },
      });
    expect((await verify()).statusCode).toBe(200);
    expect((await me(a.access_token)).json()).toMatchObject({ email_verified: true });
    expect((await verify()).json<{ code: string }>().code).toBe('VERIFICATION_TOKEN_INVALID');
  });
});

describe('TOTP', () => {
  it('setup, enable, login with MFA; a code works once; recovery codes are single use', async () => {
    const a = await register('totp');
    const setup = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/totp/setup',
      headers: bearer(a.access_token),
    });
    const { secret, otpauth_url } = setup.json<{ secret: string; otpauth_url: string }>();
    expect(otpauth_url).toMatch(/^otpauth:\/\/totp\//);
    const code = await generate({ secret });
    const enable = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/totp/enable',
      headers: bearer(a.access_token),
      payload: { code },
    });
    expect(enable.statusCode, enable.body).toBe(200);
    const recovery = enable.json<{ recovery_codes: string[] }>().recovery_codes;
    expect(recovery).toHaveLength(10);

    const step1 = (await login('totp')).json<{ mfa_required: boolean; mfa_token: string }>();
    expect(step1.mfa_required).toBe(true);
    // The code used to enable TOTP was consumed: replay refused.
    const replay = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login/mfa',
      payload: { mfa_token: step1.mfa_token, code },
    });
    expect(replay.statusCode).toBe(401);
    expect(replay.json<{ code: string }>().code).toBe('MFA_CODE_INVALID');
    const viaRecovery = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login/mfa',
      payload: { mfa_token: step1.mfa_token, code: recovery[0] },
    });
    expect(viaRecovery.statusCode).toBe(200);
    expect((await me(viaRecovery.json<Tokens>().access_token)).statusCode).toBe(200);
    // The MFA step token is single use too.
    const reuseStep = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login/mfa',
      payload: { mfa_token: step1.mfa_token, code: recovery[1] },
    });
    expect(reuseStep.json<{ code: string }>().code).toBe('MFA_TOKEN_INVALID');
    const step2 = (await login('totp')).json<{ mfa_token: string }>();
    const recoveryReuse = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login/mfa',
      payload: { mfa_token: step2.mfa_token, code: recovery[0] },
    });
    expect(recoveryReuse.json<{ code: string }>().code).toBe('MFA_CODE_INVALID');
    const disable = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/totp/disable',
      headers: bearer(a.access_token),
      payload: { password: PASSWORD, code: recovery[2] },
    });
    expect(disable.statusCode).toBe(204);
    expect((await login('totp')).json()).toHaveProperty('access_token');
  });
});

describe('administration', () => {
  let admin: Tokens & { user: { id: string } };
  beforeAll(async () => {
    const service = kino.kernel.services.require('auth');
    expect(
      await service.ensureSuperuser({ login: 'root', email: 'root@example.com', password: PASSWORD }),
    ).toBe('created');
    expect(
      await service.ensureSuperuser({ login: 'root', email: 'root@example.com', password: PASSWORD }),
    ).toBe('unchanged');
    const tokens = (await login('root')).json<Tokens>();
    const meRes = await me(tokens.access_token);
    admin = { ...tokens, user: { id: meRes.json<{ id: string }>().id } };
  });

  it('lists and searches users with paging and X-Total-Count; non-admins get 403', async () => {
    await register('findable');
    const res = await kino.app.inject({
      method: 'GET',
      url: '/api/v1/users?query=findab&page_size=10',
      headers: bearer(admin.access_token),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-total-count']).toBe('1');
    expect(res.json<{ login: string }[]>()[0]!.login).toBe('findable');
    const user = await register();
    const forbidden = await kino.app.inject({
      method: 'GET',
      url: '/api/v1/users',
      headers: bearer(user.access_token),
    });
    expect(forbidden.statusCode).toBe(403);
    const anon = await kino.app.inject({ method: 'GET', url: '/api/v1/users' });
    expect(anon.statusCode).toBe(401);
  });

  it('assigns and removes roles; permission check; removal ends the sessions', async () => {
    const u = await register();
    const assign = await kino.app.inject({
      method: 'POST',
      url: `/api/v1/users/${u.user.id}/roles/SUB_USER`,
      headers: bearer(admin.access_token),
    });
    expect(assign.json()).toEqual({ roles: ['SUB_USER'] });
    const check = await kino.app.inject({
      method: 'GET',
      url: `/api/v1/users/${u.user.id}/permissions?check=PAID_FILMS`,
      headers: bearer(admin.access_token),
    });
    expect(check.json()).toEqual({ has_permission: true });
    const fresh = (await refresh(u.refresh_token)).json<Tokens>();
    const remove = await kino.app.inject({
      method: 'DELETE',
      url: `/api/v1/users/${u.user.id}/roles/SUB_USER`,
      headers: bearer(admin.access_token),
    });
    expect(remove.json()).toEqual({ roles: ['UNSUB_USER'] });
    expect((await me(fresh.access_token)).statusCode).toBe(401);
    const getUser = await kino.app.inject({
      method: 'GET',
      url: `/api/v1/users/${u.user.id}`,
      headers: bearer(admin.access_token),
    });
    expect(getUser.json()).toMatchObject({ id: u.user.id, roles: ['UNSUB_USER'] });
  });

  it('the last ADMIN cannot lose the role; nobody grants what they do not hold', async () => {
    const last = await kino.app.inject({
      method: 'DELETE',
      url: `/api/v1/users/${admin.user.id}/roles/ADMIN`,
      headers: bearer(admin.access_token),
    });
    expect(last.statusCode).toBe(409);
    expect(last.json<{ code: string }>().code).toBe('LAST_ADMIN');

    // A role manager with ASSIGN_ROLE only cannot hand out ADMIN or create roles above itself.
    const create = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/roles',
      headers: bearer(admin.access_token),
      payload: {
        code: 'ROLE_MANAGER',
        description: 'Assigns roles',
        permissions: ['ASSIGN_ROLE', 'FREE_FILMS'],
      },
    });
    expect(create.statusCode, create.body).toBe(201);
    const m = await register();
    await kino.app.inject({
      method: 'POST',
      url: `/api/v1/users/${m.user.id}/roles/ROLE_MANAGER`,
      headers: bearer(admin.access_token),
    });
    const manager = (await refresh(m.refresh_token)).json<Tokens>();
    const victim = await register();
    const escalate = await kino.app.inject({
      method: 'POST',
      url: `/api/v1/users/${victim.user.id}/roles/ADMIN`,
      headers: bearer(manager.access_token),
    });
    expect(escalate.statusCode).toBe(403);
    expect(escalate.json<{ code: string }>().code).toBe('PERMISSION_NOT_HELD');
    const self = await kino.app.inject({
      method: 'POST',
      url: `/api/v1/users/${m.user.id}/roles/SUB_USER`,
      headers: bearer(manager.access_token),
    });
    expect(self.statusCode).toBe(403);
    const sessions = await kino.app.inject({
      method: 'GET',
      url: `/api/v1/users/${victim.user.id}/sessions`,
      headers: bearer(manager.access_token),
    });
    expect(sessions.json<unknown[]>()).toHaveLength(1);
    const endAll = await kino.app.inject({
      method: 'DELETE',
      url: `/api/v1/users/${victim.user.id}/sessions`,
      headers: bearer(manager.access_token),
    });
    expect(endAll.statusCode).toBe(204);
    expect((await me(victim.access_token)).statusCode).toBe(401);
  });

  it('roles CRUD and permissions need CRUD_ROLE; built-in roles are protected', async () => {
    const h = bearer(admin.access_token);
    const perms = await kino.app.inject({ method: 'GET', url: '/api/v1/permissions', headers: h });
    expect(perms.json<{ code: string }[]>().map((p) => p.code)).toEqual([
      'ASSIGN_ROLE',
      'CRUD_FILMS',
      'CRUD_ROLE',
      'FREE_FILMS',
      'PAID_FILMS',
    ]);
    const roles = await kino.app.inject({ method: 'GET', url: '/api/v1/roles', headers: h });
    expect(roles.json()).toContainEqual({
      code: 'ADMIN',
      description: 'Administrator',
      permissions: ['ASSIGN_ROLE', 'CRUD_FILMS', 'CRUD_ROLE', 'FREE_FILMS', 'PAID_FILMS'],
    });
    await kino.app.inject({
      method: 'POST',
      url: '/api/v1/roles',
      headers: h,
      payload: { code: 'EDITOR', description: 'Edits', permissions: ['CRUD_FILMS'] },
    });
    const dup = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/roles',
      headers: h,
      payload: { code: 'EDITOR', description: 'Edits', permissions: [] },
    });
    expect(dup.json<{ code: string }>().code).toBe('ROLE_EXISTS');
    const unknownPerm = await kino.app.inject({
      method: 'PUT',
      url: '/api/v1/roles/EDITOR',
      headers: h,
      payload: { permissions: ['NOPE'] },
    });
    expect(unknownPerm.statusCode).toBe(403); // the admin does not hold NOPE either
    const put = await kino.app.inject({
      method: 'PUT',
      url: '/api/v1/roles/EDITOR',
      headers: h,
      payload: { description: 'Catalogue editors', permissions: ['CRUD_FILMS', 'FREE_FILMS'] },
    });
    expect(put.json()).toEqual({
      code: 'EDITOR',
      description: 'Catalogue editors',
      permissions: ['CRUD_FILMS', 'FREE_FILMS'],
    });
    expect(
      (await kino.app.inject({ method: 'GET', url: '/api/v1/roles/EDITOR', headers: h })).statusCode,
    ).toBe(200);
    expect(
      (await kino.app.inject({ method: 'DELETE', url: '/api/v1/roles/EDITOR', headers: h })).statusCode,
    ).toBe(204);
    expect(
      (await kino.app.inject({ method: 'GET', url: '/api/v1/roles/EDITOR', headers: h })).statusCode,
    ).toBe(404);
    const builtIn = await kino.app.inject({ method: 'DELETE', url: '/api/v1/roles/UNSUB_USER', headers: h });
    expect(builtIn.json<{ code: string }>().code).toBe('ROLE_PROTECTED');
    const user = await register();
    expect(
      (await kino.app.inject({ method: 'GET', url: '/api/v1/roles', headers: bearer(user.access_token) }))
        .statusCode,
    ).toBe(403);
  });
});

describe('JWKS', () => {
  it('publishes public keys only, with kid and alg', async () => {
    const res = await kino.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    const { keys } = res.json<{ keys: Record<string, string>[] }>();
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const k of keys) {
      expect(k).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      expect(k.kid).toBeTruthy();
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k).not.toHaveProperty(secret);
    }
  });
});
