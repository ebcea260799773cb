/** TOTP on a real database: setting up, enabling, each code used once, recovery codes, disabling. */
import { generate } from 'otplib';
import { beforeAll, describe, expect, it } from 'vitest';
import { useAuthTestContext } from '../../../test/helpers/auth.js';
import { createMfaService, type MfaService } from './mfa.service.js';
import { createPasswordService } from './password.service.js';
import { createAfterReply } from './after-reply.js';
import { createUserRepository } from './user.repository.js';
import { logger } from '../../../test/helpers/auth.js';

const t = useAuthTestContext();
let mfa: MfaService;

beforeAll(() => {
  const passwords = createPasswordService({
    sql: t.sql,
    clock: t.clock,
    hasher: t.hasher,
    afterReply: createAfterReply(logger),
    lockoutThreshold: 5,
    endSessions: t.auth.endSessions,
  });
  mfa = createMfaService({ sql: t.sql, clock: t.clock, sealer: t.sealer, passwords });
});

const codeAt = (secret: string, at: Date) => generate({ secret, epoch: Math.floor(at.getTime() / 1000) });
const load = async (id: string) => (await createUserRepository(t.sql).byId(id))!;

describe('MFA service', () => {
  it('turns TOTP on with a code from the secret, accepting each time step once', async () => {
    const { user } = await t.newUser();
    await expect(mfa.totpEnable(user.id, '123456')).rejects.toMatchObject({ code: 'MFA_NOT_SET_UP' });
    const { secret, otpauth_url } = await mfa.totpSetup(user.id);
    expect(otpauth_url).toContain(`secret=${secret}`);
    expect((await load(user.id)).totp_secret).not.toContain(secret);
    const code = await codeAt(secret, t.clock.now());
    const { recovery_codes } = await mfa.totpEnable(user.id, code);
    expect(recovery_codes).toHaveLength(10);
    for (const c of recovery_codes) expect(c).toMatch(/^[a-z0-9]{5}-[a-z0-9]{5}$/);
    const enabled = await load(user.id);
    expect(enabled.totp_enabled).toBe(true);
    expect(await mfa.verifyCode(enabled, code)).toBe(false);
    t.clock.advance(30_000);
    expect(await mfa.verifyCode(enabled, await codeAt(secret, t.clock.now()))).toBe(true);
    await expect(mfa.totpSetup(user.id)).rejects.toMatchObject({ code: 'MFA_ALREADY_ENABLED' });
  });

  it('accepts each recovery code once, in any case, and turns off with the password and a code', async () => {
    const { user, password } = await t.newUser();
    const { secret } = await mfa.totpSetup(user.id);
    const { recovery_codes } = await mfa.totpEnable(user.id, await codeAt(secret, t.clock.now()));
    const enabled = await load(user.id);
    expect(await mfa.verifyCode(enabled, ` ${recovery_codes[0]!.toUpperCase()} `)).toBe(true);
    expect(await mfa.verifyCode(enabled, recovery_codes[0]!)).toBe(false);
    await expect(mfa.totpDisable(user.id, password, 'wrong-code!')).rejects.toMatchObject({
      code: 'MFA_CODE_INVALID',
    });
    await expect(mfa.totpDisable(user.id, 'not-the-password', recovery_codes[1]!)).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await mfa.totpDisable(user.id, password, recovery_codes[1]!);
    const off = await load(user.id);
    expect(off).toMatchObject({ totp_enabled: false, totp_secret: null });
    expect(await mfa.verifyCode(off, recovery_codes[2]!)).toBe(false);
    await expect(mfa.totpDisable(user.id, password, recovery_codes[2]!)).rejects.toMatchObject({
      code: 'MFA_NOT_ENABLED',
    });
  });
});
