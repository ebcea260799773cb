/**
 * Social login (authorization code + PKCE S256). The state, PKCE verifier and nonce live
 * server-side (auth.oauth_states, hashed state, single use, 10 minutes), and the state is bound to
 * the browser that started the login by a cookie holding a nonce whose hash the row keeps (login
 * CSRF, RFC 9700 §4.7): a callback completed by another client fails.
 */
import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import type { Config } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import { authErrors } from './auth.errors.js';
import type { Logger } from '../../platform/logger.js';
import type { ClientInfo, TokenPair } from './account.model.js';
import type { AccountService } from './account.service.js';
import { hashToken, randomToken } from './crypto.js';
import { createOAuthRepository } from './oauth.repository.js';
import { buildProvider, redirectAllowed, str, type Profile, type Provider } from './oauth.providers.js';
import type { SessionService } from './session.service.js';
import { createUserRepository } from './user.repository.js';

const STATE_SECONDS = 600;

/** The cookie binding one login attempt to its browser, named after the attempt (tabs may run several). */
function bindingCookieName(state: string, secure: boolean): string {
  // `__Host-`: only over HTTPS, only from this host, path `/`, so no subdomain can plant it.
  return `${secure ? '__Host-' : ''}kino-oauth-${hashToken(state).slice(0, 16)}`;
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export interface OAuthServiceDeps {
  sql: Sql;
  clock: Clock;
  logger: Logger;
  config: Config;
  accounts: Pick<AccountService, 'createUser'>;
  sessions: Pick<SessionService, 'openSession' | 'recordLogin'>;
}

export type OAuthService = ReturnType<typeof createOAuthService>;

export function createOAuthService(deps: OAuthServiceDeps) {
  const { sql, clock, logger, config, accounts, sessions } = deps;
  const users = createUserRepository(sql);
  const repo = createOAuthRepository(sql);
  const providers = new Map<string, Provider>();
  for (const [name, c] of Object.entries(config.authOauthProviders ?? {}))
    providers.set(name, buildProvider(name, c, logger));

  // Browsers keep Secure cookies over HTTPS and on localhost; a plain-HTTP install elsewhere (a
  // LAN address) gets the same binding without the attribute, or social login would never work.
  const publicUrl = new URL(config.baseUrl);
  const secureCookie =
    publicUrl.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(publicUrl.hostname);
  const callbackUrl = (name: string) => `${config.baseUrl}/api/v1/auth/oauth/${name}/callback`;
  const provider = (name: string) => {
    const p = providers.get(name);
    if (!p) throw authErrors.OAUTH_PROVIDER_UNKNOWN();
    return p;
  };

  async function authorize(
    name: string,
    returnTo: string | undefined,
  ): Promise<{ location: string; cookie: { name: string; value: string } }> {
    const p = provider(name);
    if (returnTo !== undefined && !redirectAllowed(returnTo, config.authRedirectUrls))
      throw authErrors.REDIRECT_NOT_ALLOWED();
    const cfg = await p.config();
    const state = client.randomState();
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const browser = randomToken(32);
    await repo.insertState({
      stateHash: hashToken(state),
      provider: name,
      codeVerifier: verifier,
      nonce,
      returnTo: returnTo ?? null,
      expiresAt: new Date(clock.now().getTime() + STATE_SECONDS * 1000),
      browserHash: hashToken(browser),
    });
    const params: Record<string, string> = {
      redirect_uri: callbackUrl(name),
      scope: p.scope,
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    if (p.oidc) params.nonce = nonce;
    return {
      location: client.buildAuthorizationUrl(cfg, params).href,
      cookie: { name: bindingCookieName(state, secureCookie), value: browser },
    };
  }

  async function callback(
    name: string,
    url: URL,
    info: ClientInfo,
    cookies: string | undefined,
  ): Promise<{ tokens: TokenPair; returnTo: string | null }> {
    const p = provider(name);
    const state = url.searchParams.get('state');
    const browser = state ? readCookie(cookies, bindingCookieName(state, secureCookie)) : null;
    // Single use, and only in the browser that started it: the row is deleted by the first
    // callback that presents the state together with that browser's cookie.
    const row =
      state && browser
        ? await repo.takeState(hashToken(state), name, hashToken(browser), clock.now())
        : undefined;
    if (!row || !state) throw authErrors.OAUTH_STATE_INVALID();
    if (url.searchParams.has('error'))
      throw authErrors.OAUTH_DENIED({
        detail: `The provider refused the login (${url.searchParams.get('error')}).`,
      });
    const cfg = await p.config();
    const current = new URL(callbackUrl(name));
    current.search = url.search;
    let profile: Profile;
    try {
      const tokens = await client.authorizationCodeGrant(
        cfg,
        current,
        {
          pkceCodeVerifier: row.code_verifier,
          expectedState: state,
          ...(p.oidc ? { expectedNonce: row.nonce, idTokenExpected: true } : {}),
        },
        p.tokenParams?.(url),
      );
      if (p.oidc) {
        let claims: (Record<string, unknown> & { sub: string }) | undefined = tokens.claims();
        if (!claims) throw new Error('no ID token');
        // Many providers put only `sub` in the ID token; the rest comes from UserInfo.
        if (claims.email === undefined && cfg.serverMetadata().userinfo_endpoint)
          claims = { ...(await client.fetchUserInfo(cfg, tokens.access_token, claims.sub)), ...claims };
        profile = {
          subject: claims.sub,
          email: str(claims.email),
          emailVerified: claims.email_verified === true,
          firstName: str(claims.given_name),
          lastName: str(claims.family_name),
          username: str(claims.preferred_username),
        };
      } else {
        profile = await p.profile!(tokens, cfg);
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      logger.info({ provider: name, err: error }, 'oauth code exchange refused');
      throw authErrors.OAUTH_EXCHANGE_FAILED();
    }
    const user = await findOrCreateUser(name, profile);
    const tokens = await sessions.openSession(user, `oauth:${name}`, info);
    await sessions.recordLogin(user.id, info, true, `oauth:${name}`, null);
    return { tokens, returnTo: row.return_to };
  }

  async function findOrCreateUser(name: string, profile: Profile) {
    const linked = await repo.linkedUser(name, profile.subject);
    if (linked) {
      const user = await users.byId(linked);
      if (user?.is_active) return user;
      throw authErrors.ACCOUNT_GONE();
    }
    // Link to an existing account only when both sides proved the address (no pre-hijacking).
    let user = profile.email && profile.emailVerified ? await users.byEmail(profile.email) : undefined;
    if (user && user.email_verified_at === null) user = undefined;
    if (!user) {
      const base = (profile.username ?? profile.email?.split('@')[0] ?? name)
        .replace(/[^A-Za-z0-9._-]/g, '')
        .replace(/^[^A-Za-z0-9]+/, '')
        .slice(0, 40);
      const email =
        profile.email && !(await users.byEmail(profile.email))
          ? profile.email
          : `${name}-${randomUUID()}@users.invalid`;
      user = await accounts.createUser({
        login: `${base || name}-${randomUUID().slice(0, 8)}`,
        email,
        passwordHash: null,
        first_name: profile.firstName,
        last_name: profile.lastName,
        emailVerified: email === profile.email && profile.emailVerified,
      });
    }
    await repo.link(name, profile.subject, user.id, profile.email);
    return user;
  }

  const cookieFlags = `HttpOnly; SameSite=Lax${secureCookie ? '; Secure' : ''}`;
  return {
    authorize,
    callback,
    /** The Set-Cookie value binding a login attempt to this browser, for as long as its state lives. */
    bindingCookie: (cookie: { name: string; value: string }) =>
      `${cookie.name}=${cookie.value}; Path=/; Max-Age=${STATE_SECONDS}; ${cookieFlags}`,
    /** The Set-Cookie value removing the binding of the attempt `state`. */
    clearBinding: (state: string) =>
      `${bindingCookieName(state, secureCookie)}=; Path=/; Max-Age=0; ${cookieFlags}`,
  };
}
