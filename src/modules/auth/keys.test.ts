/** Signing keys on a real database: one first key for all replicas, signing, rotation, publication. */
import { jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../platform/tokens.js';
import { useAuthTestContext, logger } from '../../../test/helpers/auth.js';
import { createKeyStore, type KeyStore } from './keys.js';

const t = useAuthTestContext();
const PUBLISH_SECONDS = 1200;
const stores: KeyStore[] = [];
const replica = async () => {
  const store = createKeyStore({
    sql: t.sql,
    sealer: t.sealer,
    clock: t.clock,
    logger,
    algorithm: 'EdDSA',
    publishSeconds: PUBLISH_SECONDS,
  });
  stores.push(store);
  await store.init();
  return store;
};

afterAll(() => {
  for (const s of stores) s.close();
});

const claims = {
  sub: 'u',
  jti: 'j',
  type: 'access' as const,
  user_id: 'u',
  session_id: 's',
  username: 'u',
  role_code: 'UNSUB_USER',
  roles: ['UNSUB_USER'],
  permissions: ['FREE_FILMS'],
  grants_version: 0,
};

describe('key store', () => {
  it('gives every replica the key the first one made, and their tokens verify on each other', async () => {
    const [a, b] = [await replica(), await replica()];
    expect(b.activeKid()).toBe(a.activeKid());
    expect(b.jwks()).toEqual(a.jwks());
    expect(a.jwks().keys.map((k) => k.kid)).toContain(a.activeKid());
    const token = await a.sign(claims, 60);
    const { payload } = await jwtVerify(token, b.resolve, {
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      currentDate: t.clock.now(),
    });
    expect(payload).toMatchObject({ sub: 'u', exp: Math.floor(t.clock.now().getTime() / 1000) + 60 });
  });

  it('rotates: the new key signs, the old one stays published until its tokens expired', async () => {
    const store = await replica();
    const before = store.activeKid();
    t.clock.advance(1000);
    const kid = await store.rotate();
    expect(kid).not.toBe(before);
    expect(store.activeKid()).toBe(kid);
    expect(store.jwks().keys.map((k) => k.kid)).toEqual([kid, before]);
    const other = await replica();
    expect(other.activeKid()).toBe(kid);
    t.clock.advance((PUBLISH_SECONDS + 1) * 1000);
    await store.reload();
    expect(store.jwks().keys.map((k) => k.kid)).toEqual([kid]);
  });

  it('refuses a token header with an unknown kid or another algorithm', async () => {
    const store = await replica();
    await expect(store.resolve({ kid: 'nope', alg: 'EdDSA' })).rejects.toThrow();
    await expect(store.resolve({ kid: store.activeKid(), alg: 'RS256' })).rejects.toThrow();
  });
});
