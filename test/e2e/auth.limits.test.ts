/** Per-IP rate limits, the KINO_RATE_LIMIT switch, the first-run admin and `kino createsuperuser`. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { serverUrls } from '../helpers/engines.js';
import { ADMIN_PASSWORD_FILE } from '../../src/modules/auth/index.js';

const run = promisify(execFile);
let kino: TestKino;

const login = (k: TestKino, ip: string) =>
  k.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: 'nobody', password: 'whatever it is' },
    remoteAddress: ip,
  });

beforeAll(async () => {
  kino = await createTestKino({
    modules: ['auth'],
    env: { AUTH_RATE_LIMIT: '3', AUTH_LOCKOUT_THRESHOLD: '100' },
  });
});
afterAll(async () => {
  await kino?.close();
});

describe('rate limits', () => {
  it('limits each IP per action with 429 and Retry-After', async () => {
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await login(kino, '192.0.2.1')).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    const limited = await login(kino, '192.0.2.1');
    expect(limited.json<{ code: string }>().code).toBe('RATE_LIMITED');
    const retry = Number(limited.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(61);
    // Another address, and another action from the same address, have their own budget.
    expect((await login(kino, '192.0.2.2')).statusCode).toBe(401);
    const refresh = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: 'x' },
      remoteAddress: '192.0.2.1',
    });
    expect(refresh.statusCode).toBe(401);
  });

  it('limits asking for verification mails per IP; every address gets the same answer', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++)
      answers.push(
        await kino.app.inject({
          method: 'POST',
          url: '/api/v1/auth/verify-email/resend',
          payload: { email: `someone${i}@example.com` },
          remoteAddress: '192.0.2.9',
        }),
      );
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202, 429, 429]);
    expect(new Set(answers.slice(0, 3).map((a) => a.body)).size).toBe(1);
    expect(answers[3]!.json<{ code: string }>().code).toBe('RATE_LIMITED');
  });

  it('KINO_RATE_LIMIT=off switches IP limits off but not the account lockout', async () => {
    const off = await createTestKino({
      modules: ['auth'],
      env: { AUTH_RATE_LIMIT: '1', KINO_RATE_LIMIT: 'off', AUTH_LOCKOUT_THRESHOLD: '3' },
    });
    try {
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await login(off, '192.0.2.9')).statusCode);
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      const last = await login(off, '192.0.2.9');
      expect(last.json<{ code: string }>().code).toBe('ACCOUNT_LOCKED');
    } finally {
      await off.close();
    }
  });
});

describe('administrator bootstrap', () => {
  /** Each test starts from a database without the seeded admin and a folder without its file. */
  const noAdmin = async () => {
    await kino.kernel.engines.sql.execute(`DELETE FROM auth.users WHERE login = 'admin'`);
    rmSync(path.join(kino.dataDir, ADMIN_PASSWORD_FILE), { force: true });
  };

  it('seed creates an admin once and shows the generated password on the terminal banner', async () => {
    const instance = kino.kernel.instances.get('auth')!;
    await noAdmin();
    const lines = await instance.seed!({ terminal: true });
    expect(lines).toHaveLength(1);
    const password = /password "([^"]+)"/.exec(lines[0]!)![1]!;
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(existsSync(path.join(kino.dataDir, ADMIN_PASSWORD_FILE))).toBe(false);
    expect(await instance.seed!({ terminal: true })).toEqual([]);
    const res = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'admin', password },
      remoteAddress: '198.51.100.1',
    });
    expect(res.statusCode).toBe(200);
  });

  it('without a terminal, seed leaves the password in a private file, never in the output', async () => {
    const instance = kino.kernel.instances.get('auth')!;
    await noAdmin();
    const lines = await instance.seed!({ terminal: false });
    const file = path.join(kino.dataDir, ADMIN_PASSWORD_FILE);
    expect(lines).toEqual([expect.stringContaining(file)]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = readFileSync(file, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(lines.join('\n')).not.toContain(password);
    const res = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'admin', password },
      remoteAddress: '198.51.100.2',
    });
    expect(res.statusCode).toBe(200);
  });

  it.skipIf(serverUrls.database !== undefined)(
    '`kino createsuperuser` refuses weak passwords, creates, and is idempotent',
    async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'kino-su-'));
      const cli = async (password: string) => {
        try {
          const { stdout } = await run(
            process.execPath,
            [
              '--import',
              'tsx',
              'src/runtime/cli.ts',
              'createsuperuser',
              '--login',
              'boss',
              '--email',
              'boss@example.com',
            ],
            {
              env: {
                ...process.env,
                KINO_DATA_DIR: dataDir,
                KINO_ADMIN_PASSWORD: password,
                LOG_LEVEL: 'silent',
              },
              timeout: 120_000,
            },
          );
          return { code: 0, out: stdout };
        } catch (error) {
          const e = error as { code: number; stderr: string };
          return { code: e.code, out: e.stderr };
        }
      };
      try {
        const weak = await cli('password');
        expect(weak.code).toBe(1);
        expect(weak.out).toContain('PASSWORD_TOO_COMMON');
        expect(await cli('a strong admin secret')).toEqual({ code: 0, out: 'Administrator boss created.\n' });
        expect((await cli('a strong admin secret')).out).toContain('already an administrator');
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    240_000,
  );
});
