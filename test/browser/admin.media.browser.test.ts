/**
 * A film's media in the admin panel, in a real browser (Debian's Chromium driven by
 * playwright-core) against a real `kino start`: an editor uploads a poster and sees it, uploads
 * a trailer and gets its player, uploads the film's video through the resumable upload (one
 * chunk lost on the way) and watches the job reach ready with its renditions; a cut-short video
 * shows why it failed; deleting the video asks first and leaves the empty state.
 * Media are made by ffmpeg in a temp folder. KINO_BROWSER_SHOTS=<dir> keeps a screenshot per step.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startKinoServer, type KinoServer } from '../helpers/server-process.js';
import { createMediaEngine } from '../../src/modules/files/media/media.engine.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SKIP_REASON = `skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`;
if (!hasChromium) process.stderr.write(`admin.media.browser.test: ${SKIP_REASON}\n`);

const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const SHOTS = process.env.KINO_BROWSER_SHOTS;

interface StoredFile {
  id: string;
  kind: string;
}

describe.skipIf(!hasChromium)(
  `film media in the admin panel${hasChromium ? '' : ` (${SKIP_REASON})`}`,
  () => {
    let server: KinoServer;
    let browser: Browser;
    let dir: string;
    let token: string;
    const media = (name: string) => path.join(dir, name);

    const api = async <T = unknown>(method: string, url: string, body?: unknown) => {
      const response = await fetch(server.base + url, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: (text ? JSON.parse(text) : null) as T };
    };

    /** A film of its own, once the files module knows it (uploads for it are then accepted). */
    const newFilm = async (title: string): Promise<string> => {
      const created = await api<{ id: string }>('POST', '/api/v1/admin/films', {
        title,
        type: 'movie',
        access: 'PAID',
        genre_ids: [],
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const id = created.json.id;
      await expect
        .poll(async () => (await api<{ code?: string }>('GET', `/api/v1/films/${id}/video`)).json?.code, {
          timeout: 30_000,
        })
        .toBe('VIDEO_NOT_FOUND');
      return id;
    };

    let step = 0;
    const shot = async (page: Page, name: string) => {
      if (!SHOTS) return;
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({
        path: path.join(SHOTS, `media-${String(++step).padStart(2, '0')}-${name}.png`),
        fullPage: true,
      });
    };

    /** Signs the administrator in and opens the film's media tab. */
    const openMedia = async (filmId: string): Promise<Page> => {
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US' });
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      await page.goto(`${server.base}/admin/`);
      await page.locator('input[name=login]').fill(server.admin.login);
      await page.locator('input[name=password]').fill(server.admin.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/admin\/films$/);
      await page.goto(`${server.base}/admin/films/${filmId}/media`);
      await page.getByRole('tab', { name: 'Media' }).waitFor();
      return page;
    };

    const ffmpeg = async (args: string[]) => {
      const engine = await createMediaEngine();
      await run(engine.ffmpeg.path, ['-nostdin', '-v', 'error', '-y', ...args]);
    };

    beforeAll(async () => {
      if (!existsSync(path.join(root, 'web/dist/index.html')))
        await run(process.execPath, [path.join(root, 'scripts/build-web.mjs')], { cwd: root });
      dir = mkdtempSync(path.join(tmpdir(), 'kino-admin-media-'));
      await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=240x360', '-frames:v', '1', media('poster.png')]);
      await ffmpeg([
        ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2'],
        ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'],
        ...['-c:a', 'aac', '-ar', '48000', '-movflags', '+faststart', media('film.mp4')],
      ]);
      // The index first: the copy cut in half has a whole header and only its end is missing.
      writeFileSync(media('cut.mp4'), readFileSync(media('film.mp4')));
      truncateSync(media('cut.mp4'), Math.floor(statSync(media('film.mp4')).size / 2));

      server = await startKinoServer({ env: { HOST: '127.0.0.1', KINO_RATE_LIMIT: 'off' } });
      token = await server.adminToken();
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
    }, 600_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('uploads a poster and a trailer and shows them; replacing the poster keeps one', async () => {
      const filmId = await newFilm(`Poster film ${Date.now()}`);
      const page = await openMedia(filmId);
      await page.getByTestId('poster-empty').waitFor();
      await page.getByTestId('trailer-empty').waitFor();
      await shot(page, 'empty');

      await page.getByTestId('poster-input').setInputFiles(media('poster.png'));
      const preview = page.getByTestId('poster-preview');
      await preview.waitFor();
      const posters = await api<StoredFile[]>('GET', `/api/v1/files?film_id=${filmId}&kind=poster`);
      expect(posters.json).toHaveLength(1);
      const first = posters.json[0]!.id;
      expect(await preview.getAttribute('src')).toBe(`/api/v1/files/${first}/content`);
      // The image the browser shows is the uploaded one (240×360), loaded from that URL.
      await expect
        .poll(() =>
          preview.evaluate((img) => {
            const shown = img as unknown as { naturalWidth: number; naturalHeight: number };
            return `${shown.naturalWidth}x${shown.naturalHeight}`;
          }),
        )
        .toBe('240x360');
      await shot(page, 'poster');

      // Replacing: the new poster is shown, the old file is gone.
      await page.getByTestId('poster-input').setInputFiles(media('poster.png'));
      await expect.poll(() => preview.getAttribute('src')).not.toBe(`/api/v1/files/${first}/content`);
      const replaced = await api<StoredFile[]>('GET', `/api/v1/files?film_id=${filmId}&kind=poster`);
      expect(replaced.json).toHaveLength(1);
      expect(await preview.getAttribute('src')).toBe(`/api/v1/files/${replaced.json[0]!.id}/content`);

      await page.getByTestId('trailer-input').setInputFiles(media('film.mp4'));
      const trailer = page.getByTestId('trailer-preview');
      await trailer.waitFor();
      const trailers = await api<StoredFile[]>('GET', `/api/v1/files?film_id=${filmId}&kind=trailer`);
      expect(trailers.json.map((f) => f.kind)).toEqual(['trailer']);
      expect(await trailer.getAttribute('src')).toBe(`/api/v1/files/${trailers.json[0]!.id}/content`);
      await shot(page, 'trailer');

      // Removing the poster asks first, then shows the empty state.
      await page.getByRole('button', { name: 'Remove poster' }).click();
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByTestId('poster-empty').waitFor();
      expect((await api<StoredFile[]>('GET', `/api/v1/files?film_id=${filmId}&kind=poster`)).json).toEqual(
        [],
      );
      await page.context().close();
    }, 180_000);

    it("uploads the film's video resumably and follows the job to ready with its renditions; deletes it", async () => {
      const filmId = await newFilm(`Video film ${Date.now()}`);
      const page = await openMedia(filmId);
      await page.getByTestId('video-empty').waitFor();

      // The first chunk's connection drops: the upload retries and resumes from the server's offset.
      let dropped = 0;
      await page.route('**/api/v1/uploads/*', async (route) => {
        if (route.request().method() === 'PATCH' && dropped === 0) {
          dropped++;
          await route.abort('connectionreset');
        } else await route.continue();
      });
      await page.getByTestId('video-input').setInputFiles(media('film.mp4'));
      const job = page.getByTestId('video-job');
      await job.waitFor({ timeout: 60_000 });
      expect(dropped).toBe(1);
      await shot(page, 'video-queued');
      await expect
        .poll(() => job.getAttribute('data-status'), { timeout: 240_000, interval: 500 })
        .toBe('ready');
      await shot(page, 'video-ready');

      const video = await api<{
        status: string;
        renditions: { name: string; width: number; height: number }[];
      }>('GET', `/api/v1/films/${filmId}/video`);
      expect(video.json.status).toBe('ready');
      expect(video.json.renditions.length).toBeGreaterThan(0);
      const rows = page.getByTestId('video-rendition');
      await expect.poll(() => rows.count()).toBe(video.json.renditions.length);
      for (const [i, r] of video.json.renditions.entries()) {
        const text = await rows.nth(i).textContent();
        expect(text).toContain(r.name);
        expect(text).toContain(`${r.width}×${r.height}`);
      }
      expect(await page.getByTestId('video-status').textContent()).toBe('Ready');
      expect(await page.getByTestId('video-storage').textContent()).toMatch(
        /Storage used: \d+(\.\d)? (KB|MB)/,
      );

      // A subtitle track for the video: listed with its label; a file that is not WebVTT is
      // refused with the line that is wrong; the track is deleted again.
      writeFileSync(media('ru.vtt'), 'WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nПривет.\n');
      writeFileSync(media('bad.vtt'), 'WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nBackwards.\n');
      await page.getByTestId('subtitle-lang').fill('ru');
      await page.getByTestId('subtitle-label').fill('Русские');
      await page.getByTestId('subtitle-input').setInputFiles(media('ru.vtt'));
      const track = page.getByTestId('subtitle');
      await track.waitFor({ timeout: 30_000 });
      expect(await track.textContent()).toMatch(/^ruРусские\d+ B/);
      await page.getByTestId('subtitle-lang').fill('en');
      await page.getByTestId('subtitle-input').setInputFiles(media('bad.vtt'));
      await expect.poll(() => page.getByText(/Line 3/).count(), { timeout: 30_000 }).toBeGreaterThan(0);
      expect(await track.count()).toBe(1);
      await shot(page, 'video-subtitles');
      const listed = await api<{ subtitles: { lang: string; label: string }[] }>(
        'GET',
        `/api/v1/films/${filmId}/video`,
      );
      expect(listed.json.subtitles).toEqual([expect.objectContaining({ lang: 'ru', label: 'Русские' })]);
      await track.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByTestId('subtitles-empty').waitFor();

      await page.getByRole('button', { name: 'Delete video' }).click();
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByTestId('video-empty').waitFor();
      expect((await api('GET', `/api/v1/films/${filmId}/video`)).status).toBe(404);
      await page.context().close();
    }, 360_000);

    it('shows why a cut-short video failed', async () => {
      const filmId = await newFilm(`Cut film ${Date.now()}`);
      const page = await openMedia(filmId);
      await page.getByTestId('video-empty').waitFor();
      await page.getByTestId('video-input').setInputFiles(media('cut.mp4'));
      const job = page.getByTestId('video-job');
      await job.waitFor({ timeout: 60_000 });
      await expect
        .poll(() => job.getAttribute('data-status'), { timeout: 240_000, interval: 500 })
        .toBe('failed');
      const error = page.getByTestId('video-error');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/Packaging failed: .*cut short/);
      expect(await page.getByTestId('video-status').textContent()).toBe('Failed');
      await shot(page, 'video-failed');
      await page.context().close();
    }, 360_000);
  },
);
