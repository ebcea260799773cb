/**
 * Access token verification shared by every module (ADR 0030, RFC 8725): a JWT signed by the
 * auth module with an asymmetric key, checked locally with its public key plus one cache lookup
 * in the session registry (docs/adr/0032). Keys come either from the auth module in this process
 * or from the auth service's JWKS (`createJwksKeySource`), fetched once, cached and refetched on
 * an unknown `kid`.
 */
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type KeyObject,
} from 'jose';
import { LRUCache } from 'lru-cache';
import type { Cache } from '../ports/cache.js';
import { platformErrors } from './errors.js';
import type { Principal, TokenVerifier } from './security.js';

/** Signature algorithms access tokens may use; anything else (none, HS*) is refused. */
export const TOKEN_ALGORITHMS = ['RS256', 'EdDSA'] as const;
export type TokenAlgorithm = (typeof TOKEN_ALGORITHMS)[number];

/** `iss` of every access token. */
export const TOKEN_ISSUER = 'kinoservice';
/** `aud` of every access token: the Kinoservice API; a token minted for anything else is refused. */
export const TOKEN_AUDIENCE = 'kinoservice:api';

/** Claims of an access token (the Practicum payload plus `roles` and `grants_version`). */
export interface AccessClaims extends JWTPayload {
  sub: string;
  jti: string;
  type: 'access';
  user_id: string;
  session_id: string;
  username: string;
  role_code: string;
  roles: string[];
  permissions: string[];
  /** The session's grants version when the token was signed; a newer one in the registry refuses it. */
  grants_version: number;
}

/** A verification key for a JWS header; rejects when no key with that `kid` and `alg` exists. */
export type KeyResolver = (header: { kid?: string; alg?: string }) => Promise<CryptoKey | KeyObject>;

/**
 * What the session registry says of a session: live (with the version of its user's grants), ended,
 * never seen, or `unavailable` when the registry itself cannot be read (cache down or flushed).
 */
export type SessionStatus =
  { state: 'live'; grants: number } | { state: 'revoked' } | { state: 'unknown' } | { state: 'unavailable' };

/**
 * The session registry in the shared cache: one key per session, `live:<grants version>` from login
 * for the session's lifetime, `revoked` once it ends. Written only by the auth module.
 */
export const sessionKey = (sessionId: string) => `auth:session:${sessionId}`;
/** Present while the auth module keeps the registry: without it a missing session key proves nothing. */
export const SESSION_REGISTRY_KEY = 'auth:session-registry';
export const sessionMarker = {
  live: (grants: number) => `live:${grants}`,
  revoked: 'revoked',
} as const;

/** Reads a registry value; `null` when the key is absent or not a marker. */
export function parseSessionMarker(value: string | null): SessionStatus | null {
  if (value === sessionMarker.revoked) return { state: 'revoked' };
  const m = value === null ? null : /^live:(\d{1,9})$/.exec(value);
  return m ? { state: 'live', grants: Number(m[1]) } : null;
}

/**
 * The registry check of a service without the auth module (split deployments): one cache round
 * trip reads the session's key and the registry's presence key together. A session missing from a
 * present registry never existed (or its entry is long gone): refused. Both missing means the cache
 * is unreachable or was flushed: `unavailable`, and the token is judged on its signature alone.
 */
export function cacheSessionCheck(cache: Cache): (sessionId: string) => Promise<SessionStatus> {
  return async (sessionId) => {
    const [value, registry] = await cache.getMany([sessionKey(sessionId), SESSION_REGISTRY_KEY]);
    const status = parseSessionMarker(value ?? null);
    if (status) return status;
    return registry == null ? { state: 'unavailable' } : { state: 'unknown' };
  };
}

export interface JwtVerifierOptions {
  keys: KeyResolver;
  /** The session registry lookup: the one cache round trip of every request. */
  session(sessionId: string): Promise<SessionStatus>;
  /** The longest lifetime (`exp - iat`) the auth module signs: the access token TTL, in seconds. */
  maxLifetimeSeconds: number;
  /** Clock skew tolerated on exp/nbf/iat, in seconds (default 5). */
  leewaySeconds?: number;
  /** Injected for tests. */
  now?: () => Date;
  /** Verified tokens remembered (until they expire) so a repeated token skips the signature check. */
  cacheSize?: number;
}

interface Verified {
  principal: Principal;
  exp: number;
  grants: number;
}

const invalid = (detail?: string) => platformErrors.TOKEN_INVALID(detail === undefined ? {} : { detail });

export function createJwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  const leeway = options.leewaySeconds ?? 5;
  // The same token arrives on many requests; its signature and claims cannot change, so the
  // result is kept until `exp`. Revocation is still checked on every request.
  const verified = new LRUCache<string, Verified>({
    max: options.cacheSize ?? 10_000,
  });
  const nowSeconds = () => (options.now?.() ?? new Date()).getTime() / 1000;

  /** True when the unverified `exp` of a token is past: said for tokens whose key is gone. */
  function expiredBeforeKeyCheck(token: string): boolean {
    try {
      const { exp } = decodeJwt(token);
      return typeof exp === 'number' && exp + leeway < nowSeconds();
    } catch {
      return false;
    }
  }

  async function check(token: string): Promise<Verified> {
    let header: { kid?: string; alg?: string };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw invalid();
    }
    if (typeof header.kid !== 'string' || header.kid === '') throw invalid('The access token has no key id.');
    if (!(TOKEN_ALGORITHMS as readonly string[]).includes(header.alg ?? ''))
      throw invalid('The access token uses a refused algorithm.');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (h) => options.keys(h), {
        algorithms: [...TOKEN_ALGORITHMS],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        clockTolerance: leeway,
        requiredClaims: ['exp', 'iat', 'nbf', 'sub', 'jti'],
        ...(options.now ? { currentDate: options.now() } : {}),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw platformErrors.TOKEN_EXPIRED();
      // A retired key leaves the key set once every token it signed has expired: a token naming a
      // key that is gone and an `exp` in the past is expired, whoever signed it. Said before the
      // signature can be checked, but it grants nothing: the answer is a refusal either way.
      if (error instanceof errors.JWKSNoMatchingKey && expiredBeforeKeyCheck(token))
        throw platformErrors.TOKEN_EXPIRED();
      // The key set could not be fetched: the token may be fine, so this is not a 401.
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError))
        throw platformErrors.AUTH_KEYS_UNAVAILABLE({ cause: error });
      throw invalid();
    }
    const claims = payload as Partial<AccessClaims>;
    if (claims.type !== 'access') throw platformErrors.TOKEN_WRONG_TYPE();
    if (
      typeof claims.session_id !== 'string' ||
      typeof claims.sub !== 'string' ||
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number' ||
      !Array.isArray(claims.permissions) ||
      !Array.isArray(claims.roles)
    )
      throw invalid();
    // The auth module never signs for longer than the access TTL, so a longer-lived token was not
    // signed by it for this deployment (a leaked key, a test key, a misconfigured replica).
    if (claims.exp - claims.iat > options.maxLifetimeSeconds + leeway || claims.iat > nowSeconds() + leeway)
      throw invalid('The access token lifetime is not valid.');
    const grants = claims.grants_version ?? 0;
    if (!Number.isSafeInteger(grants) || grants < 0) throw invalid();
    const principal: Principal = Object.freeze({
      kind: 'user' as const,
      userId: claims.user_id ?? claims.sub,
      sessionId: claims.session_id,
      login: claims.username ?? null,
      roles: Object.freeze(claims.roles.map(String)),
      permissions: new Set(claims.permissions.map(String)),
    });
    return { principal, exp: claims.exp, grants };
  }

  return {
    async verify(token: string): Promise<Principal> {
      let entry = verified.get(token);
      if (!entry || entry.exp + leeway <= nowSeconds()) {
        entry = await check(token);
        verified.set(token, entry);
      }
      const session = await options.session(entry.principal.sessionId!);
      switch (session.state) {
        case 'live':
          // The user's roles or permissions changed after this token was signed: a refresh
          // issues one with the current grants.
          if (session.grants > entry.grants)
            throw platformErrors.TOKEN_EXPIRED({
              detail: 'The permissions of this account changed; refresh the token.',
            });
          return entry.principal;
        case 'unavailable':
          return entry.principal;
        case 'revoked':
        case 'unknown':
          throw platformErrors.TOKEN_REVOKED();
      }
    },
  };
}

/**
 * Keys from the auth service's JWKS (`<authUrl>/.well-known/jwks.json`): cached, refetched when
 * a token names an unknown `kid` (at most every 30 s), and each key used only with its own `alg`.
 */
export function createJwksKeySource(authUrl: string, options: { cooldownMs?: number } = {}): KeyResolver {
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', authUrl), {
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: 10 * 60_000,
    timeoutDuration: 5_000,
  });
  return async (header) => {
    const key = await jwks({ alg: header.alg ?? '', ...(header.kid ? { kid: header.kid } : {}) });
    return key;
  };
}
