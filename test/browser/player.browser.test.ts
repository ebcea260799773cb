/**
 * A film played by hls.js in a real browser (Debian's Chromium driven by playwright-core), in the
 * product's own embed page, against the real all-in-one server on a free port: an editor uploads a
 * generated clip and attaches it as a film's video; once the package is ready, the page plays it
 * (currentTime advances). When the network slows down (throttled through the DevTools protocol) the
 * player switches to the lower rendition and keeps playing. A PAID film is refused to an anonymous
 * viewer and plays once signed in. An uploaded WebVTT track is shown with `?subtitles=<lang>`, its
 * cue at the cue's own time, and a film of two audio tracks plays the one asked for (`?audio=`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openAsBlob, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createMediaEngine } from '../../src/modules/files/media/media.engine.js';
import { eventually } from '../helpers/engines.js';
import { freePort } from '../helpers/server-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SKIP_REASON = `skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`;
if (!hasChromium) process.stderr.write(`player.browser.test: ${SKIP_REASON}\n`);

const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** Waits through the shared `eventually` (ADR 0006) at a browser's pace; `undefined` means not yet. */
const until = <T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> =>
  eventually(probe, { timeoutMs: ms, intervalMs: 200, what }) as Promise<T>;

interface PlayerState {
  levels: { height: number; bitrate: number }[];
  level: number;
  loading: { level: number; height: number; at: number }[];
  switches: { level: number; height: number | null; at: number }[];
  subtitles: { lang: string; name: string }[];
  audioTracks: { lang: string; name: string }[];
  audioTrack: number;
  errors: string[];
  ready: boolean;
}

describe.skipIf(!hasChromium)(`the embed player in Chromium${hasChromium ? '' : ` (${SKIP_REASON})`}`, () => {
  const password = `Kino-${randomBytes(9).toString('base64url')}`;
  const login = `editor${randomBytes(3).toString('hex')}`;
  let dir: string;
  let base: string;
  let server: ChildProcess;
  let serverLog = '';
  let browser: Browser;
  let token: string;

  const api = async <T = unknown>(method: string, url: string, body?: unknown, auth = true) => {
    const res = await fetch(base + url, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(auth ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
  };

  /** A film of its own (access `access`) whose video is `clip`, once the package is ready. */
  const filmWithVideo = async (access: 'FREE' | 'PAID', clip: string): Promise<string> => {
    const created = await api<{ id: string }>('POST', '/api/v1/admin/films', {
      title: `Player test ${randomBytes(3).toString('hex')}`,
      access,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const film = created.json.id;
    const form = new FormData();
    form.append('kind', 'video');
    form.append('film_id', film);
    form.append('file', await openAsBlob(clip, { type: 'video/mp4' }), path.basename(clip));
    const uploaded = await until('the upload', 60_000, async () => {
      const res = await fetch(`${base}/api/v1/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      // The files module learns of the new film through its projection.
      if (res.status === 404) return undefined;
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as { id: string };
    });
    expect((await api('PUT', `/api/v1/films/${film}/video`, { file_id: uploaded.id })).status).toBe(202);
    await until('the package ready', 240_000, async () => {
      const video = await api<{ status: string; error: string | null }>('GET', `/api/v1/films/${film}/video`);
      if (video.json.status === 'failed') throw new Error(`the job failed: ${video.json.error}`);
      return video.json.status === 'ready' ? true : undefined;
    });
    return film;
  };

  const newPage = async (): Promise<{ context: BrowserContext; page: Page }> => {
    // A context of its own: an empty HTTP cache, so every segment comes from the server.
    const context = await browser.newContext({ viewport: { width: 960, height: 540 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    return { context, page };
  };
  const playerState = (page: Page) =>
    page.evaluate(() => (globalThis as unknown as { kinoPlayer: PlayerState }).kinoPlayer);
  /** The page's video element, as much of it as these tests use. */
  type Video = { currentTime: number; play(): Promise<void> };
  const currentTime = (page: Page) =>
    page.locator('#video').evaluate((v) => (v as unknown as Video).currentTime);
  const play = (page: Page) => page.locator('#video').evaluate((v) => (v as unknown as Video).play());
  /** The video's text tracks, with their mode and active cues. */
  type Cue = { text: string; startTime: number; endTime: number };
  type Track = { mode: string; language: string; activeCues: ArrayLike<Cue> | null };
  const textTracks = (page: Page) =>
    page.locator('#video').evaluate((v) =>
      Array.from((v as unknown as { textTracks: ArrayLike<Track> }).textTracks).map((t) => ({
        language: t.language,
        mode: t.mode,
        active: Array.from(t.activeCues ?? []).map((c) => ({
          text: c.text,
          start: c.startTime,
          end: c.endTime,
        })),
      })),
    );

  let clip: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kino-player-'));
    // 90 s of noisy 640×360 at a steady 2.5 Mbit/s: a source rendition well above the 240p rung.
    const engine = await createMediaEngine();
    clip = path.join(dir, 'film.mp4');
    await run(engine.ffmpeg.path, [
      ...['-nostdin', '-v', 'error', '-y'],
      ...['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=90'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=48000:duration=90'],
      ...['-vf', 'noise=alls=30:allf=t', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
      ...['-b:v', '2500k', '-minrate', '2500k', '-maxrate', '2500k', '-bufsize', '2500k', '-g', '50'],
      ...['-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart', clip],
    ]);

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KINO_DATA_DIR: path.join(dir, 'data'),
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      KINO_RATE_LIMIT: 'off',
      KINO_ADMIN_PASSWORD: password,
    };
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'NATS_URL', 'SERVICES', 'S3_ENDPOINT']) delete env[key];
    const cli = ['--import', 'tsx', path.join(root, 'src/runtime/cli.ts')];
    await run(
      process.execPath,
      [...cli, 'createsuperuser', '--login', login, '--email', `${login}@example.com`],
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
    server.stdout?.on('data', (d: Buffer) => (serverLog = (serverLog + d.toString()).slice(-20_000)));
    server.stderr?.on('data', (d: Buffer) => (serverLog = (serverLog + d.toString()).slice(-20_000)));
    await until('server ready', 180_000, async () => {
      if (server.exitCode !== null) throw new Error(`server exited: ${serverLog.slice(-2000)}`);
      const res = await fetch(`${base}/ready`).catch(() => null);
      return res?.ok ? true : undefined;
    });
    const signIn = await api<{ access_token: string }>(
      'POST',
      '/api/v1/auth/login',
      { login, password },
      false,
    );
    expect(signIn.status).toBe(200);
    token = signIn.json.access_token;

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
    });
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGINT');
      await until('server stopped', 20_000, async () => (server.exitCode !== null ? true : undefined)).catch(
        () => server.kill('SIGKILL'),
      );
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('plays a FREE film anonymously: both renditions listed, currentTime advances', async () => {
    const film = await filmWithVideo('FREE', clip);
    const { context, page } = await newPage();
    try {
      await page.goto(`${base}/embed/${film}`);
      await until('the manifest parsed', 30_000, async () =>
        (await playerState(page)).ready ? true : undefined,
      );
      const { levels } = await playerState(page);
      expect(levels.map((l) => l.height).sort((a, b) => a - b)).toEqual([240, 360]);
      await play(page);
      await until('playback past 2 s', 60_000, async () =>
        (await currentTime(page)) > 2 ? true : undefined,
      );

      const at = await currentTime(page);
      await until('playback going on', 60_000, async () =>
        (await currentTime(page)) > at + 2 ? true : undefined,
      );
      expect((await playerState(page)).errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 400_000);

  it('switches to the lower rendition when the network slows down, and keeps playing', async () => {
    const film = await filmWithVideo('FREE', clip);
    const { context, page } = await newPage();
    /** Waits as `until` does; a failure message carries the player's renditions and switches. */
    const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> =>
      until(what, ms, probe).catch(async (error: unknown) => {
        const { levels, loading, switches } = await playerState(page);
        const seen = JSON.stringify({ levels, loading, switches, currentTime: await currentTime(page) });
        throw new Error(`${(error as Error).message}; the player: ${seen}`, { cause: error });
      });
    try {
      await page.goto(`${base}/embed/${film}`);
      await until('the manifest parsed', 30_000, async () =>
        (await playerState(page)).ready ? true : undefined,
      );
      const { levels } = await playerState(page);
      const [low, high] = [...levels].sort((a, b) => a.height - b.height);
      expect([low?.height, high?.height]).toEqual([240, 360]);
      // A throughput well between the two renditions' peak bitrates (BANDWIDTH): the higher one
      // cannot be sustained, the lower one can.
      const throughput = Math.sqrt(low!.bitrate * high!.bitrate);
      expect(throughput).toBeGreaterThan(low!.bitrate * 1.5);
      expect(throughput).toBeLessThan(high!.bitrate / 1.5);

      // Unthrottled, the player settles on the higher rendition.
      await play(page);
      await waitFor('playback of the 360 rendition', 60_000, async () =>
        (await playerState(page)).switches.some((s) => s.height === high!.height) ? true : undefined,
      );

      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 20,
        downloadThroughput: throughput / 8,
        uploadThroughput: throughput / 8,
      });
      const throttledAt = (await playerState(page)).switches.length;

      // The forward buffer is a few segments, so playback reaches the lower rendition soon after.
      const down = await waitFor('a switch down to the 240 rendition', 120_000, async () =>
        (await playerState(page)).switches.slice(throttledAt).find((s) => s.height === low!.height),
      );
      await waitFor('playback going on after the switch', 60_000, async () =>
        (await currentTime(page)) > down.at + 2 ? true : undefined,
      );
      expect((await playerState(page)).errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 400_000);

  it('refuses a PAID film to an anonymous viewer and plays it for a signed-in editor', async () => {
    const film = await filmWithVideo('PAID', clip);
    const { context, page } = await newPage();
    try {
      await page.goto(`${base}/embed/${film}`);
      await expect
        .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
        .toBe('Sign in to watch this film.');
      expect((await playerState(page)).errors).toEqual(['AUTHENTICATION_REQUIRED']);

      await page.evaluate(
        (t) =>
          (
            globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }
          ).localStorage.setItem('kino.access_token', t),
        token,
      );
      await page.reload();
      await until('the manifest parsed', 30_000, async () =>
        (await playerState(page)).ready ? true : undefined,
      );
      await play(page);
      await until('playback past 1 s', 60_000, async () =>
        (await currentTime(page)) > 1 ? true : undefined,
      );
    } finally {
      await context.close();
    }
  }, 400_000);

  it("lists a film's audio tracks and plays the one asked for (?audio=ru) from its own rendition", async () => {
    const dubbed = path.join(dir, 'dubbed.mp4');
    await run((await createMediaEngine()).ffmpeg.path, [
      ...['-nostdin', '-v', 'error', '-y'],
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=20'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=20'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=660:sample_rate=48000:duration=20'],
      ...['-map', '0', '-map', '1', '-map', '2'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'],
      ...['-c:a', 'aac', '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=rus'],
      dubbed,
    ]);
    const film = await filmWithVideo('FREE', dubbed);
    const { context, page } = await newPage();
    const fetched: string[] = [];
    page.on('request', (request) => fetched.push(new URL(request.url()).pathname));
    try {
      await page.goto(`${base}/embed/${film}?audio=ru`);
      await until('the Russian track chosen', 30_000, async () =>
        (await playerState(page)).audioTrack === 1 ? true : undefined,
      );
      expect((await playerState(page)).audioTracks).toEqual([
        { lang: 'en', name: 'English' },
        { lang: 'ru', name: 'Russian' },
      ]);
      await play(page);
      await until('playback past 2 s', 60_000, async () =>
        (await currentTime(page)) > 2 ? true : undefined,
      );
      // The Russian rendition's segments came down beside the video's.
      expect(fetched.some((p) => /\/audio1\/seg_\d+\.m4s$/.test(p))).toBe(true);
      expect((await playerState(page)).errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 400_000);

  it('shows an uploaded subtitle track with ?subtitles=<lang>: the active cue is the uploaded one at its time', async () => {
    const film = await filmWithVideo('FREE', clip);
    const cue = { start: 4, end: 7, text: 'Где-то в Москве, 4 s in.' };
    const track = `WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nFirst line.\n\n00:00:0${cue.start}.000 --> 00:00:0${cue.end}.000\n${cue.text}\n`;
    const uploaded = await fetch(`${base}/api/v1/films/${film}/video/subtitles/ru?label=Русские`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/vtt' },
      body: track,
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(200);
    const { context, page } = await newPage();
    try {
      await page.goto(`${base}/embed/${film}?subtitles=ru`);
      await until('the manifest parsed', 30_000, async () =>
        (await playerState(page)).ready ? true : undefined,
      );
      await play(page);
      await until('playback past 1 s', 60_000, async () =>
        (await currentTime(page)) > 1 ? true : undefined,
      );
      // Held inside the cue: the track must show it whatever the machine's speed.
      await page.locator('#video').evaluate((v, at) => {
        const video = v as unknown as { pause(): void; currentTime: number };
        video.pause();
        video.currentTime = at;
      }, cue.start + 1.5);
      const shown = await until('the cue showing', 60_000, async () => {
        const tracks = await textTracks(page);
        return tracks.find((t) => t.mode === 'showing' && t.active.length > 0);
      }).catch(async (error: unknown) => {
        throw new Error(
          `${(error as Error).message}; tracks ${JSON.stringify(await textTracks(page))}, subtitles ${JSON.stringify((await playerState(page)).subtitles)}, errors ${JSON.stringify((await playerState(page)).errors)}`,
        );
      });
      expect(shown.language).toBe('ru');
      expect(shown.active.map((c) => c.text)).toEqual([cue.text]);
      // The cue sits at its own time: hls.js did not shift it against the fMP4 timeline.
      expect(shown.active[0]!.start).toBeCloseTo(cue.start, 1);
      expect(shown.active[0]!.end).toBeCloseTo(cue.end, 1);
      const state = await playerState(page);
      expect(state.subtitles).toEqual([{ lang: 'ru', name: 'Русские' }]);
      expect(state.errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 400_000);
});
