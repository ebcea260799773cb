/** Accounts on a real database: creating, the profile, an email change and its undo, verification. */
import { describe, expect, it } from 'vitest';
import { client, useAuthTestContext } from '../../../test/helpers/auth.js';
import { uniq } from '../../../test/helpers/engines.js';

const t = useAuthTestContext();

describe('account service', () => {
  it('creates an account with its roles and a registered event; a taken login or email is a conflict', async () => {
    const { user } = await t.newUser({ roles: ['SUB_USER'] });
    expect(await t.events('auth.user.registered', user.id)).toMatchObject([
      { userId: user.id, login: user.login },
    ]);
    const again = { passwordHash: null, emailVerified: true };
    await expect(
      t.auth.createUser({ ...again, login: user.login.toUpperCase(), email: `${uniq('x')}@example.com` }),
    ).rejects.toMatchObject({ code: 'LOGIN_TAKEN' });
    await expect(t.auth.createUser({ ...again, login: uniq('x'), email: user.email })).rejects.toMatchObject({
      code: 'EMAIL_TAKEN',
    });
  });

  it('changes names without proof, and a new email only with the current password', async () => {
    const { user, password } = await t.newUser();
    expect(await t.auth.updateMe(user.id, { first_name: 'Ada', last_name: null })).toMatchObject({
      first_name: 'Ada',
      last_name: null,
      email_verified: true,
    });
    const email = `${uniq('new')}@example.com`;
    await expect(t.auth.updateMe(user.id, { email })).rejects.toMatchObject({
      code: 'REAUTHENTICATION_REQUIRED',
    });
    await expect(
      t.auth.updateMe(user.id, { email, current_password: 'wrong-password' }),
    ).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(await t.auth.updateMe(user.id, { email, current_password: password })).toMatchObject({
      email,
      first_name: 'Ada',
      email_verified: false,
    });
    const [changed] = await t.events<{ oldEmail: string; newEmail: string }>('auth.email.changed', user.id);
    expect(changed).toMatchObject({ oldEmail: user.email, newEmail: email });
  });

  it('keeps a case-only change of the address proven', async () => {
    const { user } = await t.newUser();
    const upper = user.email.replace(/^./, (c) => c.toUpperCase());
    expect(await t.auth.updateMe(user.id, { email: upper })).toMatchObject({
      email: upper,
      email_verified: true,
    });
    expect(await t.events('auth.email.changed', user.id)).toEqual([]);
  });

  it('undoes an email change from the link to the previous address, ending every session', async () => {
    const { user, password } = await t.newUser();
    await t.auth.openSession(user, 'password', client);
    await t.auth.updateMe(user.id, { email: `${uniq('thief')}@example.com`, current_password: password });
    const [{ token }] = (await t.events<{ token: string }>('auth.email.changed', user.id)) as [
      { token: string },
    ];
    await t.auth.revertEmail(token);
    expect(await t.auth.me(user.id)).toMatchObject({ email: user.email, email_verified: true });
    expect(await t.auth.listSessions(user.id)).toEqual([]);
    await expect(t.auth.revertEmail(token)).rejects.toMatchObject({ code: 'REVERT_TOKEN_INVALID' });
  });

  it('proves the address from the verification link, only while the account holds it', async () => {
    const { user, password } = await t.newUser({ emailVerified: false });
    const [first] = await t.events<{ token: string }>('auth.email_verification.requested', user.id);
    await t.auth.verifyEmail(first!.token);
    expect(await t.auth.me(user.id)).toMatchObject({ email_verified: true });
    await expect(t.auth.verifyEmail(first!.token)).rejects.toMatchObject({
      code: 'VERIFICATION_TOKEN_INVALID',
    });

    await t.auth.updateMe(user.id, { email: `${uniq('next')}@example.com`, current_password: password });
    const links = await t.events<{ token: string }>('auth.email_verification.requested', user.id);
    await t.auth.updateMe(user.id, { email: `${uniq('third')}@example.com`, current_password: password });
    await expect(t.auth.verifyEmail(links.at(-1)!.token)).rejects.toMatchObject({
      code: 'VERIFICATION_TOKEN_INVALID',
    });
  });

  it('resends a verification link once a minute, however many requests arrive together', async () => {
    const { user } = await t.newUser({ emailVerified: false });
    const links = () => t.events('auth.email_verification.requested', user.id);
    expect(await links()).toHaveLength(1);
    t.auth.resendVerification(user.email);
    await t.auth.settle();
    expect(await links()).toHaveLength(1);

    t.clock.advance(61_000);
    for (let i = 0; i < 5; i++) t.auth.resendVerification(user.email);
    await t.auth.settle();
    expect(await links()).toHaveLength(2);
  });

  it('changes the login with the password', async () => {
    const { user, password } = await t.newUser();
    const login = uniq('renamed');
    await expect(t.auth.changeLogin(user.id, login, 'wrong-password')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(await t.auth.changeLogin(user.id, login, password)).toMatchObject({ login });
  });
});
