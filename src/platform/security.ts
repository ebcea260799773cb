/**
 * Who is calling. Every request gets a `principal`: anonymous when it carries no token, or the
 * user an access token names. A request that carries a token which does not verify is refused
 * with 401 even on routes that allow anonymous callers: it never silently becomes anonymous.
 *
 * The verifier is supplied at start-up (by the auth module in this process, or built from the
 * auth service's JWKS in a split deployment), so modules depend only on this file.
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

/** Until a verifier is installed every token is refused (there is nobody to trust). */
const refuseAll: TokenVerifier = {
  async verify() {
    throw platformErrors.TOKEN_UNVERIFIABLE();
  },
};

let installed: TokenVerifier = refuseAll;

export function installTokenVerifier(verifier: TokenVerifier): void {
  installed = verifier;
}

export function tokenVerifier(): TokenVerifier {
  return installed;
}

/** Reads the Authorization header: no header → anonymous; anything else must verify. */
export async function principalFromHeader(
  header: string | undefined,
  verifier: TokenVerifier = installed,
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
