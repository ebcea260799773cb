/**
 * Social login end to end against a real OpenID provider (oidc-provider) started here: code flow
 * with PKCE S256, state and nonce bound to the starting browser, redirect allow-list, and the
 * failure paths.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Provider from 'oidc-provider';
import { createTestKino, type TestKino } from '../helpers/kino.js';

let kino: TestKino;
let server: Server;
let issuer: string;
let account = 'alice';
const FRONT = 'https://app.example.com/login/done';

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  kino = await createTestKino({
    modules: ['auth'],
    env: {
      KINO_RATE_LIMIT: 'off',
      AUTH_OAUTH_PROVIDERS: JSON.stringify({
        corp: { issuer, client_id: 'kino', client_secret: 'kino-secret' },
      }),
      AUTH_REDIRECT_URLS: FRONT,
    },
  });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'kino',
        client_secret: 'kino-secret',
        redirect_uris: [`${kino.config.baseUrl}/api/v1/auth/oauth/corp/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['given_name', 'family_name', 'preferred_username'],
    },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          email: `${id}@corp.example`,
          email_verified: true,
          given_name: 'Corp',
          family_name: id,
          preferred_username: id,
        }),
      };
    },
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client!.clientId,
        accountId: ctx.oidc.session!.accountId!,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    cookies: { keys: ['oidc-test-cookie-key'] },
  });
  const callback = provider.callback();
  server.on('request', (req, res) => {
    // The provider's login page: log the current test account in without a form.
    if (req.url?.startsWith('/interaction/')) {
      provider
        .interactionFinished(req, res, { login: { accountId: account } }, { mergeWithLastSubmission: false })
        .catch((e: unknown) => {
          res.statusCode = 500;
          res.end(String(e));
        });
      return;
    }
    void callback(req, res);
  });
});

afterAll(async () => {
  await kino?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** The browser's cookies set by our authorize endpoint, by the state of their login. */
const jar = new Map<string, string>();

/** Starts a login at our authorize endpoint; returns the provider URL it redirects to. */
async function start(query = ''): Promise<string> {
  const res = await kino.app.inject({ method: 'GET', url: `/api/v1/auth/oauth/corp/authorize${query}` });
  expect(res.statusCode, res.body).toBe(302);
  const location = String(res.headers.location);
  const cookie = String(res.headers['set-cookie']);
  jar.set(new URL(location).searchParams.get('state')!, cookie.split(';')[0]!);
  return location;
}

/** Our callback as the browser that started the login calls it (with its cookie), or `as` another. */
function back(path: string, as: 'same browser' | 'another client' = 'same browser') {
  const state = new URL(path, kino.config.baseUrl).searchParams.get('state');
  const cookie = as === 'same browser' && state ? jar.get(state) : undefined;
  return kino.app.inject({ method: 'GET', url: path, headers: cookie ? { cookie } : {} });
}

/** Plays the browser at the provider until it redirects back to us; returns our callback path. */
async function atProvider(url: string): Promise<string> {
  const cookies = new Map<string, string>();
  let next = url;
  for (let i = 0; i < 10; i++) {
    if (!next.startsWith(issuer)) return next.slice(kino.config.baseUrl.length);
    const res = await fetch(next, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = pair!.split('=');
      cookies.set(k!, v ?? '');
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`provider stopped at ${res.status}: ${await res.text()}`);
    next = new URL(location, next).href;
  }
  throw new Error('too many redirects');
}

describe('social login with an OIDC provider', () => {
  it('authorize redirects with state, nonce and PKCE S256', async () => {
    const url = new URL(await start());
    expect(url.origin).toBe(issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('nonce')).toBeTruthy();
    expect(url.searchParams.get('redirect_uri')).toBe(
      `${kino.config.baseUrl}/api/v1/auth/oauth/corp/callback`,
    );
  });

  it('completes the code flow, creates the user once and returns working tokens', async () => {
    account = 'alice';
    const path = await atProvider(await start());
    const res = await back(path);
    expect(res.statusCode, res.body).toBe(200);
    const tokens = res.json<{ access_token: string; token_type: string }>();
    expect(tokens.token_type).toBe('Bearer');
    const me = await kino.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(me.json()).toMatchObject({
      email: 'alice@corp.example',
      email_verified: true,
      first_name: 'Corp',
    });
    const again = await back(await atProvider(await start()));
    const me2 = await kino.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: `Bearer ${again.json<{ access_token: string }>().access_token}` },
    });
    expect(me2.json<{ id: string }>().id).toBe(me.json<{ id: string }>().id);
    // Replaying the callback: the state was single use.
    const replay = await back(path);
    expect(replay.statusCode).toBe(400);
    expect(replay.json<{ code: string }>().code).toBe('OAUTH_STATE_INVALID');
  });

  it('redirects to an allow-listed front end with the tokens in the fragment', async () => {
    account = 'bob';
    const path = await atProvider(await start(`?redirect_uri=${encodeURIComponent(FRONT + '?next=/films')}`));
    const res = await back(path);
    expect(res.statusCode).toBe(302);
    const location = new URL(String(res.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(FRONT);
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get('access_token')).toBeTruthy();
    expect(fragment.get('refresh_token')).toBeTruthy();
    expect(location.search).not.toContain('token');
  });

  it('refuses a redirect outside the allow-list', async () => {
    for (const target of [
      'https://evil.example.com/login/done',
      'https://app.example.com.evil.com/login/done',
      'https://app.example.com/other',
      'https://user:pw@app.example.com/login/done',
      'javascript:alert(1)',
      // A prefix that is not a path segment, and encoded or dotted ways out of the allowed path.
      'https://app.example.com/login/doneEVIL',
      'https://app.example.com/login/done%2F..%2F..%2Fevil',
      'https://app.example.com/login/done/..%2F..%2Fevil',
      'https://app.example.com/login/done/%2e%2e/%2e%2e/evil',
      'https://app.example.com/login/done/../../evil',
      'https://app.example.com/login/done\\..\\evil',
      'https://app.example.com/login/done%5C..%5Cevil',
      'https://app.example.com:8443/login/done',
      'http://app.example.com/login/done',
    ]) {
      const res = await kino.app.inject({
        method: 'GET',
        url: `/api/v1/auth/oauth/corp/authorize?redirect_uri=${encodeURIComponent(target)}`,
      });
      expect(res.statusCode, target).toBe(400);
      expect(res.json<{ code: string }>().code).toBe('REDIRECT_NOT_ALLOWED');
    }
  });

  it('accepts the allowed URL itself, its query and a path below it', async () => {
    for (const target of [
      FRONT,
      `${FRONT}?next=/films`,
      `${FRONT}/deeper`,
      'HTTPS://APP.example.com/login/done',
    ]) {
      const res = await kino.app.inject({
        method: 'GET',
        url: `/api/v1/auth/oauth/corp/authorize?redirect_uri=${encodeURIComponent(target)}`,
      });
      expect(res.statusCode, target).toBe(302);
    }
  });

  it('binds the state to the starting browser: a callback completed by another client is refused', async () => {
    account = 'mallory';
    const url = await start();
    const cookie = jar.get(new URL(url).searchParams.get('state')!)!;
    // __Host- cookie: HttpOnly, SameSite=Lax (sent on the provider's top-level redirect), Path=/.
    const res0 = await kino.app.inject({ method: 'GET', url: '/api/v1/auth/oauth/corp/authorize' });
    const setCookie = String(res0.headers['set-cookie']);
    expect(setCookie).toMatch(
      /^__Host-kino-oauth-[A-Za-z0-9_-]{16}=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/,
    );
    // The attacker completes the login with their own account and sends the callback link to a
    // victim: the victim's browser has no cookie for that login (login CSRF, RFC 9700 §4.7).
    const path = await atProvider(url);
    const csrf = await back(path, 'another client');
    expect(csrf.statusCode).toBe(400);
    expect(csrf.json<{ code: string }>().code).toBe('OAUTH_STATE_INVALID');
    // Another login's cookie does not fit either.
    const other = await kino.app.inject({
      method: 'GET',
      url: path,
      headers: { cookie: cookie.replace(/=.*/, '=' + 'x'.repeat(43)) },
    });
    expect(other.json<{ code: string }>().code).toBe('OAUTH_STATE_INVALID');
    // The browser that started it still completes it, and the cookie is cleared.
    const ok = await back(path);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(String(ok.headers['set-cookie'])).toMatch(/Max-Age=0/);
  });

  it('refuses a bad or missing state', async () => {
    account = 'carol';
    const cb = new URL(await atProvider(await start()), kino.config.baseUrl);
    cb.searchParams.set('state', 'forged-state');
    const res = await back(cb.pathname + cb.search);
    expect(res.statusCode).toBe(400);
    expect(res.json<{ code: string }>().code).toBe('OAUTH_STATE_INVALID');
    cb.searchParams.delete('state');
    const none = await back(cb.pathname + cb.search);
    expect(none.json<{ code: string }>().code).toBe('OAUTH_STATE_INVALID');
  });

  it('refuses a code exchanged without its PKCE verifier (code injection)', async () => {
    account = 'dave';
    // The attacker's code (flow A) delivered with the victim's state (flow B): B's verifier does not match.
    const a = new URL(await atProvider(await start()), kino.config.baseUrl);
    const b = new URL(await atProvider(await start()), kino.config.baseUrl);
    const injected = new URLSearchParams(b.search);
    injected.set('code', a.searchParams.get('code')!);
    const res = await back(`${b.pathname}?${injected.toString()}`);
    expect(res.statusCode).toBe(401);
    expect(res.json<{ code: string }>().code).toBe('OAUTH_EXCHANGE_FAILED');

    // The stored verifier lost: the provider refuses the code.
    const c = new URL(await atProvider(await start()), kino.config.baseUrl);
    await kino.kernel.engines.sql.execute(`UPDATE auth.oauth_states SET code_verifier = 'x'`);
    const lost = await back(c.pathname + c.search);
    expect(lost.statusCode).toBe(401);
    expect(lost.json<{ code: string }>().code).toBe('OAUTH_EXCHANGE_FAILED');
  });

  it('answers 404 for a provider that is not configured', async () => {
    const res = await kino.app.inject({ method: 'GET', url: '/api/v1/auth/oauth/nope/authorize' });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ code: string }>().code).toBe('OAUTH_PROVIDER_UNKNOWN');
  });
});
