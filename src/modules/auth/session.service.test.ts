/** Sessions on a real database: opening, refresh rotation and reuse, logout scopes, history. */
import { describe, expect, it } from 'vitest';
import { claimsOf, client, useAuthTestContext } from '../../../test/helpers/auth.js';
import { REFRESH_GRACE_SECONDS } from './session.service.js';

const t = useAuthTestContext();

describe('session service', () => {
  it('opens a session whose access token carries the user, the session and the roles', async () => {
    const { user } = await t.newUser({ roles: ['SUB_USER'] });
    const pair = await t.auth.openSession(user, 'password', client);
    const claims = claimsOf(pair.access_token);
    expect(claims).toMatchObject({ sub: user.id, username: user.login, role_code: 'SUB_USER' });
    expect(claims.permissions).toEqual(['FREE_FILMS', 'PAID_FILMS']);
    const sessions = await t.auth.listSessions(user.id);
    expect(sessions.map((s) => s.id)).toEqual([claims.session_id]);
    expect(await t.auth.sessionStatus(String(claims.session_id))).toEqual({ state: 'live', grants: 0 });
  });

  it('rotates a refresh token; a parallel reuse is told apart from a replay, which ends the session', async () => {
    const { user } = await t.newUser();
    const first = await t.auth.openSession(user, 'password', client);
    const sessionId = String(claimsOf(first.access_token).session_id);
    const second = await t.auth.refresh(first.refresh_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(claimsOf(second.access_token).session_id).toBe(sessionId);
    await expect(t.auth.refresh(first.refresh_token)).rejects.toMatchObject({
      code: 'REFRESH_TOKEN_ROTATED',
    });

    t.clock.advance((REFRESH_GRACE_SECONDS + 1) * 1000);
    await expect(t.auth.refresh(first.refresh_token)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
    expect(await t.auth.listSessions(user.id)).toEqual([]);
    expect(await t.auth.sessionStatus(sessionId)).toEqual({ state: 'revoked' });
    await expect(t.auth.refresh(second.refresh_token)).rejects.toMatchObject({ code: 'SESSION_ENDED' });
    expect(await t.events('auth.session.revoked', user.id)).toEqual([
      { userId: user.id, sessionIds: [sessionId] },
    ]);
  });

  it('refuses a refresh token it never issued', async () => {
    await expect(t.auth.refresh('no-such-token')).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
  });

  it('logs out the current session, the others, or all', async () => {
    const { user } = await t.newUser();
    const open = async () =>
      String(claimsOf((await t.auth.openSession(user, 'password', client)).access_token).session_id);
    const [a, b, c] = [await open(), await open(), await open()];
    expect(await t.auth.logout(user.id, a, 'current')).toBe(1);
    expect((await t.auth.listSessions(user.id)).map((s) => s.id).sort()).toEqual([b, c].sort());
    expect(await t.auth.logout(user.id, b, 'others')).toBe(1);
    expect((await t.auth.listSessions(user.id)).map((s) => s.id)).toEqual([b]);
    expect(await t.auth.logout(user.id, b, 'all')).toBe(1);
    expect(await t.auth.listSessions(user.id)).toEqual([]);
  });

  it('ends one session of its owner only', async () => {
    const { user } = await t.newUser();
    const other = await t.newUser();
    const pair = await t.auth.openSession(user, 'password', client);
    const sessionId = String(claimsOf(pair.access_token).session_id);
    await expect(t.auth.endSession(other.user.id, sessionId)).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
    await t.auth.endSession(user.id, sessionId);
    await expect(t.auth.endSession(user.id, sessionId)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('records logins in the history, newest first, with a total', async () => {
    const { user } = await t.newUser();
    await t.auth.recordLogin(user.id, client, false, 'password', 'INVALID_CREDENTIALS');
    t.clock.advance(1000);
    await t.auth.recordLogin(user.id, client, true, 'password', null);
    const page = await t.auth.history(user.id, 1, 1);
    expect(page.total).toBe(2);
    expect(page.rows).toMatchObject([{ success: true, method: 'password', ip: client.ip }]);
  });
});
