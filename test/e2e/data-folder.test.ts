/**
 * One owner per embedded data folder, from outside: `kino start` owns it, `kino` commands in a
 * second process work through it (and the server sees their changes at once), a second server
 * refuses, a lock left by SIGKILL is taken over, and a command with no server runs on its own.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dataDir = mkdtempSync(path.join(tmpdir(), 'kino-owner-'));
const env = {
  ...process.env,
  KINO_DATA_DIR: dataDir,
  PORT: '0',
  METRICS_PORT: '0',
  LOG_LEVEL: 'info',
  // The embedded engines, whatever the test run was given.
  DATABASE_URL: '',
  REDIS_URL: '',
  NATS_URL: '',
};
const servers = new Set<ChildProcess>();
afterAll(() => {
  for (const child of servers) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  base: string;
  output: () => string;
}

/** `kino start` on the shared folder, or with `extra` (another KINO_DATA_DIR); PORT and METRICS_PORT 0. */
function start(extra: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/cli.ts', 'start'], {
    env: { ...env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.add(child);
  child.on('exit', () => servers.delete(child));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const onData = () => {
      const match = /Health\s+(http:\/\/[^\s]+)\/health/.exec(out);
      if (match?.[1]) {
        child.stderr.off('data', onData);
        resolve({ child, base: match[1], output: () => out });
      }
    };
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`kino start exited with ${code}:\n${out}`)));
  });
}

/** Runs `kino <args>` to completion in its own process. */
function kino(
  args: string[],
  extra: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/runtime/cli.ts', ...args],
      { env: { ...env, ...extra }, timeout: 240_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

async function login(base: string, login: string, password: string): Promise<number> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  return res.status;
}

/** The films the catalogue serves (X-Total-Count of the first page). */
async function filmCount(base: string): Promise<number> {
  const res = await fetch(`${base}/api/v1/films?page_size=1`);
  expect(res.status).toBe(200);
  return Number(res.headers.get('x-total-count'));
}

const mode = (file: string) => statSync(file).mode & 0o777;

async function kids(base: string): Promise<string[]> {
  const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid);
}

const boss = { login: 'boss', password: 'Boss-Pass-2026!' };
let server: Started;
let rotated = '';

// The suite runs its own all-in-one processes on embedded engines; a test run on the server
// engines (DATABASE_URL set) would only repeat it.
// The tests are the steps of one scenario on one folder (start, commands beside the server, stop,
// SIGKILL, restart): each acts on the server the one before left, so they keep their order when a
// run shuffles (`--sequence.shuffle`); a step that needs no server of this scenario starts its own.
describe.skipIf(Boolean(process.env.DATABASE_URL))(
  'the embedded data folder has one owner',
  { shuffle: false },
  () => {
    it('is private to its owner, and the first start keeps the admin password out of the output', async () => {
      server = await start();
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const lock = JSON.parse(readFileSync(path.join(dataDir, 'kino.pid'), 'utf8')) as { pid: number };
      expect(lock.pid).toBe(server.child.pid);
      // Nothing in the folder is readable by others.
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory()
            ? [path.join(dir, e.name), ...walk(path.join(dir, e.name))]
            : [path.join(dir, e.name)],
        );
      const open = walk(dataDir).filter((f) => (statSync(f).mode & 0o077) !== 0);
      expect(open).toEqual([]);
      const file = path.join(dataDir, 'admin-password.txt');
      const password = readFileSync(file, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(16);
      expect(server.output()).not.toContain(password);
      expect(await login(server.base, 'admin', password)).toBe(200);
    }, 300_000);

    it('`kino createsuperuser` in a second process: the new admin logs in at once', async () => {
      const result = await kino(['createsuperuser', '--login', boss.login, '--email', 'boss@example.com'], {
        KINO_ADMIN_PASSWORD: boss.password,
      });
      expect(result, result.stderr).toMatchObject({ code: 0 });
      expect(result.stdout).toContain('Administrator boss created.');
      expect(await login(server.base, boss.login, boss.password)).toBe(200);
    }, 300_000);

    it('`kino keys rotate` in a second process: the server publishes the new key', async () => {
      const before = await kids(server.base);
      const result = await kino(['keys', 'rotate']);
      expect(result, result.stderr).toMatchObject({ code: 0 });
      rotated = /New signing key (\S+);/.exec(result.stdout)![1]!;
      expect(before).not.toContain(rotated);
      await expect.poll(() => kids(server.base), { timeout: 5_000 }).toContain(rotated);
      // Tokens are signed with it too.
      const res = await fetch(`${server.base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(boss),
      });
      const { access_token } = (await res.json()) as { access_token: string };
      const header = JSON.parse(Buffer.from(access_token.split('.')[0]!, 'base64url').toString()) as {
        kid: string;
      };
      expect(header.kid).toBe(rotated);
    }, 300_000);

    it('`kino etl rebuild` in a second process works through the server, which keeps serving its films', async () => {
      const films = await filmCount(server.base);
      expect(films).toBeGreaterThan(0);
      const result = await kino(['etl', 'rebuild']);
      expect(result, result.stderr).toMatchObject({ code: 0 });
      // Every film, the ones anonymous callers do not see included.
      const rebuilt = Number(/Rebuilt the catalog read model: (\d+) films/.exec(result.stdout)?.[1]);
      expect(rebuilt).toBeGreaterThanOrEqual(films);
      // The folder still has one owner, the server, which answers as before.
      const lock = JSON.parse(readFileSync(path.join(dataDir, 'kino.pid'), 'utf8')) as { pid: number };
      expect(lock.pid).toBe(server.child.pid);
      expect((await fetch(`${server.base}/ready`)).status).toBe(200);
      expect(await filmCount(server.base)).toBe(films);
      // The folder was never opened twice: after a stop it opens again with every film.
      expect(await stop(server.child, 'SIGINT')).toBe(0);
      server = await start();
      expect(await filmCount(server.base)).toBe(films);
    }, 300_000);

    it('a second `kino start` on the same folder refuses with one clear message', async () => {
      const result = await kino(['start']);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        `kino start: ${dataDir} is in use by kino start (pid ${server.child.pid}). Stop it first`,
      );
      expect(result.stdout).toBe('');
      // The running server is untouched.
      expect((await fetch(`${server.base}/ready`)).status).toBe(200);
    }, 300_000);

    it('after SIGKILL, a new start takes over the stale lock and the data is intact', async () => {
      expect(await stop(server.child, 'SIGKILL')).toBeNull();
      expect(existsSync(path.join(dataDir, 'kino.pid'))).toBe(true); // left behind
      server = await start();
      expect(server.output()).toMatch(/taking over/);
      expect(await login(server.base, boss.login, boss.password)).toBe(200);
      expect(await kids(server.base)).toContain(rotated);
      expect(await stop(server.child, 'SIGINT')).toBe(0);
      expect(existsSync(path.join(dataDir, 'kino.pid'))).toBe(false);
    }, 300_000);

    it('with no server running, a command opens the folder itself and leaves it free', async () => {
      const result = await kino(['keys', 'list']);
      expect(result, result.stderr).toMatchObject({ code: 0 });
      expect(result.stdout).toContain(rotated);
      expect(existsSync(path.join(dataDir, 'kino.pid'))).toBe(false);
      expect(existsSync(path.join(dataDir, '.s.PGSQL.5432'))).toBe(false);
    }, 300_000);

    it('a first `kino start` on a folder that does not exist yet makes it 0700, its password file 0600', async () => {
      const parent = mkdtempSync(path.join(tmpdir(), 'kino-fresh-'));
      const fresh = path.join(parent, 'data');
      try {
        const own = await start({ KINO_DATA_DIR: fresh });
        try {
          expect(mode(fresh)).toBe(0o700);
          expect(mode(path.join(fresh, 'admin-password.txt'))).toBe(0o600);
        } finally {
          expect(await stop(own.child, 'SIGINT')).toBe(0);
        }
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    }, 300_000);

    it('`kino start` on an existing 0755 folder leaves it 0700', async () => {
      const parent = mkdtempSync(path.join(tmpdir(), 'kino-open-'));
      const folder = path.join(parent, 'data');
      mkdirSync(folder);
      chmodSync(folder, 0o755);
      try {
        const own = await start({ KINO_DATA_DIR: folder });
        try {
          expect(mode(folder)).toBe(0o700);
          expect(mode(path.join(folder, 'admin-password.txt'))).toBe(0o600);
        } finally {
          expect(await stop(own.child, 'SIGINT')).toBe(0);
        }
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    }, 300_000);
  },
);
