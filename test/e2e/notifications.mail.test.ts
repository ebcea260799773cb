/**
 * Mail on a real SMTP server (smtp-server started here): welcome, verification and reset mails
 * arrive with working links and RFC 8058 headers; the unsubscribe link stops that category.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp-server.js';
import { eventually } from '../helpers/engines.js';
import { registered, startNotifyKino, type NotifyKino } from './notifications.fixture.js';

describe('notifications: mail over SMTP', () => {
  let smtp: TestSmtpServer;
  let n: NotifyKino;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    n = await startNotifyKino({ env: { SMTP_URL: smtp.url, NOTIFY_RESET_URL: 'https://front.test/reset' } });
  });
  afterAll(async () => {
    await n?.close();
    await smtp?.close();
  });

  const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));
  const waitFor = (address: string, count: number) =>
    eventually(async () => {
      await n.settle();
      return mailsTo(address).length >= count ? mailsTo(address) : undefined;
    });

  it('sends the welcome mail with an unsubscribe link that stops the category', async () => {
    const user = registered({ firstName: 'Анна', locale: 'ru' });
    await n.emit('auth.user.registered', user.userId, user);
    const [mail] = (await waitFor(user.email, 1)) as ReceivedMail[];
    expect(mail!.parsed.subject).toBe('Добро пожаловать в Kinoservice, Анна!');
    expect(mail!.parsed.text).toContain(user.login);
    expect(mail!.parsed.html).toContain('<b>' + user.login + '</b>');
    expect(mail!.parsed.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const header = /^<(.+)>$/.exec(mail!.parsed.headers['list-unsubscribe'] ?? '')?.[1];
    expect(header).toMatch(/^https:\/\/cinema\.test\/api\/v1\/notifications\/unsubscribe\?token=/);
    expect(mail!.parsed.text).toContain(header);

    // The link works without logging in (RFC 8058 one-click POST).
    const url = new URL(header!);
    const res = await n.kino.app.inject({
      method: 'POST',
      url: url.pathname + url.search,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(res.statusCode).toBe(200);
    const prefs = await n.kino.app.inject({
      url: '/api/v1/notifications/preferences',
      headers: n.auth(user.userId),
    });
    expect(prefs.json<{ categories: Record<string, unknown> }>().categories.account).toEqual({
      email: false,
      in_app: true,
    });

    // A forged or altered token does nothing.
    const forged = await n.kino.app.inject({
      method: 'POST',
      // Alter the token's first character: every bit of it counts (the last base64url character
      // of a signature carries unused padding bits, so changing it may decode to the same bytes).
      url:
        url.pathname +
        url.search.replace(/(token=)(.)/, (_m, k: string, c: string) => k + (c === 'A' ? 'B' : 'A')),
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json<{ code: string }>().code).toBe('UNSUBSCRIBE_TOKEN_INVALID');

    // So is another spelling of the same signature bytes: the last character's unused bits changed,
    // or base64 padding added. A decoder reads them as the genuine signature; the link is refused.
    const [payload, mac] = url.searchParams.get('token')!.split('.') as [string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(mac.at(-1)!);
    for (const sig of [mac.slice(0, -1) + alphabet[last ^ 1], `${mac}=`]) {
      expect(Buffer.from(sig, 'base64url').equals(Buffer.from(mac, 'base64url'))).toBe(true);
      const respelled = await n.kino.app.inject({
        method: 'POST',
        url: `${url.pathname}?token=${encodeURIComponent(`${payload}.${sig}`)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });
      expect(respelled.statusCode, sig).toBe(400);
      expect(respelled.json<{ code: string }>().code).toBe('UNSUBSCRIBE_TOKEN_INVALID');
    }

    // A second welcome-category message (a replayed registration) is skipped by preference.
    await n.emit('auth.user.registered', `${user.userId}`, user);
    await n.settle();
    expect(mailsTo(user.email)).toHaveLength(1);
  });

  it('sends the verification mail with a working link, once even when the event is redelivered', async () => {
    const user = registered();
    await n.emit('auth.user.registered', user.userId, user);
    const token = `vt_${randomUUID()}+/=`;
    const payload = {
      userId: user.userId,
      email: user.email,
      login: user.login,
      token,
      expiresAt: '2026-03-02T10:15:00Z',
      locale: 'en',
    };
    const id = await n.emit('auth.email_verification.requested', user.userId, payload);
    const mails = await eventually(async () => {
      await n.settle();
      const found = mailsTo(user.email).filter((m) => m.parsed.subject === 'Confirm your email address');
      return found.length > 0 ? found : undefined;
    });
    const link = /https:\/\/\S+verify-email\?token=\S+/.exec(mails![0]!.parsed.text)?.[0];
    const url = new URL(link!);
    expect(url.origin + url.pathname).toBe('https://cinema.test/account/verify-email');
    expect(url.searchParams.get('token')).toBe(token);
    expect(mails![0]!.parsed.html).toContain(`href="${link!.replaceAll('&', '&amp;')}"`);

    // The same event again (the bus delivers at least once) makes no second mail.
    await n.kino.kernel.engines.bus.publish([
      {
        id,
        type: 'auth.email_verification.requested',
        key: user.userId,
        payload,
        occurredAt: new Date().toISOString(),
        headers: {},
      },
    ]);
    await n.kino.settle();
    await n.settle();
    expect(mailsTo(user.email).filter((m) => m.parsed.subject === 'Confirm your email address')).toHaveLength(
      1,
    );
  });

  it('sends the password reset mail to the front-end page, even to users who unsubscribed from everything', async () => {
    const user = registered({ locale: 'en' });
    await n.emit('auth.user.registered', user.userId, user);
    const put = await n.kino.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/preferences',
      headers: n.auth(user.userId),
      payload: {
        categories: {
          account: { email: false },
          social: { email: false },
          films: { email: false },
          news: { email: false },
        },
      },
    });
    expect(put.statusCode).toBe(200);
    const token = `rt_${randomUUID()}`;
    await n.emit('auth.password_reset.requested', user.userId, {
      userId: user.userId,
      email: user.email,
      login: user.login,
      token,
      expiresAt: '2026-03-02T10:15:00Z',
      locale: 'en',
    });
    const mails = await eventually(async () => {
      await n.settle();
      const found = mailsTo(user.email).filter((m) => m.parsed.subject === 'Reset your password');
      return found.length > 0 ? found : undefined;
    });
    const link = /https:\/\/front\.test\/reset\?token=\S+/.exec(mails![0]!.parsed.text)?.[0];
    expect(new URL(link!).searchParams.get('token')).toBe(token);
    // Security mails carry an unsubscribe link too; it turns off optional mail, never security mail.
    expect(mails![0]!.parsed.headers['list-unsubscribe']).toContain(
      '/api/v1/notifications/unsubscribe?token=',
    );
    // The token does not stay in the database once the mail is out.
    const [row] = await n.kino.kernel.engines.sql.query<{ data: unknown }>(
      `SELECT data FROM notify.delivery WHERE template = 'password_reset' AND user_id = $1`,
      [user.userId],
    );
    expect(JSON.stringify(row!.data)).not.toContain(token);
  });

  it('refuses to turn security mail off', async () => {
    const res = await n.kino.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/preferences',
      headers: n.auth(randomUUID()),
      payload: { categories: { security: { email: false } } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ code: string }>().code).toBe('CATEGORY_REQUIRED');
  });
});
