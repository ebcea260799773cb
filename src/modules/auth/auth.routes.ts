/** HTTP routes of /api/v1/auth/*, /api/v1/users/me* and /.well-known/jwks.json. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requireUser } from '../../platform/security.js';
import type { AuthService, ClientInfo } from './auth.service.js';
import type { KeyStore } from './keys.js';
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
/** The same answer whether or not the address has an account. */
export const FORGOT_STATUS = 'If the address belongs to a confirmed account, a reset link is on its way.';
export const RESEND_STATUS = 'If the address belongs to an unconfirmed account, a new link is on its way.';

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
      { schema: { tags, body: S.RegisterBody, response: { 201: S.RegisterReply } } },
      async (request, reply) => {
        await limiter.hit('register', request.ip);
        const { user, tokens } = await auth.register(request.body, clientOf(request));
        return reply.code(201).send({ user, ...tokens });
      },
    );

    app.post(
      '/api/v1/auth/login',
      { schema: { tags, body: S.LoginBody, response: { 200: S.LoginReply } } },
      async (request) => {
        await limiter.hit('login', request.ip);
        return auth.login(request.body, clientOf(request));
      },
    );

    app.post(
      '/api/v1/auth/login/mfa',
      { schema: { tags, body: S.MfaBody, response: { 200: S.TokenPair } } },
      async (request) => {
        await limiter.hit('mfa', request.ip);
        return auth.loginMfa(request.body, clientOf(request));
      },
    );

    app.post(
      '/api/v1/auth/refresh',
      { schema: { tags, body: S.RefreshBody, response: { 200: S.TokenPair } } },
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
      { schema: { tags, security: bearer, params: S.IdParams, response: NoContent } },
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

    app.get(
      '/api/v1/users/me',
      { schema: { tags, security: bearer, response: { 200: S.User } } },
      async (request) => {
        const p = request.principal;
        requireUser(p);
        return auth.me(p.userId);
      },
    );

    app.patch(
      '/api/v1/users/me',
      {
        schema: {
          tags,
          security: bearer,
          body: Type.Object(
            {
              first_name: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 100 })])),
              last_name: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 100 })])),
              email: Type.Optional(S.Email),
              current_password: Type.Optional(S.Password),
              mfa_code: Type.Optional(Type.String({ minLength: 6, maxLength: 20 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: S.User },
        },
      },
      async (request) => {
        const p = request.principal;
        requireUser(p);
        return auth.updateMe(p.userId, request.body);
      },
    );

    app.put(
      '/api/v1/users/me/login',
      {
        schema: {
          tags,
          security: bearer,
          body: Type.Object({ login: S.Login, password: S.Password }, { additionalProperties: false }),
          response: { 200: S.User },
        },
      },
      async (request) => {
        const p = request.principal;
        requireUser(p);
        return auth.changeLogin(p.userId, request.body.login, request.body.password);
      },
    );

    app.put(
      '/api/v1/users/me/password',
      {
        schema: {
          tags,
          security: bearer,
          body: Type.Object(
            { old_password: S.Password, new_password: S.Password },
            { additionalProperties: false },
          ),
          response: NoContent,
        },
      },
      async (request, reply) => {
        const p = request.principal;
        requireUser(p);
        await auth.changePassword(
          p.userId,
          p.sessionId,
          request.body.old_password,
          request.body.new_password,
        );
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/api/v1/auth/password/forgot',
      {
        schema: {
          tags,
          body: Type.Object({ email: S.Email }, { additionalProperties: false }),
          response: { 202: Type.Object({ status: Type.String() }) },
        },
      },
      async (request, reply) => {
        await limiter.hit('reset', request.ip);
        auth.forgotPassword(request.body.email);
        return reply.code(202).send({ status: FORGOT_STATUS });
      },
    );

    app.post(
      '/api/v1/auth/password/reset',
      {
        schema: {
          tags,
          body: Type.Object(
            { token: Type.String({ minLength: 1, maxLength: 200 }), new_password: S.Password },
            { additionalProperties: false },
          ),
          response: NoContent,
        },
      },
      async (request, reply) => {
        await limiter.hit('reset', request.ip);
        await auth.resetPassword(request.body.token, request.body.new_password);
        return reply.code(204).send(null);
      },
    );

    // Links mailed before the confirmation page existed: show the page, never spend the token
    // on a GET (mail scanners follow links).
    app.get(
      '/api/v1/auth/verify-email',
      { schema: { tags, querystring: S.TokenQuery, response: { 303: Type.Null() } } },
      async (request, reply) =>
        reply
          .code(303)
          .header('location', `/account/verify-email?token=${encodeURIComponent(request.query.token)}`)
          .send(null),
    );

    app.post(
      '/api/v1/auth/verify-email',
      {
        schema: {
          tags,
          body: S.TokenBody,
          response: { 200: Type.Object({ email_verified: Type.Boolean() }) },
        },
      },
      async (request) => {
        await limiter.hit('verify', request.ip);
        await auth.verifyEmail(request.body.token);
        return { email_verified: true };
      },
    );

    app.post(
      '/api/v1/auth/verify-email/resend',
      {
        schema: {
          tags,
          body: Type.Object({ email: S.Email }, { additionalProperties: false }),
          response: { 202: Type.Object({ status: Type.String() }) },
        },
      },
      async (request, reply) => {
        await limiter.hit('verify', request.ip);
        auth.resendVerification(request.body.email);
        return reply.code(202).send({ status: RESEND_STATUS });
      },
    );

    app.post(
      '/api/v1/auth/email/revert',
      { schema: { tags, body: S.TokenBody, response: NoContent } },
      async (request, reply) => {
        await limiter.hit('verify', request.ip);
        await auth.revertEmail(request.body.token);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/api/v1/auth/mfa/totp/setup',
      {
        schema: {
          tags,
          security: bearer,
          response: { 200: Type.Object({ secret: Type.String(), otpauth_url: Type.String() }) },
        },
      },
      async (request) => {
        const p = request.principal;
        requireUser(p);
        return auth.totpSetup(p.userId);
      },
    );

    app.post(
      '/api/v1/auth/mfa/totp/enable',
      {
        schema: {
          tags,
          security: bearer,
          body: Type.Object(
            { code: Type.String({ minLength: 6, maxLength: 6 }) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ recovery_codes: Type.Array(Type.String()) }) },
        },
      },
      async (request) => {
        const p = request.principal;
        requireUser(p);
        await limiter.hit('mfa', request.ip);
        return auth.totpEnable(p.userId, request.body.code);
      },
    );

    app.post(
      '/api/v1/auth/mfa/totp/disable',
      {
        schema: {
          tags,
          security: bearer,
          body: Type.Object(
            { password: S.Password, code: Type.String({ minLength: 6, maxLength: 20 }) },
            { additionalProperties: false },
          ),
          response: NoContent,
        },
      },
      async (request, reply) => {
        const p = request.principal;
        requireUser(p);
        await limiter.hit('mfa', request.ip);
        await auth.totpDisable(p.userId, request.body.password, request.body.code);
        return reply.code(204).send(null);
      },
    );
  };
}
