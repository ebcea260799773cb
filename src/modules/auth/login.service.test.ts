/** Registration and login on a real database, with the second-factor step. */
import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { claimsOf, client, useAuthTestContext } from '../../../test/helpers/auth.js';
import { uniq } from '../../../test/helpers/engines.js';

const t = useAuthTestContext();

describe('login service', () => {
  it('registers an unsubscribed account with a first session and a verification mail', async () => {
    const login = uniq('reg');
    const { user, tokens } = await t.auth.register(
      { login, email: `${login}@example.com`, password: 'a-long-enough-passphrase' },
      client,
    );
    expect(user).toMatchObject({ login, email: `${login}@example.com`, email_verified: false });
    expect(claimsOf(tokens.access_token)).toMatchObject({ sub: user.id, role_code: 'UNSUB_USER' });
    expect(await t.events('auth.email_verification.requested', user.id)).toHaveLength(1);
    expect((await t.auth.history(user.id, 1, 10)).rows).toMatchObject([{ method: 'register' }]);
  });

  it('logs in by login or email; a wrong password is recorded in the history', async () => {
    const { user, password } = await t.newUser();
    await expect(
      t.auth.login({ login: user.login, password: 'wrong-password' }, client),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    t.clock.advance(1000);
    const pair = await t.auth.login({ login: user.email.toUpperCase(), password }, client);
    expect('access_token' in pair && claimsOf(pair.access_token).sub).toBe(user.id);
    const { rows } = await t.auth.history(user.id, 1, 10);
    expect(rows.map((r) => r.success)).toEqual([true, false]);
  });

  it('asks for a code when TOTP is on, and opens the session once the code is right', async () => {
    const { user, password } = await t.newUser();
    const { secret } = await t.auth.totpSetup(user.id);
    const code = () => generate({ secret, epoch: Math.floor(t.clock.now().getTime() / 1000) });
    await t.auth.totpEnable(user.id, await code());
    t.clock.advance(30_000);
    const step = await t.auth.login({ login: user.login, password }, client);
    if (!('mfa_token' in step)) throw new Error('no MFA step');
    await expect(
      t.auth.loginMfa({ mfa_token: step.mfa_token, code: '000000' }, client),
    ).rejects.toMatchObject({
      code: 'MFA_CODE_INVALID',
    });
    const pair = await t.auth.loginMfa({ mfa_token: step.mfa_token, code: await code() }, client);
    expect(claimsOf(pair.access_token).sub).toBe(user.id);
    await expect(
      t.auth.loginMfa({ mfa_token: step.mfa_token, code: await code() }, client),
    ).rejects.toMatchObject({ code: 'MFA_TOKEN_INVALID' });
  });
});
