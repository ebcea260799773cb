/**
 * Social login providers (openid-client): Google and any OIDC issuer by discovery, Yandex and VK
 * ID as plain OAuth 2 servers with a user-info call; and the allow-list check for the front-end
 * address a login returns to.
 */
import * as client from 'openid-client';
import type { OAuthProviderConfig } from '../../platform/config.js';
import { authErrors } from './auth.errors.js';
import type { Logger } from '../../platform/logger.js';

export interface Profile {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
}

export interface Provider {
  name: string;
  scope: string;
  oidc: boolean;
  config(): Promise<client.Configuration>;
  /** Profile from a non-OIDC provider's user-info endpoint. */
  profile?(tokens: client.TokenEndpointResponse, config: client.Configuration): Promise<Profile>;
  /** Extra token endpoint parameters taken from the callback (VK ID's device_id). */
  tokenParams?(callback: URL): Record<string, string>;
}

/** A non-empty string, or null. */
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function buildProvider(name: string, c: OAuthProviderConfig, logger: Logger): Provider {
  const auth = c.client_secret ? client.ClientSecretPost(c.client_secret) : client.None();
  const lazy = (make: () => Promise<client.Configuration>) => {
    let pending: Promise<client.Configuration> | undefined;
    return () => {
      pending ??= make().catch((error: unknown) => {
        pending = undefined; // try discovery again on the next login
        logger.warn({ err: error, provider: name }, 'oauth provider unreachable');
        throw authErrors.OAUTH_PROVIDER_UNAVAILABLE({
          detail: `The ${name} login is unavailable right now.`,
          cause: error,
        });
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
        if (!res.ok) throw authErrors.OAUTH_PROFILE_FAILED({ detail: 'Yandex did not return the profile.' });
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
        if (!res.ok) throw authErrors.OAUTH_PROFILE_FAILED({ detail: 'VK ID did not return the profile.' });
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
