import { describe, expect, it } from 'vitest';
import { errors, generateKeyPair, SignJWT } from 'jose';
import { AppError } from './errors.js';
import { createJwtVerifier, type KeyResolver } from './tokens.js';

async function setup() {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const keys: KeyResolver = async (h) => {
    if (h.kid !== 'k1' || h.alg !== 'RS256') throw new errors.JWKSNoMatchingKey();
    return publicKey;
  };
  let now = new Date('2026-01-01T00:00:00Z');
  const revoked = new Set<string>();
  const verifier = createJwtVerifier({ keys, isRevoked: async (sid) => revoked.has(sid), now: () => now });
  const t0 = Math.floor(now.getTime() / 1000);
  const token = await new SignJWT({
    type: 'access',
    user_id: 'u1',
    session_id: 's1',
    username: 'ann',
    role_code: 'UNSUB_USER',
    roles: ['UNSUB_USER'],
    permissions: ['FREE_FILMS'],
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer('kinoservice')
    .setSubject('u1')
    .setJti('j1')
    .setIssuedAt(t0)
    .setNotBefore(t0)
    .setExpirationTime(t0 + 600)
    .sign(privateKey);
  return { verifier, token, revoked, advance: (s: number) => (now = new Date(now.getTime() + s * 1000)) };
}

const code = async (p: Promise<unknown>) => {
  const e = await p.catch((error: unknown) => error);
  return e instanceof AppError ? e.code : 'ACCEPTED';
};

describe('createJwtVerifier', () => {
  it('remembers a verified token but still honours expiry (with leeway) and revocation', async () => {
    const { verifier, token, advance } = await setup();
    expect(await verifier.verify(token)).toMatchObject({ userId: 'u1', sessionId: 's1', login: 'ann' });
    advance(603); // within the 5 s leeway
    expect(await code(verifier.verify(token))).toBe('ACCEPTED');
    advance(10);
    expect(await code(verifier.verify(token))).toBe('TOKEN_EXPIRED');
  });

  it('refuses a remembered token as soon as its session is revoked', async () => {
    const { verifier, token, revoked } = await setup();
    await verifier.verify(token);
    revoked.add('s1');
    expect(await code(verifier.verify(token))).toBe('TOKEN_REVOKED');
  });

  it('refuses a token used before nbf (beyond leeway)', async () => {
    const { verifier, token, advance } = await setup();
    advance(-30);
    expect(await code(verifier.verify(token))).toBe('TOKEN_INVALID');
  });
});
