/** HTTP routes of registration, login, tokens and sessions under /api/v1/auth/*, and /.well-known/jwks.json. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requireUser } from '../../platform/security.js';
import type { AuthService, ClientInfo } from './auth.service.js';
import type { KeyStore } from './keys.js';
import { platformErrors } from '../../platform/errors.js';
import { authErrors } from './auth.errors.js';
import type { RateLimiter } from './rate-limit.js';
import * as S from './auth.schemas.js';
import { bearerSecurity } from '../../platform/http/openapi.js';

export const clientOf = (request: FastifyRequest): ClientInfo => {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
};

const tags = ['auth'];
const bearer = bearerSecurity;
const NoContent = { 204: Type.Null() };

export function authRoutes(deps: {
  auth: AuthService;
  keys: KeyStore;
  limiter: RateLimiter;
}): FastifyPluginAsync {
  const { auth, keys, limiter } = deps;
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.get('/.well-known/jwks.json', { schema: { tags, hide: false } }, async (_req, reply) => {
      void reply.header('cache-control', 'public, max-age=300');
      return keys.jwks();
    });

    app.post(
      '/api/v1/auth/register',
      {
        schema: {
          'x-errors': [
            platformErrors.RATE_LIMITED,
            authErrors.EMAIL_INVALID,
            authErrors.PASSWORD_TOO_SHORT,
            authErrors.PASSWORD_TOO_LONG,
            authErrors.PASSWORD_TOO_COMMON,
            authErrors.LOGIN_TAKEN,
            authErrors.EMAIL_TAKEN,
          ],
          tags,
          body: S.RegisterBody,
          response: { 201: S.RegisterReply },
        },
      },
      async (request, reply) => {
        await limiter.hit('register', request.ip);
        const { user, tokens } = await auth.register(request.body, clientOf(request));
        return reply.code(201).send({ user, ...tokens });
      },
    );

    app.post(
      '/api/v1/auth/login',
      {
        schema: {
          'x-errors': [
            platformErrors.RATE_LIMITED,
            authErrors.INVALID_CREDENTIALS,
            authErrors.ACCOUNT_LOCKED,
          ],
          tags,
          body: S.LoginBody,
          response: { 200: S.LoginReply },
        },
      },
      async (request) => {
        await limiter.hit('login', request.ip);
        return auth.login(request.body, clientOf(request));
      },
    );

    app.post(
      '/api/v1/auth/login/mfa',
      {
        schema: {
          'x-errors': [
            platformErrors.RATE_LIMITED,
            authErrors.MFA_TOKEN_INVALID,
            authErrors.MFA_CODE_INVALID,
            authErrors.ACCOUNT_GONE,
            authErrors.ACCOUNT_LOCKED,
          ],
          tags,
          body: S.MfaBody,
          response: { 200: S.TokenPair },
        },
      },
      async (request) => {
        await limiter.hit('mfa', request.ip);
        return auth.loginMfa(request.body, clientOf(request));
      },
    );

    app.post(
      '/api/v1/auth/refresh',
      {
        schema: {
          'x-errors': [
            platformErrors.RATE_LIMITED,
            authErrors.REFRESH_TOKEN_INVALID,
            authErrors.REFRESH_TOKEN_REUSED,
            authErrors.REFRESH_TOKEN_ROTATED,
            authErrors.SESSION_ENDED,
            authErrors.ACCOUNT_GONE,
          ],
          tags,
          body: S.RefreshBody,
          response: { 200: S.TokenPair },
        },
      },
      async (request) => {
        await limiter.hit('refresh', request.ip);
        return auth.refresh(request.body.refresh_token);
      },
    );

    for (const [path, scope] of [
      ['/api/v1/auth/logout', 'current'],
      ['/api/v1/auth/logout-others', 'others'],
      ['/api/v1/auth/logout-all', 'all'],
    ] as const) {
      app.post(path, { schema: { tags, security: bearer, response: NoContent } }, async (request, reply) => {
        const p = request.principal;
        requireUser(p);
        await auth.logout(p.userId, p.sessionId, scope);
        return reply.code(204).send(null);
      });
    }

    app.get(
      '/api/v1/auth/sessions',
      { schema: { tags, security: bearer, response: { 200: Type.Array(S.Session) } } },
      async (request) => {
        const p = request.principal;
        requireUser(p);
        const rows = await auth.listSessions(p.userId);
        return rows.map((s) => ({ ...s, current: s.id === p.sessionId }));
      },
    );

    app.delete(
      '/api/v1/auth/sessions/:id',
      {
        schema: {
          'x-errors': [authErrors.SESSION_NOT_FOUND],
          tags,
          security: bearer,
          params: S.IdParams,
          response: NoContent,
        },
      },
      async (request, reply) => {
        const p = request.principal;
        requireUser(p);
        await auth.endSession(p.userId, request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/api/v1/auth/history',
      {
        schema: {
          tags,
          security: bearer,
          querystring: S.Paging,
          response: { 200: Type.Array(S.HistoryEntry) },
        },
      },
      async (request, reply) => {
        const p = request.principal;
        requireUser(p);
        const { rows, total } = await auth.history(
          p.userId,
          request.query.page_number,
          request.query.page_size,
        );
        void reply.header('x-total-count', String(total));
        return rows;
      },
    );
  };
}
