/**
 * The admin panel in a real browser (Debian's Chromium driven by playwright-core) against the
 * real all-in-one server on a free port with a fresh data folder: an admin creates, finds, edits
 * and deletes a film; the edit reaches the public catalogue search; a viewer is refused.
 * Set KINO_BROWSER_SHOTS=<dir> to keep a screenshot of every step.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually } from '../helpers/engines.js';
import { freePort } from '../helpers/server-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SKIP_REASON = `skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`;
if (!hasChromium) process.stderr.write(`admin.browser.test: ${SKIP_REASON}\n`);

const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const SHOTS = process.env.KINO_BROWSER_SHOTS;

/** Waits through the shared `eventually` (ADR 0006) at a browser's pace; `undefined` means not yet. */
const until = <T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> =>
  eventually(probe, { timeoutMs: ms, intervalMs: 200, what }) as Promise<T>;

describe.skipIf(!hasChromium)(`admin panel in Chromium${hasChromium ? '' : ` (${SKIP_REASON})`}`, () => {
  const suffix = randomBytes(3).toString('hex');
  const admin = { login: `chief${suffix}`, password: `Kino-${randomBytes(9).toString('base64url')}` };
  let dataDir: string;
  let base: string;
  let server: ChildProcess;
  let serverLog = '';
  let browser: Browser;

  const api = async <T = unknown>(
    method: string,
    url: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; json: T; headers: Headers }> => {
    const response = await fetch(base + url, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      json: (text ? JSON.parse(text) : null) as T,
      headers: response.headers,
    };
  };
  const loginApi = async (login: string, password: string) => {
    const res = await api<{ access_token: string }>('POST', '/api/v1/auth/login', { login, password });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return res.json.access_token;
  };

  const newPage = async (): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return { context, page };
  };
  let step = 0;
  const shot = async (page: Page, name: string) => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${String(++step).padStart(2, '0')}-${name}.png`) });
  };
  const signIn = async (page: Page, login: string, password: string) => {
    await page.goto(`${base}/admin/`);
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill(password);
    await shot(page, `login-${login}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  beforeAll(async () => {
    if (!existsSync(path.join(root, 'web/dist/index.html')))
      await run(process.execPath, [path.join(root, 'scripts/build-web.mjs')], { cwd: root });
    dataDir = mkdtempSync(path.join(tmpdir(), 'kino-browser-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KINO_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      KINO_RATE_LIMIT: 'off',
      KINO_ADMIN_PASSWORD: admin.password,
    };
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'NATS_URL', 'SERVICES']) delete env[key];
    const cli = ['--import', 'tsx', path.join(root, 'src/runtime/cli.ts')];
    await run(
      process.execPath,
      [...cli, 'createsuperuser', '--login', admin.login, '--email', `${admin.login}@example.com`],
      {
        cwd: root,
        env,
      },
    );
    server = spawn(process.execPath, [...cli, 'start'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (d: Buffer) => (serverLog += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (serverLog += d.toString()));
    await until('server ready', 180_000, async () => {
      if (server.exitCode !== null) throw new Error(`server exited: ${serverLog.slice(-2000)}`);
      const res = await fetch(`${base}/ready`).catch(() => null);
      return res?.ok ? true : undefined;
    });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('lets an admin create, find, edit, audit and delete a film', async () => {
    const token = await loginApi(admin.login, admin.password);
    const genres = [`Noir ${suffix}`, `Space ${suffix}`];
    const persons = [`Ada Director${suffix}`, `Ben Actor${suffix}`, `Cy Writer${suffix}`];
    for (const name of genres)
      expect((await api('POST', '/api/v1/admin/genres', { name }, token)).status).toBe(201);
    for (const full_name of persons)
      expect((await api('POST', '/api/v1/admin/persons', { full_name }, token)).status).toBe(201);

    const { context, page } = await newPage();
    await signIn(page, admin.login, admin.password);
    await page.waitForURL(/\/admin\/films$/);
    await page.getByRole('menuitem', { name: 'Films' }).waitFor();
    await shot(page, 'films');

    // Create, with two genres and three persons chosen through autocompletes.
    const title = `Zephyr ${suffix}`;
    await page.goto(`${base}/admin/films/create`);
    await page.locator('input[name=title]').fill(title);
    await page.getByRole('tab', { name: 'Genres and people' }).click();
    const genreInput = page.locator('input[name=genre_ids]');
    for (const name of genres) {
      await genreInput.click();
      await genreInput.fill(name.slice(0, 5));
      await page.getByRole('option', { name }).click();
    }
    const roles = ['Director', 'Actor', 'Writer'];
    for (const [i, name] of persons.entries()) {
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      const input = page.locator(`input[name="person_links.${i}.person_id"]`);
      await input.click();
      await input.fill(name.slice(0, 6));
      await page.getByRole('option', { name }).click();
      await page.locator(`input[name="person_links.${i}.role"]`).locator('..').getByRole('combobox').click();
      await page.getByRole('option', { name: roles[i] }).click();
    }
    await shot(page, 'film-create');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/admin\/films\/[0-9a-f-]{36}$/);
    const id = /films\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const created = await api<{ genres: { name: string }[]; persons: { full_name: string; role: string }[] }>(
      'GET',
      `/api/v1/admin/films/${id}`,
      undefined,
      token,
    );
    expect(created.json.genres.map((g) => g.name).sort()).toEqual([...genres].sort());
    expect(created.json.persons.map((p) => `${p.full_name}:${p.role}`).sort()).toEqual(
      [`${persons[0]}:director`, `${persons[1]}:actor`, `${persons[2]}:writer`].sort(),
    );

    // Find it by search in the list.
    await page.getByRole('menuitem', { name: 'Films' }).click();
    await page.locator('input[name=q]').fill(`zephyr ${suffix}`);
    // The search applies after a debounce, through the URL; wait for it before reading rows.
    await page.waitForURL(/[?&]filter=.*zephyr/);
    const row = page.locator('table tbody tr', { hasText: title });
    await row.waitFor();
    await expect.poll(() => page.locator('table tbody tr').count(), { timeout: 10_000 }).toBe(1);
    await shot(page, 'films-search');

    // Edit the title; the public catalogue search shows the new title within a few seconds.
    await row.click();
    await page.waitForURL(new RegExp(`/admin/films/${id}$`));
    const titleInput = page.locator('input[name=title]');
    // Type only once the record is in the form, or the load would overwrite the edit.
    await expect.poll(() => titleInput.inputValue(), { timeout: 10_000 }).toBe(title);
    const newTitle = `Quasar ${suffix}`;
    await titleInput.fill(newTitle);
    await shot(page, 'film-edit');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/admin\/films$/);
    const saved = Date.now();
    const found = await until('the new title in the public search', 5_000, async () => {
      const res = await api<{ uuid: string; title: string }[]>(
        'GET',
        `/api/v1/films/search?query=${encodeURIComponent(`quasar ${suffix}`)}`,
      );
      return res.status === 200 && res.json.some((f) => f.uuid === id && f.title === newTitle)
        ? true
        : undefined;
    });
    expect(found).toBe(true);
    process.stderr.write(
      `admin.browser.test: edit visible in public search after ${Date.now() - saved} ms\n`,
    );

    // History: the creation and the edit.
    await page.goto(`${base}/admin/films/${id}/history`);
    await expect.poll(() => page.locator('[data-testid=history-entry]').count(), { timeout: 10_000 }).toBe(2);
    expect(await page.locator('[data-testid=history-entry]').first().textContent()).toContain(newTitle);
    await shot(page, 'film-history');

    // Delete (with confirmation).
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(/\/admin\/films$/);
    await until('the film to be gone', 5_000, async () =>
      (await api('GET', `/api/v1/admin/films/${id}`, undefined, token)).status === 404 ? true : undefined,
    );
    await shot(page, 'films-after-delete');
    await context.close();
  }, 180_000);

  it('refuses a viewer (UNSUB_USER): no panel, and the admin API answers 403', async () => {
    const viewer = { login: `viewer${suffix}`, password: `Watch-${randomBytes(9).toString('base64url')}` };
    const registered = await api<{ access_token: string }>('POST', '/api/v1/auth/register', {
      ...viewer,
      email: `${viewer.login}@example.com`,
    });
    expect(registered.status, JSON.stringify(registered.json)).toBe(201);
    const refused = await api('GET', '/api/v1/admin/films', undefined, registered.json.access_token);
    expect(refused.status).toBe(403);

    const { context, page } = await newPage();
    await signIn(page, viewer.login, viewer.password);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('no access to the admin panel');
    await shot(page, 'viewer-refused');
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    // Deep links lead back to the login page: nothing was stored.
    await page.goto(`${base}/admin/films`);
    await page.waitForURL(/\/admin\/login$/);
    expect(await page.locator('table').count()).toBe(0);
    await context.close();
  }, 120_000);
});
