/** The shared verifier refuses every forged, stale or revoked token with 401 and a stable code. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicKey } from 'node:crypto';
import { generateKeyPair, SignJWT, type JWK } from 'jose';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import type { AuthModuleService } from '../../src/modules/auth/index.js';
import {
  cacheRevocationCheck,
  createJwksKeySource,
  createJwtVerifier,
  type AccessClaims,
} from '../../src/platform/tokens.js';
import { AppError } from '../../src/platform/errors.js';

let kino: TestKino;
let service: AuthModuleService;
let good: { access_token: string; refresh_token: string; user: { id: string } };
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

const me = (token: string) =>
  kino.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${token}` } });

async function expect401(token: string, code: string) {
  const res = await me(token);
  expect(res.statusCode, res.body).toBe(401);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.json<{ code: string }>().code).toBe(code);
}

function claims(): Omit<AccessClaims, 'iss'> {
  const payload = JSON.parse(
    Buffer.from(good.access_token.split('.')[1]!, 'base64url').toString(),
  ) as AccessClaims;
  const { iss: _iss, iat: _iat, nbf: _nbf, exp: _exp, ...rest } = payload;
  return rest;
}

beforeAll(async () => {
  kino = await createTestKino({ modules: ['auth'], env: { KINO_RATE_LIMIT: 'off' } });
  service = kino.kernel.services.require<AuthModuleService>('auth');
  const res = await kino.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { login: 'tok', email: 'tok@example.com', password: 'tokens are fun 123' },
  });
  good = res.json();
});
afterAll(async () => {
  await kino?.close();
});

describe('access token verification', () => {
  it('accepts a good token and carries the claims of DESIGN §6', async () => {
    expect((await me(good.access_token)).statusCode).toBe(200);
    const [header, payload] = good.access_token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    expect(header).toMatchObject({ alg: 'EdDSA', kid: service.keys.activeKid() });
    for (const claim of [
      'sub',
      'jti',
      'iat',
      'nbf',
      'exp',
      'type',
      'user_id',
      'session_id',
      'username',
      'role_code',
      'permissions',
      'roles',
    ])
      expect(payload).toHaveProperty(claim);
    expect(payload).toMatchObject({ type: 'access', role_code: 'UNSUB_USER', permissions: ['FREE_FILMS'] });
  });

  it('refuses alg=none', async () => {
    const [h, p] = good.access_token.split('.');
    const header = { ...(JSON.parse(Buffer.from(h!, 'base64url').toString()) as object), alg: 'none' };
    await expect401(`${b64(header)}.${p}.`, 'TOKEN_INVALID');
  });

  it('refuses HS256 signed with the public key', async () => {
    const jwk = service.keys.jwks().keys[0]!;
    const pem = createPublicKey({ key: jwk as JWK & { kty: 'RSA' }, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const forged = await new SignJWT({ ...claims(), permissions: ['CRUD_FILMS'] })
      .setProtectedHeader({ alg: 'HS256', kid: jwk.kid! })
      .setIssuer('kinoservice')
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(String(pem)));
    await expect401(forged, 'TOKEN_INVALID');
  });

  it('refuses a tampered payload', async () => {
    const [h, p, s] = good.access_token.split('.');
    const payload = {
      ...(JSON.parse(Buffer.from(p!, 'base64url').toString()) as object),
      permissions: ['CRUD_FILMS'],
    };
    await expect401(`${h}.${b64(payload)}.${s}`, 'TOKEN_INVALID');
  });

  it('refuses an expired token', async () => {
    await expect401(await service.keys.sign(claims(), -60), 'TOKEN_EXPIRED');
  });

  it('refuses a token of another type (refresh as access)', async () => {
    const wrong = await service.keys.sign({ ...claims(), type: 'refresh' }, 600);
    await expect401(wrong, 'TOKEN_WRONG_TYPE');
  });

  it('refuses an unknown kid and a token without kid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const sign = (kid?: string) =>
      new SignJWT({ ...claims() })
        .setProtectedHeader(kid ? { alg: 'RS256', kid } : { alg: 'RS256' })
        .setIssuer('kinoservice')
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('10m')
        .sign(privateKey);
    await expect401(await sign('unknown-kid'), 'TOKEN_INVALID');
    await expect401(await sign(service.keys.activeKid()), 'TOKEN_INVALID');
    await expect401(await sign(), 'TOKEN_INVALID');
  });

  it('refuses garbage even on routes that allow anonymous callers', async () => {
    const res = await kino.app.inject({
      method: 'GET',
      url: '/.well-known/jwks.json',
      headers: { authorization: 'Bearer not.a.jwt' },
    });
    expect(res.statusCode).toBe(401);
    expect((await kino.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).statusCode).toBe(200);
  });

  it('refuses a token whose session was revoked', async () => {
    const login = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'tok', password: 'tokens are fun 123' },
    });
    const t = login.json<{ access_token: string }>().access_token;
    expect((await me(t)).statusCode).toBe(200);
    await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${t}` },
    });
    await expect401(t, 'TOKEN_REVOKED');
  });
});

describe('keys', () => {
  it('rotation keeps the old public key published and old tokens valid; new tokens use the new kid', async () => {
    const oldKid = service.keys.activeKid();
    const newKid = await service.keys.rotate();
    expect(newKid).not.toBe(oldKid);
    const kids = service.keys.jwks().keys.map((k) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect((await me(good.access_token)).statusCode).toBe(200);
    const fresh = await service.keys.sign(claims(), 600);
    expect(JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString())).toMatchObject({
      kid: newKid,
    });
    expect((await me(fresh)).statusCode).toBe(200);
  });

  it('a split service verifies with the JWKS fetched over HTTP, refetching on an unknown kid', async () => {
    await kino.app.listen({ port: 0, host: '127.0.0.1' });
    const address = kino.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const remote = createJwtVerifier({
      keys: createJwksKeySource(`http://127.0.0.1:${port}`, { cooldownMs: 0 }),
      isRevoked: cacheRevocationCheck(kino.kernel.engines.cache),
    });
    const principal = await remote.verify(good.access_token);
    expect(principal).toMatchObject({ kind: 'user', userId: good.user.id, login: 'tok' });
    expect([...principal.permissions]).toEqual(['FREE_FILMS']);
    await service.keys.rotate();
    const fresh = await service.keys.sign(claims(), 600);
    await expect(remote.verify(fresh)).resolves.toMatchObject({ userId: good.user.id });
    // Revocation is shared through the cache: logout here is seen by the split verifier.
    await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${good.access_token}` },
    });
    const refused = await remote.verify(good.access_token).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('TOKEN_REVOKED');
  });

  it('the signing key is stored sealed and the master secret file is private', async () => {
    const [row] = await kino.kernel.engines.sql.query<{ private_enc: string }>(
      'SELECT private_enc FROM auth.signing_keys LIMIT 1',
    );
    expect(row!.private_enc).toMatch(/^v1\./);
    expect(row!.private_enc).not.toContain('"d"');
    const { statSync } = await import('node:fs');
    expect(statSync(`${kino.dataDir}/keys/master.key`).mode & 0o777).toBe(0o600);
  });
});

describe('RS256', () => {
  it('signs with RSA when AUTH_JWT_ALG=RS256', async () => {
    const ed = await createTestKino({
      modules: ['auth'],
      env: { AUTH_JWT_ALG: 'RS256', KINO_RATE_LIMIT: 'off' },
    });
    try {
      const res = await ed.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { login: 'rivest', email: 'rsa@example.com', password: 'rivest shamir adleman' },
      });
      const token = res.json<{ access_token: string }>().access_token;
      expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({
        alg: 'RS256',
      });
      const ok = await ed.app.inject({
        method: 'GET',
        url: '/api/v1/users/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(ok.statusCode).toBe(200);
      expect((await ed.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()).toMatchObject({
        keys: [{ kty: 'RSA', alg: 'RS256' }],
      });
    } finally {
      await ed.close();
    }
  });
});
