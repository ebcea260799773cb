/** HTTP routes of /api/v1/users/me*, and of password reset and email verification under /api/v1/auth/*. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { bearerSecurity } from '../../platform/http/openapi.js';
import { requireUser } from '../../platform/security.js';
import type { AuthService } from './auth.service.js';
import type { LimitedAction, RateLimiter } from './rate-limit.js';
import * as S from './auth.schemas.js';
import { platformErrors } from '../../platform/errors.js';
import { authErrors } from './auth.errors.js';

const tags = ['auth'];
const bearer = bearerSecurity;
const NoContent = { 204: Type.Null() };

/** A mail anyone may ask for by address; `status` is the answer whether or not it has an account. */
export interface MailRequest {
  readonly bucket: LimitedAction;
  readonly send: (email: string) => void;
  readonly status: string;
}

/** The mails of the API routes and the account pages: a password reset link, a new confirmation link. */
export const mailRequests = (auth: AuthService): { reset: MailRequest; verify: MailRequest } => ({
  reset: {
    bucket: 'reset',
    send: (email) => auth.forgotPassword(email),
    status: 'If the address belongs to a confirmed account, a reset link is on its way.',
  },
  verify: {
    bucket: 'verify',
    send: (email) => auth.resendVerification(email),
    status: 'If the address belongs to an unconfirmed account, a new link is on its way.',
  },
});

export function profileRoutes(deps: { auth: AuthService; limiter: RateLimiter }): FastifyPluginAsync {
  const { auth, limiter } = deps;
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const mails = mailRequests(auth);
    const mailRequest = (path: string, { bucket, send, status }: MailRequest) =>
      app.post(
        path,
        {
          schema: {
            'x-errors': [platformErrors.RATE_LIMITED, authErrors.EMAIL_INVALID],
            tags,
            body: Type.Object({ email: S.Email }, { additionalProperties: false }),
            response: { 202: Type.Object({ status: Type.String() }) },
          },
        },
        async (request, reply) => {
          await limiter.hit(bucket, request.ip);
          send(request.body.email);
          return reply.code(202).send({ status });
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
          'x-errors': [
            authErrors.EMAIL_INVALID,
            authErrors.EMAIL_TAKEN,
            authErrors.REAUTHENTICATION_REQUIRED,
            authErrors.MFA_CODE_INVALID,
            authErrors.INVALID_CREDENTIALS,
            authErrors.ACCOUNT_LOCKED,
          ],
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
          'x-errors': [authErrors.LOGIN_TAKEN, authErrors.INVALID_CREDENTIALS, authErrors.ACCOUNT_LOCKED],
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
          'x-errors': [
            authErrors.INVALID_CREDENTIALS,
            authErrors.ACCOUNT_LOCKED,
            authErrors.PASSWORD_TOO_SHORT,
            authErrors.PASSWORD_TOO_LONG,
            authErrors.PASSWORD_TOO_COMMON,
          ],
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

    mailRequest('/api/v1/auth/password/forgot', mails.reset);

    app.post(
      '/api/v1/auth/password/reset',
      {
        schema: {
          'x-errors': [
            platformErrors.RATE_LIMITED,
            authErrors.RESET_TOKEN_INVALID,
            authErrors.PASSWORD_TOO_SHORT,
            authErrors.PASSWORD_TOO_LONG,
            authErrors.PASSWORD_TOO_COMMON,
          ],
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
          'x-errors': [platformErrors.RATE_LIMITED, authErrors.VERIFICATION_TOKEN_INVALID],
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

    mailRequest('/api/v1/auth/verify-email/resend', mails.verify);

    app.post(
      '/api/v1/auth/email/revert',
      {
        schema: {
          'x-errors': [platformErrors.RATE_LIMITED, authErrors.REVERT_TOKEN_INVALID],
          tags,
          body: S.TokenBody,
          response: NoContent,
        },
      },
      async (request, reply) => {
        await limiter.hit('verify', request.ip);
        await auth.revertEmail(request.body.token);
        return reply.code(204).send(null);
      },
    );
  };
}
