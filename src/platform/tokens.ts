/**
 * Access token verification shared by every module (DESIGN §6, RFC 8725): a JWT signed by the
 * auth module with an asymmetric key, checked locally with its public key plus one cache lookup
 * for a revoked session. Keys come either from the auth module in this process or from the auth
 * service's JWKS (`createJwksKeySource`), fetched once, cached and refetched on an unknown `kid`.
 */
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type KeyObject,
} from 'jose';
import { LRUCache } from 'lru-cache';
import type { Cache } from '../ports/cache.js';
import { unauthorized, unavailable } from './errors.js';
import type { Principal, TokenVerifier } from './security.js';

/** Signature algorithms access tokens may use; anything else (none, HS*) is refused. */
export const TOKEN_ALGORITHMS = ['RS256', 'EdDSA'] as const;
export type TokenAlgorithm = (typeof TOKEN_ALGORITHMS)[number];

/** `iss` of every access token. */
export const TOKEN_ISSUER = 'kinoservice';

/** Claims of an access token (the Practicum payload plus `roles`). */
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
}

/** A verification key for a JWS header; rejects when no key with that `kid` and `alg` exists. */
export type KeyResolver = (header: { kid?: string; alg?: string }) => Promise<CryptoKey | KeyObject>;

/** Cache key marking a session as ended; lives as long as an access token can. */
export const revokedSessionKey = (sessionId: string) => `auth:revoked:${sessionId}`;

/** Revocation check against the shared cache (Redis in split deployments). */
export function cacheRevocationCheck(cache: Cache): (sessionId: string) => Promise<boolean> {
  return async (sessionId) => (await cache.get(revokedSessionKey(sessionId))) !== null;
}

export interface JwtVerifierOptions {
  keys: KeyResolver;
  isRevoked(sessionId: string): Promise<boolean>;
  /** Clock skew tolerated on exp/nbf/iat, in seconds (default 5). */
  leewaySeconds?: number;
  /** Injected for tests. */
  now?: () => Date;
  /** Verified tokens remembered (until they expire) so a repeated token skips the signature check. */
  cacheSize?: number;
}

const invalid = (detail = 'The access token is not valid.') => unauthorized('TOKEN_INVALID', detail);

export function createJwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  const leeway = options.leewaySeconds ?? 5;
  // The same token arrives on many requests; its signature and claims cannot change, so the
  // result is kept until `exp`. Revocation is still checked on every request.
  const verified = new LRUCache<string, { principal: Principal; exp: number }>({
    max: options.cacheSize ?? 10_000,
  });
  const nowSeconds = () => (options.now?.() ?? new Date()).getTime() / 1000;

  async function check(token: string): Promise<{ principal: Principal; exp: number }> {
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
        clockTolerance: leeway,
        requiredClaims: ['exp', 'iat', 'nbf', 'sub', 'jti'],
        ...(options.now ? { currentDate: options.now() } : {}),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw unauthorized('TOKEN_EXPIRED', 'The access token has expired; refresh it.');
      // The key set could not be fetched: the token may be fine, so this is not a 401.
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError))
        throw unavailable('AUTH_KEYS_UNAVAILABLE', 'Access tokens cannot be checked right now.', error);
      throw invalid();
    }
    const claims = payload as Partial<AccessClaims>;
    if (claims.type !== 'access') throw unauthorized('TOKEN_WRONG_TYPE', 'This is not an access token.');
    if (
      typeof claims.session_id !== 'string' ||
      typeof claims.sub !== 'string' ||
      typeof claims.exp !== 'number' ||
      !Array.isArray(claims.permissions) ||
      !Array.isArray(claims.roles)
    )
      throw invalid();
    const principal: Principal = Object.freeze({
      kind: 'user' as const,
      userId: claims.user_id ?? claims.sub,
      sessionId: claims.session_id,
      login: claims.username ?? null,
      roles: Object.freeze(claims.roles.map(String)),
      permissions: new Set(claims.permissions.map(String)),
    });
    return { principal, exp: claims.exp };
  }

  return {
    async verify(token: string): Promise<Principal> {
      let entry = verified.get(token);
      if (!entry || entry.exp + leeway <= nowSeconds()) {
        entry = await check(token);
        verified.set(token, entry);
      }
      if (await options.isRevoked(entry.principal.sessionId!))
        throw unauthorized('TOKEN_REVOKED', 'This session has ended; log in again.');
      return entry.principal;
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
