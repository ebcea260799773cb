/**
 * Social login (authorization code + PKCE S256) with openid-client: Google and any OIDC issuer
 * by discovery, Yandex and VK ID as plain OAuth 2 servers with a user-info call. The state, PKCE
 * verifier and nonce live server-side (auth.oauth_states, hashed state, single use, 10 minutes),
 * and the state is bound to the browser that started the login by a cookie holding a nonce whose
 * hash the row keeps (login CSRF, RFC 9700 §4.7): a callback completed by another client fails.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as client from 'openid-client';
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import type { Config, OAuthProviderConfig } from '../../platform/config.js';
import { AppError, badRequest, notFound, unauthorized, unavailable } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { clientOf } from './auth.routes.js';
import type { AuthService, TokenPair } from './auth.service.js';
import { hashToken, randomToken } from './crypto.js';
import { createOAuthRepository } from './oauth.repository.js';
import type { RateLimiter } from './rate-limit.js';
import * as S from './auth.schemas.js';
import { createUserRepository } from './user.repository.js';

const STATE_SECONDS = 600;

interface Profile {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
}

interface Provider {
  name: string;
  scope: string;
  oidc: boolean;
  config(): Promise<client.Configuration>;
  /** Profile from a non-OIDC provider's user-info endpoint. */
  profile?(tokens: client.TokenEndpointResponse, config: client.Configuration): Promise<Profile>;
  /** Extra token endpoint parameters taken from the callback (VK ID's device_id). */
  tokenParams?(callback: URL): Record<string, string>;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function buildProvider(name: string, c: OAuthProviderConfig, logger: Logger): Provider {
  const auth = c.client_secret ? client.ClientSecretPost(c.client_secret) : client.None();
  const lazy = (make: () => Promise<client.Configuration>) => {
    let pending: Promise<client.Configuration> | undefined;
    return () => {
      pending ??= make().catch((error: unknown) => {
        pending = undefined; // try discovery again on the next login
        logger.warn({ err: error, provider: name }, 'oauth provider unreachable');
        throw unavailable('OAUTH_PROVIDER_UNAVAILABLE', `The ${name} login is unavailable right now.`, error);
      });
      return pending;
    };
  };
  const plain = (meta: client.ServerMetadata) =>
    lazy(async () => new client.Configuration(meta, c.client_id, c.client_secret, auth));

  if (name === 'yandex' && !c.issuer) {
    return {
      name,
      oidc: false,
      scope: c.scope ?? 'login:email login:info',
      config: plain({
        issuer: 'https://oauth.yandex.ru',
        authorization_endpoint: 'https://oauth.yandex.ru/authorize',
        token_endpoint: 'https://oauth.yandex.ru/token',
      }),
      async profile(tokens) {
        const res = await fetch('https://login.yandex.ru/info?format=json', {
          headers: { authorization: `OAuth ${tokens.access_token}` },
          signal: AbortSignal.timeout(5000),
        });
        if (!res.ok) throw unauthorized('OAUTH_PROFILE_FAILED', 'Yandex did not return the profile.');
        const p = (await res.json()) as Record<string, unknown>;
        return {
          subject: String(p.id),
          email: str(p.default_email),
          emailVerified: str(p.default_email) !== null,
          firstName: str(p.first_name),
          lastName: str(p.last_name),
          username: str(p.login),
        };
      },
    };
  }
  if (name === 'vk' && !c.issuer) {
    return {
      name,
      oidc: false,
      scope: c.scope ?? 'email',
      config: plain({
        issuer: 'https://id.vk.com',
        authorization_endpoint: 'https://id.vk.com/authorize',
        token_endpoint: 'https://id.vk.com/oauth2/auth',
      }),
      tokenParams: (callback): Record<string, string> => {
        const deviceId = callback.searchParams.get('device_id');
        return deviceId ? { device_id: deviceId } : {};
      },
      async profile(tokens) {
        const res = await fetch('https://id.vk.com/oauth2/user_info', {
          method: 'POST',
          body: new URLSearchParams({ client_id: c.client_id, access_token: tokens.access_token }),
          signal: AbortSignal.timeout(5000),
        });
        if (!res.ok) throw unauthorized('OAUTH_PROFILE_FAILED', 'VK ID did not return the profile.');
        const p = ((await res.json()) as { user?: Record<string, unknown> }).user ?? {};
        return {
          subject: String(p.user_id),
          email: str(p.email),
          emailVerified: str(p.email) !== null,
          firstName: str(p.first_name),
          lastName: str(p.last_name),
          username: null,
        };
      },
    };
  }
  const issuer = c.issuer ?? (name === 'google' ? 'https://accounts.google.com' : undefined);
  if (!issuer) throw new Error(`AUTH_OAUTH_PROVIDERS: provider "${name}" needs an issuer`);
  const issuerUrl = new URL(issuer);
  return {
    name,
    oidc: true,
    scope: c.scope ?? 'openid email profile',
    config: lazy(() =>
      client.discovery(issuerUrl, c.client_id, c.client_secret, auth, {
        ...(issuerUrl.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
        timeout: 5,
      }),
    ),
  };
}

/**
 * True when `url` is one of the allowed front-end URLs or a path below one: the same origin, and a
 * path equal to the allowed one or continuing it after a `/` (never `/login/doneEVIL`). Both are
 * compared as the WHATWG URL parser normalises them (dot segments resolved, case of scheme and
 * host), and a path that still holds an encoded slash, backslash or dot is refused: a front end or
 * proxy that decodes it again would see another path than the one checked here.
 */
export function redirectAllowed(url: string, allowed: readonly string[]): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return false;
  if (target.username || target.password) return false;
  if (/%(2f|5c|2e)|\\/i.test(target.pathname) || url.includes('\\')) return false;
  return allowed.some((a) => {
    const base = new URL(a);
    if (target.origin !== base.origin) return false;
    const root = base.pathname.replace(/\/+$/, '');
    return (
      target.pathname === base.pathname || target.pathname === root || target.pathname.startsWith(`${root}/`)
    );
  });
}

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

export function createOAuth(deps: {
  sql: Sql;
  clock: Clock;
  logger: Logger;
  config: Config;
  auth: AuthService;
  limiter: RateLimiter;
}) {
  const { sql, clock, logger, config, auth, limiter } = deps;
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
    if (!p) throw notFound('OAUTH_PROVIDER_UNKNOWN', `No social login "${name}" is configured.`);
    return p;
  };

  async function authorize(
    name: string,
    returnTo: string | undefined,
  ): Promise<{ location: string; cookie: { name: string; value: string } }> {
    const p = provider(name);
    if (returnTo !== undefined && !redirectAllowed(returnTo, config.authRedirectUrls))
      throw badRequest('REDIRECT_NOT_ALLOWED', 'This redirect address is not on the allow-list.');
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
    info: { ip: string | null; userAgent: string | null },
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
    if (!row || !state)
      throw badRequest('OAUTH_STATE_INVALID', 'The login attempt is unknown or has expired; start again.');
    if (url.searchParams.has('error'))
      throw unauthorized(
        'OAUTH_DENIED',
        `The provider refused the login (${url.searchParams.get('error')}).`,
      );
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
      throw unauthorized('OAUTH_EXCHANGE_FAILED', 'The provider did not confirm this login; start again.');
    }
    const user = await findOrCreateUser(name, profile);
    const tokens = await auth.openSession(user, `oauth:${name}`, info);
    await auth.recordLogin(user.id, info, true, `oauth:${name}`, null);
    return { tokens, returnTo: row.return_to };
  }

  async function findOrCreateUser(name: string, profile: Profile) {
    const linked = await repo.linkedUser(name, profile.subject);
    if (linked) {
      const user = await users.byId(linked);
      if (user?.is_active) return user;
      throw unauthorized('USER_NOT_FOUND', 'This account no longer exists.');
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
      user = await auth.createUser({
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

  const routes: FastifyPluginAsync = async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const Params = Type.Object({ provider: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }) });

    app.get(
      '/api/v1/auth/oauth/:provider/authorize',
      {
        schema: {
          tags: ['auth'],
          params: Params,
          querystring: Type.Object({ redirect_uri: Type.Optional(Type.String({ maxLength: 2000 })) }),
          response: { 302: Type.Null() },
        },
      },
      async (request, reply) => {
        await limiter.hit('oauth', request.ip);
        const { location, cookie } = await authorize(request.params.provider, request.query.redirect_uri);
        // SameSite=Lax: the cookie comes back on the provider's top-level redirect to the callback.
        void reply.header(
          'set-cookie',
          `${cookie.name}=${cookie.value}; Path=/; Max-Age=${STATE_SECONDS}; HttpOnly; SameSite=Lax${
            secureCookie ? '; Secure' : ''
          }`,
        );
        return reply.redirect(location, 302);
      },
    );

    app.get(
      '/api/v1/auth/oauth/:provider/callback',
      {
        schema: {
          tags: ['auth'],
          params: Params,
          querystring: Type.Object({}, { additionalProperties: Type.String({ maxLength: 4000 }) }),
          response: { 200: S.TokenPair, 302: Type.Null() },
        },
      },
      async (request, reply) => {
        await limiter.hit('oauth', request.ip);
        const url = new URL(request.url, config.baseUrl);
        const state = url.searchParams.get('state');
        if (state)
          void reply.header(
            'set-cookie',
            `${bindingCookieName(state, secureCookie)}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${
              secureCookie ? '; Secure' : ''
            }`,
          );
        const { tokens, returnTo } = await callback(
          request.params.provider,
          url,
          clientOf(request),
          request.headers.cookie,
        );
        if (!returnTo) return tokens;
        // Tokens travel in the fragment: never sent to servers, never in access logs.
        const target = new URL(returnTo);
        target.hash = new URLSearchParams({
          access_token: tokens.access_token,
          refresh_token: tokens.refresh_token,
          token_type: tokens.token_type,
          expires_in: String(tokens.expires_in),
        }).toString();
        void reply.header('cache-control', 'no-store');
        return reply.redirect(target.href, 302);
      },
    );
  };

  return { routes, authorize, callback };
}
