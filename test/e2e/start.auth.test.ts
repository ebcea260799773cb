/**
 * A started all-in-one (`kino start` in a child process, HTTP from outside):
 * - its access log (JSON lines on stdout) never holds a one-time secret sent in a query string:
 *   email and unsubscribe tokens, signed download links, OAuth code and state; the path and the
 *   other parameters stay, so a line still says which link was used;
 * - sessions survive a restart although the in-memory session registry does not: a live token
 *   keeps working and a logged-out one stays refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/platform/logger.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'kino-log-'));
let child: ChildProcess;
let base = '';
let out = '';

async function start(): Promise<void> {
  out = '';
  child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/cli.ts', 'start'], {
    env: {
      ...process.env,
      KINO_DATA_DIR: dataDir,
      PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
      REDIS_URL: '',
      NATS_URL: '',
      KINO_RATE_LIMIT: 'off',
      AUTH_OAUTH_PROVIDERS: JSON.stringify({ corp: { issuer: 'http://127.0.0.1:9', client_id: 'kino' } }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  base = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /Health\s+(http:\/\/[^\s]+)\/health/.exec(out);
      if (match?.[1]) resolve(match[1]);
    };
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`kino start exited with ${code}:\n${out}`)));
  });
}

async function stop(): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

beforeAll(start, 420_000);

afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const accessLines = () =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; url?: string })
    .filter((l) => l.msg === 'request completed');

describe('access log', () => {
  it('redacts one-time secrets in query strings of real requests', async () => {
    const secrets = {
      verify: 'verifyEmailSecret0123456789',
      unsub: 'unsubscribeSecret0123456789',
      sig: 'downloadSignatureSecret0123',
      code: 'oauthCodeSecret0123456789',
      state: 'oauthStateSecret0123456789',
      amz: 'amzSignatureSecret01234567',
    };
    const urls = [
      `/api/v1/auth/verify-email?token=${secrets.verify}`,
      `/api/v1/notifications/unsubscribe?token=${secrets.unsub}&category=all`,
      `/api/v1/files/00000000-0000-4000-8000-000000000000/content?expires=4102444800&signature=${secrets.sig}`,
      `/api/v1/auth/oauth/corp/callback?code=${secrets.code}&state=${secrets.state}`,
      `/api/v1/films?page_size=5&X-Amz-Signature=${secrets.amz}`,
    ];
    for (const url of urls) await (await fetch(`${base}${url}`)).arrayBuffer();
    const expected = [
      '/api/v1/auth/verify-email?token=[redacted]',
      '/api/v1/notifications/unsubscribe?token=[redacted]&category=all',
      '/api/v1/files/00000000-0000-4000-8000-000000000000/content?expires=4102444800&signature=[redacted]',
      '/api/v1/auth/oauth/corp/callback?code=[redacted]&state=[redacted]',
      '/api/v1/films?page_size=5&X-Amz-Signature=[redacted]',
    ];
    // The access line is written when the response ends, and stdout is read asynchronously.
    const logged = () => accessLines().map((l) => l.url);
    for (let i = 0; i < 100 && !expected.every((u) => logged().includes(u)); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    for (const secret of Object.values(secrets)) expect(out).not.toContain(secret);
    expect(logged()).toEqual(expect.arrayContaining(expected));
  }, 60_000);
});

describe('sessions across a restart', () => {
  it('a live token keeps working and a logged-out one stays refused after the server restarts', async () => {
    const register = (login: string) =>
      fetch(`${base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login, email: `${login}@example.com`, password: 'restart keeps sessions' }),
      }).then(async (r) => {
        expect(r.status).toBe(201);
        return ((await r.json()) as { access_token: string }).access_token;
      });
    const me = (token: string) =>
      fetch(`${base}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { code?: string },
      }));
    const live = await register('stays');
    const ended = await register('leaves');
    expect((await me(live)).status).toBe(200);
    const logout = await fetch(`${base}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ended}` },
    });
    expect(logout.status).toBe(204);
    expect((await me(ended)).body.code).toBe('TOKEN_REVOKED');

    await stop();
    await start();
    expect((await me(live)).status).toBe(200);
    expect((await me(ended)).body.code).toBe('TOKEN_REVOKED');
  }, 480_000);
});

describe('redactUrl', () => {
  it('keeps paths and plain parameters, and judges encoded names by their decoded form', () => {
    expect(redactUrl('/a/b')).toBe('/a/b');
    expect(redactUrl('/a?page=2&sort=-x')).toBe('/a?page=2&sort=-x');
    expect(redactUrl('/a?mfa_token=x&sig=y&%73tate=z&flag')).toBe(
      '/a?mfa_token=[redacted]&sig=[redacted]&%73tate=[redacted]&flag',
    );
    expect(redactUrl('/a?X-Amz-Credential=c&X-Amz-Security-Token=t&bad=%E0%A4%A')).toBe(
      '/a?X-Amz-Credential=[redacted]&X-Amz-Security-Token=[redacted]&bad=%E0%A4%A',
    );
  });

  it('redacts the signature a playback path carries', () => {
    expect(redactUrl('/api/v1/hls/f1.j2.1800000000.c2lnbmF0dXJl/240p/seg_00001.m4s')).toBe(
      '/api/v1/hls/f1.j2.1800000000.[redacted]/240p/seg_00001.m4s',
    );
    expect(redactUrl('/api/v1/hls/f1.j2.1800000000.c2ln?x=1')).toBe(
      '/api/v1/hls/f1.j2.1800000000.[redacted]?x=1',
    );
    expect(redactUrl('/api/v1/hlsx/a.b/c')).toBe('/api/v1/hlsx/a.b/c');
  });
});
