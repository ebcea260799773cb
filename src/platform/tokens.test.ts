import { describe, expect, it } from 'vitest';
import { errors, generateKeyPair, SignJWT } from 'jose';
import { AppError } from './errors.js';
import { createJwtVerifier, type KeyResolver, type SessionStatus } from './tokens.js';

async function setup(shape: { aud?: string | null; lifetime?: number; grants?: number; kid?: string } = {}) {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const keys: KeyResolver = async (h) => {
    if (h.kid !== 'k1' || h.alg !== 'RS256') throw new errors.JWKSNoMatchingKey();
    return publicKey;
  };
  let now = new Date('2026-01-01T00:00:00Z');
  const revoked = new Set<string>();
  const registry: { status: SessionStatus | null } = { status: null };
  const verifier = createJwtVerifier({
    keys,
    session: async (sid) =>
      registry.status ?? (revoked.has(sid) ? { state: 'revoked' } : { state: 'live', grants: 0 }),
    maxLifetimeSeconds: 600,
    now: () => now,
  });
  const t0 = Math.floor(now.getTime() / 1000);
  const token = await new SignJWT({
    type: 'access',
    user_id: 'u1',
    session_id: 's1',
    username: 'ann',
    role_code: 'UNSUB_USER',
    roles: ['UNSUB_USER'],
    permissions: ['FREE_FILMS'],
    grants_version: shape.grants ?? 0,
  })
    .setProtectedHeader({ alg: 'RS256', kid: shape.kid ?? 'k1' })
    .setIssuer('kinoservice')
    .setAudience(shape.aud === undefined ? 'kinoservice:api' : (shape.aud ?? []))
    .setSubject('u1')
    .setJti('j1')
    .setIssuedAt(t0)
    .setNotBefore(t0)
    .setExpirationTime(t0 + (shape.lifetime ?? 600))
    .sign(privateKey);
  return {
    verifier,
    token,
    revoked,
    registry,
    advance: (s: number) => (now = new Date(now.getTime() + s * 1000)),
  };
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

  it('refuses a token without the API audience or with another one', async () => {
    const none = await setup({ aud: null });
    expect(await code(none.verifier.verify(none.token))).toBe('TOKEN_INVALID');
    const other = await setup({ aud: 'another-api' });
    expect(await code(other.verifier.verify(other.token))).toBe('TOKEN_INVALID');
  });

  it('refuses a lifetime longer than the access TTL, within the leeway', async () => {
    const long = await setup({ lifetime: 10 * 365 * 86400 });
    expect(await code(long.verifier.verify(long.token))).toBe('TOKEN_INVALID');
    const edge = await setup({ lifetime: 604 });
    expect(await code(edge.verifier.verify(edge.token))).toBe('ACCEPTED');
  });

  it('answers the session registry: unknown and revoked refused, older grants expired, unavailable judged on the signature', async () => {
    const { verifier, token, registry } = await setup({ grants: 2 });
    registry.status = { state: 'unknown' };
    expect(await code(verifier.verify(token))).toBe('TOKEN_REVOKED');
    registry.status = { state: 'live', grants: 3 };
    expect(await code(verifier.verify(token))).toBe('TOKEN_EXPIRED');
    registry.status = { state: 'live', grants: 2 };
    expect(await code(verifier.verify(token))).toBe('ACCEPTED');
    registry.status = { state: 'unavailable' };
    expect(await code(verifier.verify(token))).toBe('ACCEPTED');
  });

  it('says TOKEN_EXPIRED for an expired token whose key is gone, TOKEN_INVALID for a live one', async () => {
    const gone = await setup({ kid: 'retired' });
    expect(await code(gone.verifier.verify(gone.token))).toBe('TOKEN_INVALID');
    gone.advance(700);
    expect(await code(gone.verifier.verify(gone.token))).toBe('TOKEN_EXPIRED');
  });
});
