/** Passwords on a real database: the lockout, changing a password, and reset links. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, useAuthTestContext, logger } from '../../../test/helpers/auth.js';
import { createAfterReply } from './after-reply.js';
import { createPasswordService, type PasswordService } from './password.service.js';
import { createUserRepository } from './user.repository.js';

const t = useAuthTestContext();
let passwords: PasswordService;
const afterReply = createAfterReply(logger);
const THRESHOLD = 3;

beforeAll(() => {
  passwords = createPasswordService({
    sql: t.sql,
    clock: t.clock,
    hasher: t.hasher,
    afterReply,
    lockoutThreshold: THRESHOLD,
    endSessions: t.auth.endSessions,
  });
});
afterAll(() => afterReply.settle());

const resetTokens = async (userId: string) =>
  (await t.events<{ token: string }>('auth.password_reset.requested', userId)).map((e) => e.token);

describe('password service', () => {
  it('locks an account after the threshold of wrong passwords, even for the right one, until the back-off ends', async () => {
    const { user, password } = await t.newUser();
    for (let i = 0; i < THRESHOLD; i++)
      await expect(passwords.verify(user, 'wrong-password', user.login)).rejects.toMatchObject({
        code: 'INVALID_CREDENTIALS',
      });
    const locked = await passwords.verify(user, password, user.login).catch((e: unknown) => e);
    expect(locked).toMatchObject({ code: 'ACCOUNT_LOCKED', headers: { 'retry-after': '30' } });
    t.clock.advance(31_000);
    expect((await passwords.verify(user, password, user.login)).id).toBe(user.id);
    expect((await createUserRepository(t.sql).byId(user.id))?.failed_logins).toBe(0);
  });

  it('locks a name that matches no account the same way', async () => {
    const name = `nobody-${Date.now()}`;
    for (let i = 0; i < THRESHOLD; i++)
      await expect(passwords.verify(undefined, 'whatever-pass', name)).rejects.toMatchObject({
        code: 'INVALID_CREDENTIALS',
      });
    await expect(passwords.verify(undefined, 'whatever-pass', name.toUpperCase())).rejects.toMatchObject({
      code: 'ACCOUNT_LOCKED',
    });
  });

  it('changes a password: the old one stops working, other sessions end, reset links die', async () => {
    const { user, password } = await t.newUser();
    await t.auth.openSession(user, 'password', client);
    await t.auth.openSession(user, 'password', client);
    const [current] = await t.auth.listSessions(user.id);
    passwords.forgotPassword(user.email);
    await afterReply.settle();
    const [link] = await resetTokens(user.id);
    await passwords.changePassword(user.id, current!.id, password, 'a-brand-new-passphrase');
    expect((await t.auth.listSessions(user.id)).map((s) => s.id)).toEqual([current!.id]);
    const fresh = (await createUserRepository(t.sql).byId(user.id))!;
    await expect(passwords.verify(fresh, password, user.login)).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await expect(passwords.resetPassword(link!, 'another-new-passphrase')).rejects.toMatchObject({
      code: 'RESET_TOKEN_INVALID',
    });
  });

  it('mails a reset link to a proven address only, once a minute, and the link works once', async () => {
    const unproven = await t.newUser({ emailVerified: false });
    passwords.forgotPassword(unproven.user.email);
    const { user } = await t.newUser();
    // Requests that arrive together (a burst, two replicas) still send one mail.
    for (let i = 0; i < 5; i++) passwords.forgotPassword(user.email);
    await afterReply.settle();
    expect(await resetTokens(unproven.user.id)).toEqual([]);
    const links = await resetTokens(user.id);
    expect(links).toHaveLength(1);

    await passwords.resetPassword(links[0]!, 'reset-to-this-passphrase');
    const fresh = (await createUserRepository(t.sql).byId(user.id))!;
    expect((await passwords.verify(fresh, 'reset-to-this-passphrase', user.login)).id).toBe(user.id);
    await expect(passwords.resetPassword(links[0]!, 'and-again-passphrase')).rejects.toMatchObject({
      code: 'RESET_TOKEN_INVALID',
    });

    t.clock.advance(61_000);
    passwords.forgotPassword(user.email);
    await afterReply.settle();
    expect(await resetTokens(user.id)).toHaveLength(2);
  });

  it('forgets unknown names idle for a day', async () => {
    const name = `idle-${Date.now()}`;
    await passwords.verify(undefined, 'whatever-pass', name).catch(() => undefined);
    t.clock.advance(25 * 3600 * 1000);
    expect(await passwords.pruneThrottle()).toBeGreaterThanOrEqual(1);
  });
});
