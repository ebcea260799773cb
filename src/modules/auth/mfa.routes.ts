/** HTTP routes of /api/v1/auth/mfa/totp/*: setting up, turning on and off two-factor authentication. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { bearerSecurity } from '../../platform/http/openapi.js';
import { requireUser } from '../../platform/security.js';
import type { AuthService } from './auth.service.js';
import type { RateLimiter } from './rate-limit.js';
import * as S from './auth.schemas.js';
import { platformErrors } from '../../platform/errors.js';
import { authErrors } from './auth.errors.js';

const tags = ['auth'];
const bearer = bearerSecurity;
const NoContent = { 204: Type.Null() };

export function mfaRoutes(deps: { auth: AuthService; limiter: RateLimiter }): FastifyPluginAsync {
  const { auth, limiter } = deps;
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/api/v1/auth/mfa/totp/setup',
      {
        schema: {
          'x-errors': [authErrors.MFA_ALREADY_ENABLED],
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
          'x-errors': [
            platformErrors.RATE_LIMITED,
            authErrors.MFA_ALREADY_ENABLED,
            authErrors.MFA_NOT_SET_UP,
            authErrors.MFA_CODE_INVALID,
          ],
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
          'x-errors': [
            platformErrors.RATE_LIMITED,
            authErrors.MFA_NOT_ENABLED,
            authErrors.MFA_CODE_INVALID,
            authErrors.INVALID_CREDENTIALS,
            authErrors.ACCOUNT_LOCKED,
          ],
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
