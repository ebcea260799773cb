/**
 * The pages mailed links lead to, under /account/ (the viewer app owns `/`): set a new password,
 * confirm an address (a GET only shows the page; the POST from its button spends the token, so
 * mail scanners that follow links spend nothing), ask for a new link, undo an email change.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../platform/errors.js';
import { renderPage, STYLESHEET, type Form, type Page } from './account.pages.js';
import { FORGOT_STATUS, RESEND_STATUS } from './profile.routes.js';
import type { AuthService } from './auth.service.js';
import type { RateLimiter } from './rate-limit.js';

const Token = Type.String({ minLength: 1, maxLength: 200 });
const Field = Type.String({ maxLength: 1024 });
const TokenQuery = Type.Object({ token: Type.Optional(Token) });
const hide = { hide: true };

const emailField = { name: 'email', label: 'Email', type: 'email', autocomplete: 'email' } as const;
const forgotForm: Form = {
  action: '/account/forgot-password',
  intro: 'Ask for a new reset link:',
  submit: 'Send me a reset link',
  fields: [emailField],
};
const resendForm: Form = {
  action: '/account/resend-verification',
  intro: 'Ask for a new confirmation link:',
  submit: 'Send me a new link',
  fields: [emailField],
};
const resetForm = (token: string): Form => ({
  action: '/account/reset-password',
  submit: 'Set the password',
  hidden: { token },
  fields: [
    { name: 'new_password', label: 'New password', type: 'password', autocomplete: 'new-password' },
    { name: 'confirm_password', label: 'The same again', type: 'password', autocomplete: 'new-password' },
  ],
});

function show(reply: FastifyReply, page: Page, status = 200) {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(renderPage(page));
}

/** Runs `action`; an AppError becomes the page `onError` builds, with the error's status. */
async function attempt(reply: FastifyReply, action: () => Promise<Page>, onError: (message: string) => Page) {
  try {
    return show(reply, await action());
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    for (const [name, value] of Object.entries(error.headers ?? {})) void reply.header(name, value);
    return show(reply, { ...onError(error.message), tone: 'error' }, error.status);
  }
}

export function accountRoutes(deps: { auth: AuthService; limiter: RateLimiter }): FastifyPluginAsync {
  const { auth, limiter } = deps;
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    // Browsers post forms urlencoded; one value per name (the last wins).
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16_384 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );

    app.get('/account/account.css', { schema: hide }, async (_request, reply) =>
      reply
        .header('content-type', 'text/css; charset=utf-8')
        .header('cache-control', 'public, max-age=3600')
        .send(STYLESHEET),
    );

    app.get(
      '/account/reset-password',
      { schema: { ...hide, querystring: TokenQuery } },
      async (request, reply) =>
        request.query.token
          ? show(reply, { title: 'Choose a new password', forms: [resetForm(request.query.token)] })
          : show(reply, {
              title: 'Reset your password',
              message: 'Open this page from the link in your reset mail, or ask for a new one.',
              forms: [forgotForm],
            }),
    );

    app.post(
      '/account/reset-password',
      {
        schema: {
          ...hide,
          body: Type.Object({ token: Token, new_password: Field, confirm_password: Field }),
        },
      },
      async (request, reply) => {
        const { token, new_password, confirm_password } = request.body;
        if (new_password !== confirm_password)
          return show(
            reply,
            {
              title: 'Choose a new password',
              message: 'The two passwords differ.',
              tone: 'error',
              forms: [resetForm(token)],
            },
            400,
          );
        return attempt(
          reply,
          async () => {
            await limiter.hit('reset', request.ip);
            await auth.resetPassword(token, new_password);
            return { title: 'Password changed', message: 'Your new password is set: log in with it.' };
          },
          (message) => ({
            title: 'Choose a new password',
            message,
            forms: message.includes('link') ? [forgotForm] : [resetForm(token)],
          }),
        );
      },
    );

    app.post(
      '/account/forgot-password',
      { schema: { ...hide, body: Type.Object({ email: Field }) } },
      async (request, reply) =>
        attempt(
          reply,
          async () => {
            await limiter.hit('reset', request.ip);
            auth.forgotPassword(request.body.email);
            return { title: 'Check your mail', message: FORGOT_STATUS };
          },
          (message) => ({ title: 'Reset your password', message, forms: [forgotForm] }),
        ),
    );

    app.get(
      '/account/verify-email',
      { schema: { ...hide, querystring: TokenQuery } },
      async (request, reply) =>
        request.query.token
          ? show(reply, {
              title: 'Confirm your address',
              message: 'Press the button to confirm that this address is yours.',
              forms: [
                {
                  action: '/account/verify-email',
                  submit: 'Confirm my address',
                  hidden: { token: request.query.token },
                },
              ],
            })
          : show(reply, {
              title: 'Confirm your address',
              message: 'Open this page from the link in your confirmation mail, or ask for a new one.',
              forms: [resendForm],
            }),
    );

    app.post(
      '/account/verify-email',
      { schema: { ...hide, body: Type.Object({ token: Token }) } },
      async (request, reply) =>
        attempt(
          reply,
          async () => {
            await limiter.hit('verify', request.ip);
            await auth.verifyEmail(request.body.token);
            return { title: 'Address confirmed', message: 'Thank you: your email address is confirmed.' };
          },
          (message) => ({ title: 'Confirm your address', message, forms: [resendForm] }),
        ),
    );

    app.post(
      '/account/resend-verification',
      { schema: { ...hide, body: Type.Object({ email: Field }) } },
      async (request, reply) =>
        attempt(
          reply,
          async () => {
            await limiter.hit('verify', request.ip);
            auth.resendVerification(request.body.email);
            return { title: 'Check your mail', message: RESEND_STATUS };
          },
          (message) => ({ title: 'Confirm your address', message, forms: [resendForm] }),
        ),
    );

    app.get(
      '/account/email-change',
      { schema: { ...hide, querystring: TokenQuery } },
      async (request, reply) =>
        show(reply, {
          title: 'Undo the email change',
          message: request.query.token
            ? 'If you did not change the email address of your account, undo it: your previous address comes back and every session ends.'
            : 'Open this page from the link in the mail about the change.',
          forms: request.query.token
            ? [
                {
                  action: '/account/email-change',
                  submit: 'Undo the change',
                  hidden: { token: request.query.token },
                },
              ]
            : [],
        }),
    );

    app.post(
      '/account/email-change',
      { schema: { ...hide, body: Type.Object({ token: Token }) } },
      async (request, reply) =>
        attempt(
          reply,
          async () => {
            await limiter.hit('verify', request.ip);
            await auth.revertEmail(request.body.token);
            return {
              title: 'Change undone',
              message:
                'Your previous address is back and every session has ended. If you did not make the change, set a new password now.',
              forms: [forgotForm],
            };
          },
          (message) => ({ title: 'Undo the email change', message }),
        ),
    );
  };
}
