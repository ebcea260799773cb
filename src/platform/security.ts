/**
 * Who is calling. Every request gets a `principal`: anonymous when it carries no token, or the
 * user an access token names. A request that carries a token which does not verify is refused
 * with 401 even on routes that allow anonymous callers: it never silently becomes anonymous.
 *
 * Each process (each kernel) has its own verifier and passes it explicitly: to the HTTP kernel and
 * to modules as `ctx.tokens`. The kernel picks it: the auth module's when auth runs in the process,
 * one built from the auth service's JWKS in a split deployment, otherwise `refuseAllTokens`.
 * Modules depend only on this file.
 */
import { AppError, platformErrors } from './errors.js';

export interface Principal {
  readonly kind: 'user' | 'anonymous';
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly login: string | null;
  readonly roles: readonly string[];
  readonly permissions: ReadonlySet<string>;
}

/** Permission names used across modules (seed data, docs/modules/auth.md). */
export const Permission = {
  crudRole: 'CRUD_ROLE',
  assignRole: 'ASSIGN_ROLE',
  freeFilms: 'FREE_FILMS',
  paidFilms: 'PAID_FILMS',
  crudFilms: 'CRUD_FILMS',
} as const;

export const ANONYMOUS: Principal = Object.freeze({
  kind: 'anonymous',
  userId: null,
  sessionId: null,
  login: null,
  roles: Object.freeze(['ANONYMOUS']),
  permissions: new Set([Permission.freeFilms]),
});

export interface TokenVerifier {
  /** Resolves the principal of a valid access token; rejects with a 401 AppError otherwise. */
  verify(token: string): Promise<Principal>;
}

/** The verifier of a process that has nobody to trust: every token is refused. */
export const refuseAllTokens: TokenVerifier = Object.freeze({
  async verify(): Promise<Principal> {
    throw platformErrors.TOKEN_UNVERIFIABLE();
  },
});

/** Reads the Authorization header: no header → anonymous; anything else must verify. */
export async function principalFromHeader(
  header: string | undefined,
  verifier: TokenVerifier,
): Promise<Principal> {
  if (header === undefined || header === '') return ANONYMOUS;
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header);
  if (!match?.[1]) throw platformErrors.TOKEN_MALFORMED();
  return verifier.verify(match[1]);
}

export function requireUser(
  principal: Principal,
): asserts principal is Principal & { kind: 'user'; userId: string; sessionId: string } {
  if (principal.kind !== 'user') throw platformErrors.AUTHENTICATION_REQUIRED();
}

export function requirePermission(principal: Principal, ...permissions: string[]): void {
  requireUser(principal);
  const missing = permissions.filter((p) => !principal.permissions.has(p));
  if (missing.length > 0)
    throw platformErrors.PERMISSION_DENIED({ detail: `This needs the permission ${missing.join(', ')}.` });
}

export function hasPermission(principal: Principal, permission: string): boolean {
  return principal.permissions.has(permission);
}

export { AppError };
