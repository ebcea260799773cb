/** The social login routes: start a login at a provider, and its callback. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Config } from '../../platform/config.js';
import { platformErrors } from '../../platform/errors.js';
import { authErrors } from './auth.errors.js';
import { clientOf } from './auth.routes.js';
import * as S from './auth.schemas.js';
import type { OAuthService } from './oauth.service.js';
import type { RateLimiter } from './rate-limit.js';

export function oauthRoutes(deps: {
  oauth: OAuthService;
  limiter: RateLimiter;
  config: Config;
}): FastifyPluginAsync {
  const { oauth, limiter, config } = deps;
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const Params = Type.Object({ provider: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }) });

    app.get(
      '/api/v1/auth/oauth/:provider/authorize',
      {
        schema: {
          'x-errors': [
            platformErrors.RATE_LIMITED,
            authErrors.OAUTH_PROVIDER_UNKNOWN,
            authErrors.REDIRECT_NOT_ALLOWED,
            authErrors.OAUTH_PROVIDER_UNAVAILABLE,
          ],
          tags: ['auth'],
          params: Params,
          querystring: Type.Object({ redirect_uri: Type.Optional(Type.String({ maxLength: 2000 })) }),
          response: { 302: Type.Null() },
        },
      },
      async (request, reply) => {
        await limiter.hit('oauth', request.ip);
        const { location, cookie } = await oauth.authorize(
          request.params.provider,
          request.query.redirect_uri,
        );
        // SameSite=Lax: the cookie comes back on the provider's top-level redirect to the callback.
        void reply.header('set-cookie', oauth.bindingCookie(cookie));
        return reply.redirect(location, 302);
      },
    );

    app.get(
      '/api/v1/auth/oauth/:provider/callback',
      {
        schema: {
          'x-errors': [
            platformErrors.RATE_LIMITED,
            authErrors.OAUTH_PROVIDER_UNKNOWN,
            authErrors.OAUTH_STATE_INVALID,
            authErrors.OAUTH_DENIED,
            authErrors.OAUTH_EXCHANGE_FAILED,
            authErrors.OAUTH_PROFILE_FAILED,
            authErrors.ACCOUNT_GONE,
            authErrors.OAUTH_PROVIDER_UNAVAILABLE,
          ],
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
        if (state) void reply.header('set-cookie', oauth.clearBinding(state));
        const { tokens, returnTo } = await oauth.callback(
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
}
