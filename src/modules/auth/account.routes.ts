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
import { mailRequests, type MailRequest } from './profile.routes.js';
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

    const mails = mailRequests(auth);
    /** A form that asks for a mail; a refusal shows `retry.form` again under `retry.title`. */
    const mailRequest = (
      path: string,
      { bucket, send, status }: MailRequest,
      retry: { title: string; form: Form },
    ) =>
      app.post(path, { schema: { ...hide, body: Type.Object({ email: Field }) } }, async (request, reply) =>
        attempt(
          reply,
          async () => {
            await limiter.hit(bucket, request.ip);
            send(request.body.email);
            return { title: 'Check your mail', message: status };
          },
          (message) => ({ title: retry.title, message, forms: [retry.form] }),
        ),
      );

    /**
     * The page a mailed link opens: the GET shows a button and spends nothing (mail scanners
     * follow links); the POST from the button spends the token. Without a token, or after a
     * refusal, the page offers `retry`.
     */
    const linkPage = (
      path: string,
      page: {
        title: string;
        prompt: string;
        submit: string;
        missing: string;
        retry: Form[];
        spend: (token: string) => Promise<void>;
        done: Page;
      },
    ) => {
      app.get(path, { schema: { ...hide, querystring: TokenQuery } }, async (request, reply) => {
        const token = request.query.token;
        return show(
          reply,
          token
            ? {
                title: page.title,
                message: page.prompt,
                forms: [{ action: path, submit: page.submit, hidden: { token } }],
              }
            : { title: page.title, message: page.missing, forms: page.retry },
        );
      });
      app.post(path, { schema: { ...hide, body: Type.Object({ token: Token }) } }, async (request, reply) =>
        attempt(
          reply,
          async () => {
            await limiter.hit('verify', request.ip);
            await page.spend(request.body.token);
            return page.done;
          },
          (message) => ({ title: page.title, message, forms: page.retry }),
        ),
      );
    };

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

    mailRequest('/account/forgot-password', mails.reset, { title: 'Reset your password', form: forgotForm });

    linkPage('/account/verify-email', {
      title: 'Confirm your address',
      prompt: 'Press the button to confirm that this address is yours.',
      submit: 'Confirm my address',
      missing: 'Open this page from the link in your confirmation mail, or ask for a new one.',
      retry: [resendForm],
      spend: (token) => auth.verifyEmail(token),
      done: { title: 'Address confirmed', message: 'Thank you: your email address is confirmed.' },
    });

    mailRequest('/account/resend-verification', mails.verify, {
      title: 'Confirm your address',
      form: resendForm,
    });

    linkPage('/account/email-change', {
      title: 'Undo the email change',
      prompt:
        'If you did not change the email address of your account, undo it: your previous address comes back and every session ends.',
      submit: 'Undo the change',
      missing: 'Open this page from the link in the mail about the change.',
      retry: [],
      spend: (token) => auth.revertEmail(token),
      done: {
        title: 'Change undone',
        message:
          'Your previous address is back and every session has ended. If you did not make the change, set a new password now.',
        forms: [forgotForm],
      },
    });
  };
}
