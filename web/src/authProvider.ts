/**
 * Login (with the TOTP step), logout, and what the signed-in user may see. Permissions come from
 * the access token's claims; the API checks them again on every request.
 */
import type { AuthProvider } from 'react-admin';
import { api, claimsOf, tokenStore, type Tokens } from './http';

export const ADMIN_PERMISSIONS = ['CRUD_FILMS', 'CRUD_ROLE', 'ASSIGN_ROLE'] as const;

export type LoginStep = { kind: 'tokens'; tokens: Tokens } | { kind: 'mfa'; mfa_token: string };

/** Step one: login (or email) and password. */
export async function passwordLogin(login: string, password: string): Promise<LoginStep> {
  const { json } = await api<Partial<Tokens> & { mfa_required?: boolean; mfa_token?: string }>(
    '/api/v1/auth/login',
    { method: 'POST', body: { login, password }, auth: false },
  );
  if (json.mfa_required && json.mfa_token) return { kind: 'mfa', mfa_token: json.mfa_token };
  return { kind: 'tokens', tokens: json as Tokens };
}

/** Step two (accounts with TOTP on): a code from the app, or a recovery code. */
export async function mfaLogin(mfa_token: string, code: string): Promise<Tokens> {
  const { json } = await api<Tokens>('/api/v1/auth/login/mfa', {
    method: 'POST',
    body: { mfa_token, code },
    auth: false,
  });
  return json;
}

export const permissionsOf = (): string[] => claimsOf(tokenStore.get()?.access_token).permissions ?? [];

export const authProvider: AuthProvider = {
  /** Receives the tokens the login page obtained; refuses accounts that may not use the panel. */
  async login(params: { tokens: Tokens }) {
    const permissions = claimsOf(params.tokens.access_token).permissions ?? [];
    if (!ADMIN_PERMISSIONS.some((p) => permissions.includes(p))) {
      // End the session we just opened: this account has nothing to do here.
      await fetch('/api/v1/auth/logout', {
        method: 'POST',
        headers: { authorization: `Bearer ${params.tokens.access_token}` },
      }).catch(() => undefined);
      throw new Error('kino.auth.no_access');
    }
    tokenStore.set(params.tokens);
  },
  async logout() {
    const tokens = tokenStore.get();
    tokenStore.clear();
    if (tokens)
      await fetch('/api/v1/auth/logout', {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.access_token}` },
      }).catch(() => undefined);
  },
  async checkAuth() {
    if (!tokenStore.get()) throw new Error('kino.auth.required');
  },
  async checkError(error: { status?: number }) {
    // 401 after a failed refresh: the session is over. 403 is a missing permission, not a logout.
    if (error?.status === 401) {
      tokenStore.clear();
      throw new Error('kino.auth.expired');
    }
  },
  async getPermissions() {
    return permissionsOf();
  },
  async getIdentity() {
    const claims = claimsOf(tokenStore.get()?.access_token);
    const id = claims.user_id ?? claims.sub ?? '';
    return { id, fullName: claims.username ?? id };
  },
};
