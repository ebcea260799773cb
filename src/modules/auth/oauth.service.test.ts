/** Social login state on a real database: the redirect allow-list, the browser binding, single use. */
import { beforeAll, describe, expect, it } from 'vitest';
import { client, useAuthTestContext, logger } from '../../../test/helpers/auth.js';
import { hashToken, randomToken } from './crypto.js';
import { createOAuthRepository } from './oauth.repository.js';
import { redirectAllowed } from './oauth.providers.js';
import { createOAuthService, type OAuthService } from './oauth.service.js';

const FRONT = 'https://app.example.com/login/done';
const t = useAuthTestContext({
  // Never reached: every case here ends before the provider is asked.
  AUTH_OAUTH_PROVIDERS: JSON.stringify({ corp: { issuer: 'http://127.0.0.1:9', client_id: 'kino' } }),
  AUTH_REDIRECT_URLS: FRONT,
});
let oauth: OAuthService;

beforeAll(() => {
  oauth = createOAuthService({
    sql: t.sql,
    clock: t.clock,
    logger,
    config: t.config,
    accounts: t.auth,
    sessions: t.auth,
  });
});

/** A login attempt as `authorize` stores it, and the cookie header of the browser that started it. */
async function attempt(provider = 'corp') {
  const state = randomToken(16);
  const browser = randomToken(32);
  await createOAuthRepository(t.sql).insertState({
    stateHash: hashToken(state),
    provider,
    codeVerifier: 'v',
    nonce: 'n',
    returnTo: null,
    expiresAt: new Date(t.clock.now().getTime() + 600_000),
    browserHash: hashToken(browser),
  });
  const cookie = oauth.bindingCookie({ name: cookieName(state), value: browser }).split(';')[0]!;
  return { state, cookie };
}
const cookieName = (state: string) => oauth.clearBinding(state).split('=')[0]!;
const callbackUrl = (query: Record<string, string>) =>
  new URL(`${t.config.baseUrl}/api/v1/auth/oauth/corp/callback?${new URLSearchParams(query).toString()}`);

describe('redirectAllowed', () => {
  it('allows the allow-listed address and paths below it only', () => {
    expect(redirectAllowed(FRONT, [FRONT])).toBe(true);
    expect(redirectAllowed(`${FRONT}/deeper?x=1`, [FRONT])).toBe(true);
    expect(redirectAllowed('https://app.example.com/login/doneEVIL', [FRONT])).toBe(false);
    expect(redirectAllowed('https://evil.example.com/login/done', [FRONT])).toBe(false);
    expect(redirectAllowed('https://app.example.com/login/done/%2e%2e/admin', [FRONT])).toBe(false);
    expect(redirectAllowed('https://user:pw@app.example.com/login/done', [FRONT])).toBe(false);
    expect(redirectAllowed('javascript:alert(1)', [FRONT])).toBe(false);
  });
});

describe('OAuth service', () => {
  it('refuses an unknown provider and a return address off the allow-list, before asking the provider', async () => {
    await expect(oauth.authorize('nope', undefined)).rejects.toMatchObject({
      code: 'OAUTH_PROVIDER_UNKNOWN',
    });
    await expect(oauth.authorize('corp', 'https://evil.example.com/')).rejects.toMatchObject({
      code: 'REDIRECT_NOT_ALLOWED',
    });
  });

  it('accepts a callback only from the browser that started the attempt', async () => {
    const { state } = await attempt();
    const other = `${cookieName(state)}=${randomToken(32)}`;
    const url = callbackUrl({ state, error: 'access_denied' });
    await expect(oauth.callback('corp', url, client, other)).rejects.toMatchObject({
      code: 'OAUTH_STATE_INVALID',
    });
    await expect(oauth.callback('corp', url, client, undefined)).rejects.toMatchObject({
      code: 'OAUTH_STATE_INVALID',
    });
  });

  it('uses a state once, for its own provider only', async () => {
    const { state, cookie } = await attempt();
    const url = callbackUrl({ state, error: 'access_denied' });
    await expect(oauth.callback('other', url, client, cookie)).rejects.toMatchObject({
      code: 'OAUTH_PROVIDER_UNKNOWN',
    });
    await expect(oauth.callback('corp', url, client, `a=b; ${cookie}`)).rejects.toMatchObject({
      code: 'OAUTH_DENIED',
    });
    await expect(oauth.callback('corp', url, client, cookie)).rejects.toMatchObject({
      code: 'OAUTH_STATE_INVALID',
    });
  });

  it('refuses a state past its lifetime', async () => {
    const { state, cookie } = await attempt();
    t.clock.advance(601_000);
    await expect(oauth.callback('corp', callbackUrl({ state }), client, cookie)).rejects.toMatchObject({
      code: 'OAUTH_STATE_INVALID',
    });
  });
});
