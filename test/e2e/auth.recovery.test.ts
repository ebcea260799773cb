/**
 * Account recovery as an attacker and a person with a mailbox meet it: a started server over
 * HTTP, mails read from the outbox folder (.eml files) and their links followed as a browser
 * does (GET the page, post its form). Issues #16 (items 7, 8, 16) and #28 (items 1, 2, 6).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/platform/clock.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { eventually } from '../helpers/engines.js';
import { parseMail, type ParsedMail } from '../helpers/smtp-server.js';

const PASSWORD = 'correct horse battery staple';
let kino: TestKino;
let base: string;
let offset = 0;
/** Real time, moved forward on demand (past the one-mail-a-minute cooldown). */
const clock: Clock = { now: () => new Date(Date.now() + offset) };
const later = (seconds: number) => (offset += seconds * 1000);

beforeAll(async () => {
  kino = await createTestKino({
    modules: ['auth', 'notifications'],
    env: { KINO_RATE_LIMIT: 'off', PUBLIC_URL: 'https://cinema.test' },
    clock,
  });
  await kino.app.listen({ host: '127.0.0.1', port: 0 });
  const address = kino.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}, 180_000);
afterAll(async () => {
  await kino?.close();
});

let n = 0;
const uniqueLogin = (prefix: string) => `${prefix}${++n}${Date.now().toString(36)}`;

async function api(method: string, url: string, body?: unknown, token?: string) {
  const res = await fetch(base + url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    redirect: 'manual',
  });
  const text = await res.text();
  const json = (() => {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return {};
    }
  })();
  return { status: res.status, headers: res.headers, text, json };
}

/** Posts a page's form as a browser does (urlencoded), following nothing. */
async function submit(url: string, fields: Record<string, string>) {
  const res = await fetch(base + url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The form on an HTML page: its action and hidden fields. */
function formOf(html: string): { action: string; hidden: Record<string, string> } {
  const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html);
  expect(form, html).not.toBeNull();
  const hidden: Record<string, string> = {};
  for (const m of form![2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    hidden[m[1]!] = m[2]!.replaceAll('&amp;', '&');
  return { action: form![1]!, hidden };
}

async function mails(): Promise<ParsedMail[]> {
  const dir = path.join(kino.dataDir, 'mail');
  const names = await readdir(dir).catch(() => [] as string[]);
  // Oldest first: the file adapter names files by a hash, so order by when each was written.
  const files = await Promise.all(
    names
      .filter((f) => f.endsWith('.eml'))
      .map(async (f) => {
        const file = path.join(dir, f);
        return { at: (await stat(file)).mtimeMs, mail: parseMail(await readFile(file, 'utf8')) };
      }),
  );
  return files.sort((a, b) => a.at - b.at).map((f) => f.mail);
}

/**
 * Everything in flight delivered: auth's background work, the events it emitted, and the mails
 * they queued (sent here; rows the delivery worker's own loop is sending are waited for).
 */
const settle = async () => {
  await kino.kernel.services.require('auth').auth.settle();
  await kino.settle();
  const mailer = kino.kernel.services.require('notifications');
  await eventually(
    async () => {
      await mailer.deliverNow();
      const [row] = await kino.kernel.engines.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM notify.delivery
         WHERE status = 'sending' OR (status = 'pending' AND next_attempt_at <= $1)`,
        [clock.now()],
      );
      return row?.n === 0;
    },
    { what: 'every mail due now sent' },
  );
};

/** Mails to `address` whose subject matches, once at least `count` arrived. */
async function mailsTo(address: string, subject: RegExp, count = 1): Promise<ParsedMail[]> {
  const found = await eventually(async () => {
    await settle();
    const all = (await mails()).filter((m) => m.headers.to === address && subject.test(m.subject));
    return all.length >= count ? all : undefined;
  });
  return found!;
}

/** How many mails to `address` match, after everything in flight was delivered. */
async function countMails(address: string, subject: RegExp): Promise<number> {
  await settle();
  return (await mails()).filter((m) => m.headers.to === address && subject.test(m.subject)).length;
}

/** The link (path and query, on this server) in the newest of `found`. */
function linkIn(found: ParsedMail[], pathname: string): string {
  const texts = found.map((m) => m.text);
  const link = new RegExp(`https://cinema\\.test${pathname}\\?token=[^\\s]+`).exec(
    texts[texts.length - 1]!,
  )?.[0];
  expect(link, texts.join('\n---\n')).toBeDefined();
  const url = new URL(link!);
  return url.pathname + url.search;
}
const tokenOf = (link: string) => new URL(link, base).searchParams.get('token')!;

const VERIFY = /^Confirm your email address$/;
const RESET = /^Reset your password$/;
const CHANGED = /email address was changed/;

async function register(prefix: string, email?: string) {
  const login = uniqueLogin(prefix);
  const address = email ?? `${login}@example.com`;
  const res = await api('POST', '/api/v1/auth/register', { login, email: address, password: PASSWORD });
  expect(res.status, res.text).toBe(201);
  return { login, email: address, access: res.json.access_token as string };
}

/** Confirms the address through the mailed link's page, as its owner would. */
async function confirm(email: string) {
  const link = linkIn(await mailsTo(email, VERIFY), '/account/verify-email');
  const page = await fetch(base + link);
  const form = formOf(await page.text());
  const done = await submit(form.action, form.hidden);
  expect(done.status, done.text).toBe(200);
}

describe('#16.7 changing the email needs re-authentication and tells the old address', () => {
  it('refuses a bearer token alone, tells the old address, and the old address can undo it', async () => {
    const u = await register('mover');
    await confirm(u.email);
    const stolen = u.access;
    const attacker = `evil${n}@attacker.test`;

    const bare = await api('PATCH', '/api/v1/users/me', { email: attacker }, stolen);
    expect(bare.status, bare.text).toBe(403);
    expect(bare.json.code).toBe('REAUTHENTICATION_REQUIRED');
    const wrong = await api(
      'PATCH',
      '/api/v1/users/me',
      { email: attacker, current_password: 'not the password' },
      stolen,
    );
    expect(wrong.status).toBe(401);
    expect((await api('GET', '/api/v1/users/me', undefined, stolen)).json).toMatchObject({
      email: u.email,
      email_verified: true,
    });

    // With the password the change goes through, unproven; a reset never goes to it.
    const changed = await api(
      'PATCH',
      '/api/v1/users/me',
      { email: attacker, current_password: PASSWORD },
      stolen,
    );
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toMatchObject({ email: attacker, email_verified: false });
    expect((await api('POST', '/api/v1/auth/password/forgot', { email: attacker })).status).toBe(202);
    expect(await countMails(attacker, RESET)).toBe(0);

    // The old address hears of it, with a link that undoes it.
    const notice = await mailsTo(u.email, CHANGED);
    expect(notice[0]!.text).toContain(attacker);
    const undo = linkIn(notice, '/account/email-change');
    const page = await fetch(base + undo);
    expect(page.status).toBe(200);
    const form = formOf(await page.text());
    const undone = await submit(form.action, form.hidden);
    expect(undone.status, undone.text).toBe(200);
    expect(undone.text).toContain('Change undone');

    // Whoever held the session is out; the owner's address is back and proven.
    expect((await api('GET', '/api/v1/users/me', undefined, stolen)).status).toBe(401);
    const again = await api('POST', '/api/v1/auth/login', { login: u.login, password: PASSWORD });
    expect(
      (await api('GET', '/api/v1/users/me', undefined, again.json.access_token as string)).json,
    ).toMatchObject({ email: u.email, email_verified: true });
    // The undo link works once.
    expect((await submit(form.action, form.hidden)).status).toBe(400);
  });
});

describe('#28.1 a verification link proves one (account, address) pair', () => {
  it('a link kept from the old address does not verify the new one', async () => {
    const a = await register('pre');
    const kept = tokenOf(linkIn(await mailsTo(a.email, VERIFY), '/account/verify-email'));
    const victim = `victim${n}@corp.test`;
    const res = await api(
      'PATCH',
      '/api/v1/users/me',
      { email: victim, current_password: PASSWORD },
      a.access,
    );
    expect(res.status, res.text).toBe(200);

    const used = await api('POST', '/api/v1/auth/verify-email', { token: kept });
    expect(used.status).toBe(400);
    expect(used.json.code).toBe('VERIFICATION_TOKEN_INVALID');
    expect((await api('GET', '/api/v1/users/me', undefined, a.access)).json).toMatchObject({
      email: victim,
      email_verified: false,
    });
  });

  it('issuing a new link revokes the older ones, even for the same address', async () => {
    const a = await register('relink');
    const first = tokenOf(linkIn(await mailsTo(a.email, VERIFY), '/account/verify-email'));
    later(61);
    const resent = await api('POST', '/api/v1/auth/verify-email/resend', { email: a.email });
    expect(resent.status).toBe(202);
    const found = await mailsTo(a.email, VERIFY, 2);
    const second = tokenOf(linkIn(found, '/account/verify-email'));
    expect(second).not.toBe(first);
    expect((await api('POST', '/api/v1/auth/verify-email', { token: first })).json.code).toBe(
      'VERIFICATION_TOKEN_INVALID',
    );
    expect((await api('POST', '/api/v1/auth/verify-email', { token: second })).status).toBe(200);
  });
});

describe('#28.2 one reset, a password change or an email change voids every reset link', () => {
  async function resetLink(email: string, count: number): Promise<string> {
    later(61);
    expect((await api('POST', '/api/v1/auth/password/forgot', { email })).status).toBe(202);
    return tokenOf(linkIn(await mailsTo(email, RESET, count), '/account/reset-password'));
  }
  const reset = (token: string, password: string) =>
    api('POST', '/api/v1/auth/password/reset', { token, new_password: password });

  it('R1 dies when R2 is used, R3 when the password changes, R4 when the email changes', async () => {
    const u = await register('resetter');
    await confirm(u.email);
    const r1 = await resetLink(u.email, 1);
    const r2 = await resetLink(u.email, 2);
    expect((await reset(r2, 'the owner chose this one')).status).toBe(204);
    const stale = await reset(r1, 'attacker chose this one');
    expect(stale.status).toBe(400);
    expect(stale.json.code).toBe('RESET_TOKEN_INVALID');

    const r3 = await resetLink(u.email, 3);
    const session = await api('POST', '/api/v1/auth/login', {
      login: u.login,
      password: 'the owner chose this one',
    });
    const access = session.json.access_token as string;
    const changed = await api(
      'PUT',
      '/api/v1/users/me/password',
      { old_password: 'the owner chose this one', new_password: 'and then this one' },
      access,
    );
    expect(changed.status, changed.text).toBe(204);
    expect((await reset(r3, 'attacker chose this one')).json.code).toBe('RESET_TOKEN_INVALID');

    const r4 = await resetLink(u.email, 4);
    const moved = await api(
      'PATCH',
      '/api/v1/users/me',
      { email: `moved${n}@example.com`, current_password: 'and then this one' },
      access,
    );
    expect(moved.status, moved.text).toBe(200);
    expect((await reset(r4, 'attacker chose this one')).json.code).toBe('RESET_TOKEN_INVALID');
    expect(
      (await api('POST', '/api/v1/auth/login', { login: u.login, password: 'attacker chose this one' }))
        .status,
    ).toBe(401);
  });
});

describe('#16.8 lockout and forgot-password do not tell whether an account exists', () => {
  it('a real and an unknown login lock with the same status, body and Retry-After', async () => {
    const u = await register('locked');
    const threshold = kino.config.authLockoutThreshold;
    const attempts = async (login: string) => {
      let last = await api('POST', '/api/v1/auth/login', { login, password: 'wrong password 0' });
      for (let i = 1; i <= threshold; i++)
        last = await api('POST', '/api/v1/auth/login', { login, password: `wrong password ${i}` });
      return last;
    };
    const real = await attempts(u.login);
    const unknown = await attempts(`ghost${n}${Date.now()}`);
    expect(real.status).toBe(429);
    expect(unknown.status).toBe(real.status);
    const strip = (j: Record<string, unknown>) => ({ ...j, instance: undefined, request_id: undefined });
    expect(strip(unknown.json)).toEqual(strip(real.json));
    const after = (r: typeof real) => Number(r.headers.get('retry-after'));
    expect(Math.abs(after(unknown) - after(real))).toBeLessThanOrEqual(1);
  });

  it('forgot-password answers a verified account and an unknown address alike, in the same time', async () => {
    const u = await register('timed');
    await confirm(u.email);
    const known = await api('POST', '/api/v1/auth/password/forgot', { email: u.email });
    const unknown = await api('POST', '/api/v1/auth/password/forgot', { email: `nobody${n}@example.com` });
    expect(unknown.status).toBe(known.status);
    expect(unknown.text).toBe(known.text);

    // The prober runs on a thread of its own, as a real one runs in another process: on the test's
    // thread its reading of a reply would wait behind the server's after-reply work (the embedded
    // database runs on that thread), and it would time that work instead of the reply.
    const prober = new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', async ({ url, email }) => {
         const t0 = performance.now();
         const res = await fetch(url, {
           method: 'POST',
           headers: { 'content-type': 'application/json' },
           body: JSON.stringify({ email }),
         });
         await res.arrayBuffer();
         parentPort.postMessage(performance.now() - t0);
       });`,
      { eval: true },
    );
    const time = (email: string) =>
      new Promise<number>((resolve, reject) => {
        prober.once('message', resolve);
        prober.once('error', reject);
        prober.postMessage({ url: `${base}/api/v1/auth/password/forgot`, email });
      });
    const samples = { known: [] as number[], unknown: [] as number[] };
    try {
      for (let i = 0; i < 50; i++) {
        // Interleaved, each sample past the cooldown so the known path issues a token every time.
        later(61);
        samples.known.push(await time(u.email));
        await settle();
        samples.unknown.push(await time(`nobody${i}x${n}@example.com`));
        await settle();
      }
    } finally {
      await prober.terminate();
    }
    const quantile = (xs: number[], q: number) =>
      [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
    const ratio = (q: number) => {
      const [a, b] = [quantile(samples.known, q), quantile(samples.unknown, q)];
      return Math.max(a, b) / Math.min(a, b);
    };
    // Overlapping distributions: each path's median inside the other's interquartile range
    // widened by half, and medians within 2.5x (a path doing account-dependent work before
    // answering was ~4x slower). The table-lock test below is the exact check; this one shows
    // what a prober measures.
    const [k, u2] = [samples.known, samples.unknown];
    expect(ratio(0.5), JSON.stringify(samples)).toBeLessThan(2.5);
    expect(quantile(k, 0.5)).toBeLessThan(quantile(u2, 0.75) * 1.5);
    expect(quantile(u2, 0.5)).toBeLessThan(quantile(k, 0.75) * 1.5);
    // The known address did get its mails.
    expect(await countMails(u.email, RESET)).toBeGreaterThan(1);
  }, 180_000);
});

describe('#16.8 the forgot-password answer depends on the input alone', () => {
  it('answers while the accounts table is locked, for a known and an unknown address', async () => {
    const u = await register('frozen');
    await confirm(u.email);
    later(61);
    const ask = (email: string) =>
      fetch(`${base}/api/v1/auth/password/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
        signal: AbortSignal.timeout(3_000),
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    // Nothing account-dependent may run before the answer: with the table locked (the only
    // connection busy, on the embedded engine) both answers still come at once.
    const answers = await kino.kernel.engines.sql.transaction(async (tx) => {
      await tx.exec('LOCK TABLE auth.users IN ACCESS EXCLUSIVE MODE');
      return [await ask(u.email), await ask(`nobody${n}@example.com`)];
    });
    expect(answers[0]).toEqual({ status: 202, body: answers[1]!.body });
    expect(answers[1]!.status).toBe(202);
    // The work happens afterwards: the known address gets its link.
    expect(await mailsTo(u.email, RESET)).toHaveLength(1);
  });
});

describe('#16.16 mailed links land on pages of the product', () => {
  it('the reset mail opens a page whose form sets the new password', async () => {
    const u = await register('paged');
    await confirm(u.email);
    later(61);
    await api('POST', '/api/v1/auth/password/forgot', { email: u.email });
    const link = linkIn(await mailsTo(u.email, RESET), '/account/reset-password');
    const page = await fetch(base + link);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    expect(html).not.toMatch(/<script|\son\w+=|style="/i);
    const css = await fetch(base + '/account/account.css');
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    const form = formOf(html);
    expect(form.action).toBe('/account/reset-password');

    const differ = await submit(form.action, {
      ...form.hidden,
      new_password: 'a brand new password',
      confirm_password: 'another new password',
    });
    expect(differ.status).toBe(400);
    const done = await submit(form.action, {
      ...form.hidden,
      new_password: 'a brand new password',
      confirm_password: 'a brand new password',
    });
    expect(done.status, done.text).toBe(200);
    expect(done.text).toContain('Password changed');
    expect(
      (await api('POST', '/api/v1/auth/login', { login: u.login, password: 'a brand new password' })).status,
    ).toBe(200);
  });

  it('opening the verification link (or the old API link) spends nothing; the page button confirms', async () => {
    const u = await register('scanned');
    const link = linkIn(await mailsTo(u.email, VERIFY), '/account/verify-email');
    // A mail scanner follows the link, and the old link form, several times.
    for (let i = 0; i < 2; i++) expect((await fetch(base + link)).status).toBe(200);
    const legacy = await fetch(
      `${base}/api/v1/auth/verify-email?token=${encodeURIComponent(tokenOf(link))}`,
      {
        redirect: 'manual',
      },
    );
    expect(legacy.status).toBe(303);
    expect(legacy.headers.get('location')).toBe(link);
    expect((await api('GET', '/api/v1/users/me', undefined, u.access)).json.email_verified).toBe(false);

    const form = formOf(await (await fetch(base + link)).text());
    const done = await submit(form.action, form.hidden);
    expect(done.status).toBe(200);
    expect(done.text).toContain('Address confirmed');
    expect((await api('GET', '/api/v1/users/me', undefined, u.access)).json.email_verified).toBe(true);
  });

  it('a new verification mail can be asked for, with one answer for every address', async () => {
    const u = await register('resend');
    await mailsTo(u.email, VERIFY);
    later(61);
    const known = await api('POST', '/api/v1/auth/verify-email/resend', { email: u.email });
    const unknown = await api('POST', '/api/v1/auth/verify-email/resend', {
      email: `nobody${n}@example.com`,
    });
    expect(known.status).toBe(202);
    expect(unknown.text).toBe(known.text);
    await mailsTo(u.email, VERIFY, 2);
    // At most one a minute per account, however often it is asked.
    for (let i = 0; i < 3; i++) await api('POST', '/api/v1/auth/verify-email/resend', { email: u.email });
    expect(await countMails(u.email, VERIFY)).toBe(2);
    // The same from the page a dead link shows.
    later(61);
    const page = await fetch(`${base}/account/verify-email`);
    const form = formOf(await page.text());
    expect(form.action).toBe('/account/resend-verification');
    expect((await submit(form.action, { email: u.email })).status).toBe(200);
    await mailsTo(u.email, VERIFY, 3);
  });
});

describe('#28.6 one address, one spelling, read the same by the mailer', () => {
  const registerAs = (login: string, email: string) =>
    api('POST', '/api/v1/auth/register', { login, email, password: PASSWORD });

  it('refuses lists, display names and mixed-script look-alikes', async () => {
    for (const email of [
      'alice@example.com,',
      'alice@example.com, bob@example.com',
      'al<b>ice@x.com',
      'Alice <alice@example.com>',
      '"alice"@example.com',
      'alice@example.com (comment)',
      'pаypal@example.com', // Cyrillic а among Latin letters
      'alice@exаmple.com',
      'ﬁnance@example.com', // a compatibility ligature
    ]) {
      const res = await registerAs(uniqueLogin('bad'), email);
      expect(res.status, email).toBe(400);
    }
  });

  it('NFC/NFD and fullwidth spellings of one address are one account, mailed at the stored address', async () => {
    const login = uniqueLogin('jose');
    const tag = n;
    const nfc = `josé${tag}@example.com`;
    const created = await registerAs(login, nfc.normalize('NFD'));
    expect(created.status, created.text).toBe(201);
    expect((created.json.user as { email: string }).email).toBe(nfc);
    expect((await registerAs(uniqueLogin('twin'), nfc)).json.code).toBe('EMAIL_TAKEN');
    const wide = `ｊｏｓé${tag}@example.com`;
    expect((await registerAs(uniqueLogin('wide'), wide)).json.code).toBe('EMAIL_TAKEN');
    // Login by email in the other form finds the same account.
    const byNfd = await api('POST', '/api/v1/auth/login', {
      login: nfc.normalize('NFD'),
      password: PASSWORD,
    });
    expect(byNfd.status).toBe(200);

    const ascii = await register('plain');
    const [mail] = await mailsTo(ascii.email, VERIFY);
    expect(mail!.headers.to).toBe(ascii.email);
  });
});
