/** The shared verifier refuses every forged, stale or revoked token with 401 and a stable code. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPublicKey, randomUUID } from 'node:crypto';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import type { AuthModuleService } from '../../src/modules/auth/index.js';
import {
  cacheSessionCheck,
  createJwksKeySource,
  createJwtVerifier,
  SESSION_REGISTRY_KEY,
  sessionKey,
  type AccessClaims,
} from '../../src/platform/tokens.js';
import { createSealer, masterSecret } from '../../src/modules/auth/crypto.js';
import { AppError } from '../../src/platform/errors.js';

let kino: TestKino;
let service: AuthModuleService;
let good: { access_token: string; refresh_token: string; user: { id: string } };
/** The key that signed `good`: tests below rotate keys. */
let goodKid: string;
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

const me = (token: string) =>
  kino.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${token}` } });

async function expect401(token: string, code: string) {
  const res = await me(token);
  expect(res.statusCode, res.body).toBe(401);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.json<{ code: string }>().code).toBe(code);
}

/**
 * Signs any claim set with the deployment's real signing key, unsealed from the database with the
 * master secret of the data folder: what an attacker holding the key (or a buggy minter) could do.
 */
async function forge(
  payload: Record<string, unknown>,
  times: { iat: number; exp: number },
  kid = service.keys.activeKid(),
): Promise<string> {
  const [row] = await kino.kernel.engines.sql.query<{ alg: string; private_enc: string }>(
    'SELECT alg, private_enc FROM auth.signing_keys WHERE kid = $1',
    [kid],
  );
  const sealer = createSealer(masterSecret(kino.config.authKeySecret, kino.dataDir));
  const key = await importJWK(JSON.parse(sealer.open(row!.private_enc)) as JWK, row!.alg);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: row!.alg, kid })
    .setIssuer('kinoservice')
    .setIssuedAt(times.iat)
    .setNotBefore(times.iat)
    .setExpirationTime(times.exp)
    .sign(key);
}
const nowS = () => Math.floor(Date.now() / 1000);

function claims(): Omit<AccessClaims, 'iss'> {
  const payload = JSON.parse(
    Buffer.from(good.access_token.split('.')[1]!, 'base64url').toString(),
  ) as AccessClaims;
  const { iss: _iss, iat: _iat, nbf: _nbf, exp: _exp, ...rest } = payload;
  return rest;
}

beforeAll(async () => {
  kino = await createTestKino({ modules: ['auth'], env: { KINO_RATE_LIMIT: 'off' } });
  service = kino.kernel.services.require('auth');
  const res = await kino.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { login: 'tok', email: 'tok@example.com', password: 'tokens are fun 123' },
  });
  good = res.json();
  goodKid = service.keys.activeKid();
});
afterAll(async () => {
  await kino?.close();
});

describe('access token verification', () => {
  it('accepts a good token and carries the claims of docs/modules/auth.md', async () => {
    expect((await me(good.access_token)).statusCode).toBe(200);
    const [header, payload] = good.access_token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    expect(header).toMatchObject({ alg: 'EdDSA', kid: goodKid });
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

describe('claims the verifier insists on (forged with the real key)', () => {
  const ttl = () => kino.config.authAccessTtl;

  it('sets the API audience, and refuses a token without it or with another one', async () => {
    const payload = JSON.parse(Buffer.from(good.access_token.split('.')[1]!, 'base64url').toString()) as {
      aud: unknown;
    };
    expect(payload.aud).toBe('kinoservice:api');
    const { aud: _aud, ...noAud } = claims() as Record<string, unknown>;
    const times = { iat: nowS(), exp: nowS() + 60 };
    expect((await me(await forge({ ...noAud, aud: 'kinoservice:api' }, times))).statusCode).toBe(200);
    await expect401(await forge(noAud, times), 'TOKEN_INVALID');
    await expect401(await forge({ ...noAud, aud: 'another-service' }, times), 'TOKEN_INVALID');
  });

  it('refuses a token that lives longer than the access TTL (exp ten years ahead)', async () => {
    const c = claims();
    await expect401(await forge(c, { iat: nowS(), exp: nowS() + 10 * 365 * 86400 }), 'TOKEN_INVALID');
    await expect401(await forge(c, { iat: nowS() - 60, exp: nowS() + ttl() }), 'TOKEN_INVALID');
    expect((await me(await forge(c, { iat: nowS(), exp: nowS() + ttl() }))).statusCode).toBe(200);
  });

  it('refuses a session that never existed', async () => {
    const c = { ...claims(), session_id: randomUUID() };
    await expect401(await forge(c, { iat: nowS(), exp: nowS() + 60 }), 'TOKEN_REVOKED');
  });

  it('says TOKEN_EXPIRED for an expired token of a retired key that is no longer published', async () => {
    const old = service.keys.activeKid();
    const stale = await forge(claims(), { iat: nowS() - ttl() - 120, exp: nowS() - 120 }, old);
    await expect401(stale, 'TOKEN_EXPIRED');
    await service.keys.rotate();
    await kino.kernel.engines.sql.execute(
      `UPDATE auth.signing_keys SET publish_until = now() - interval '1 second' WHERE kid = $1`,
      [old],
    );
    // A fresh jti: an identical token verified earlier would be remembered by the verifier.
    const live = await forge({ ...claims(), jti: randomUUID() }, { iat: nowS(), exp: nowS() + 60 }, old);
    try {
      await service.keys.reload();
      expect(service.keys.jwks().keys.map((k) => k.kid)).not.toContain(old);
      await expect401(stale, 'TOKEN_EXPIRED');
      // A token of a vanished key that has not expired is not valid.
      await expect401(live, 'TOKEN_INVALID');
    } finally {
      // The tests below still use tokens of that key.
      await kino.kernel.engines.sql.execute(
        `UPDATE auth.signing_keys SET publish_until = now() + interval '1 hour' WHERE kid = $1`,
        [old],
      );
      await service.keys.reload();
    }
  });
});

describe('the session registry on the hot path', () => {
  it('costs one cache read per request, and a lost entry is restored from the database once', async () => {
    const login = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'tok', password: 'tokens are fun 123' },
    });
    const t = login.json<{ access_token: string }>().access_token;
    const sid = (JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as AccessClaims)
      .session_id;
    const { cache, sql } = kino.kernel.engines;
    const reads = vi.spyOn(cache, 'get');
    const readsMany = vi.spyOn(cache, 'getMany');
    const queries = vi.spyOn(sql, 'query');
    const sessionReads = () =>
      reads.mock.calls.filter(([k]) => k.startsWith('auth:session')).length +
      readsMany.mock.calls.filter(([ks]) => ks.some((k) => k.startsWith('auth:session'))).length;
    const sessionQueries = () => queries.mock.calls.filter(([q]) => /FROM auth\.sessions/.test(q)).length;
    const jwks = () =>
      kino.app.inject({
        method: 'GET',
        url: '/.well-known/jwks.json',
        headers: { authorization: `Bearer ${t}` },
      });
    try {
      const n = 20;
      for (let i = 0; i < n; i++) expect((await jwks()).statusCode).toBe(200);
      expect(sessionReads()).toBe(n);
      expect(sessionQueries()).toBe(0);
      // The entry is lost (a restarted all-in-one's memory cache, a flushed Redis).
      await cache.del(sessionKey(sid));
      reads.mockClear();
      expect((await jwks()).statusCode).toBe(200);
      expect(sessionQueries()).toBe(1);
      for (let i = 0; i < n; i++) expect((await jwks()).statusCode).toBe(200);
      expect(sessionReads()).toBe(n + 1);
      expect(sessionQueries()).toBe(1);
      console.log(
        `session registry: ${n + 1} requests, ${sessionReads()} cache reads, ${sessionQueries()} database read after the loss`,
      );
    } finally {
      reads.mockRestore();
      readsMany.mockRestore();
      queries.mockRestore();
    }
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
      session: cacheSessionCheck(kino.kernel.engines.cache),
      maxLifetimeSeconds: kino.config.authAccessTtl,
    });
    const principal = await remote.verify(good.access_token);
    expect(principal).toMatchObject({ kind: 'user', userId: good.user.id, login: 'tok' });
    expect([...principal.permissions]).toEqual(['FREE_FILMS']);
    await service.keys.rotate();
    const fresh = await service.keys.sign(claims(), 600);
    await expect(remote.verify(fresh)).resolves.toMatchObject({ userId: good.user.id });
    // A session the registry never saw is refused; with the registry's own key gone too (the cache
    // flushed or unreachable) a token is judged on its signature and claims alone.
    const ghost = await forge(
      { ...claims(), session_id: randomUUID(), jti: randomUUID() },
      { iat: nowS(), exp: nowS() + 60 },
    );
    const ghostRefused = await remote.verify(ghost).catch((e: unknown) => e);
    expect((ghostRefused as AppError).code).toBe('TOKEN_REVOKED');
    const { cache } = kino.kernel.engines;
    await cache.del(SESSION_REGISTRY_KEY);
    try {
      await expect(remote.verify(ghost)).resolves.toMatchObject({ userId: good.user.id });
    } finally {
      await cache.set(SESSION_REGISTRY_KEY, '1', 300);
    }
    // Revocation is shared through the cache: logout here is seen by the split verifier. A
    // session of its own is ended, since the other tests keep using `good`.
    const own = (
      await kino.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: 'tok', password: 'tokens are fun 123' },
      })
    ).json<{ access_token: string }>().access_token;
    await expect(remote.verify(own)).resolves.toMatchObject({ userId: good.user.id });
    const out = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${own}` },
    });
    expect(out.statusCode, out.body).toBe(204);
    const refused = await remote.verify(own).catch((e: unknown) => e);
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
  it('signs with RSA when AUTH_JWT_ALG=RS256; each process verifies with its own keys, before and after the other closes', async () => {
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
      // Two kernels in one process: each checks tokens against its own keys only.
      expect((await me(good.access_token)).statusCode).toBe(200);
      expect((await me(token)).statusCode).toBe(401);
      const foreign = await ed.app.inject({
        method: 'GET',
        url: '/api/v1/users/me',
        headers: { authorization: `Bearer ${good.access_token}` },
      });
      expect(foreign.statusCode).toBe(401);
    } finally {
      await ed.close();
    }
    expect((await me(good.access_token)).statusCode).toBe(200);
  });
});
