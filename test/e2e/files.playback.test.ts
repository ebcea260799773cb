/**
 * Playback end to end: a film's video is packaged by the real transcode worker (clips made here by
 * ffmpeg, testsrc2 + sine, nothing committed), then played as a player would. Who may watch
 * follows the film's access level; the package is served under a signed path that every
 * playlist and segment inherits, which cannot be extended, moved to another film or job, edited
 * or escaped. An independent ffprobe and ffmpeg read and decode every rendition over real HTTP,
 * from local disk and from S3 (s3rver started by the test).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBlobStore } from '../../src/adapters/blob/local.js';
import { createS3BlobStore } from '../../src/adapters/blob/s3.js';
import { createMediaEngine, type MediaEngine } from '../../src/modules/files/media/media.engine.js';
import { loadLinkSecret } from '../../src/modules/files/files.links.js';
import { createPlaybackSigner } from '../../src/modules/files/video/playback.links.js';
import { createVideoRepository } from '../../src/modules/files/video/video.repository.js';
import type { BlobStore } from '../../src/ports/blob.js';
import type { HttpApp } from '../../src/platform/http/app.js';
import { uniq } from '../helpers/engines.js';
import { auth, emitFilm, testTokens, type Access } from '../helpers/files.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { listen, makeClip, readyFilm as readyVideoFilm, urisOf } from '../helpers/video.js';

const exec = promisify(execFile);
/** A kernel started and two clips packaged by the transcode worker: minutes on a busy machine. */
const PACKAGING_TIMEOUT = 600_000;
/** ffmpeg decodes every rendition through the app (and s3rver, in this process): minutes on a busy machine. */
const DECODE_TIMEOUT = 180_000;

interface Playback {
  film_id: string;
  hls_url: string;
  expires_at: string;
  duration: number;
  renditions: { name: string; width: number; height: number; bandwidth: number }[];
  poster: string | null;
  thumbnails: string | null;
  subtitles: unknown[];
  code?: string;
}

let engine: MediaEngine;
let dir: string;
let clip: Buffer;
/** 2 s of 320×240 with two audio tracks: English, then Russian. */
let dubbed: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kino-playback-e2e-'));
  engine = await createMediaEngine();
  clip = await makeClip(engine, dir);
  const dubbedFile = path.join(dir, 'dubbed.mp4');
  await exec(engine.ffmpeg.path, [
    ...['-nostdin', '-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=660:duration=2'],
    ...['-map', '0', '-map', '1', '-map', '2'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'],
    ...['-c:a', 'aac', '-ar', '48000', '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=rus'],
    dubbedFile,
  ]);
  dubbed = readFileSync(dubbedFile);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A new film of `access` whose video (film.mp4: `source` 360p and `240p`) is ready to play. */
const readyFilm = (kino: TestKino, access: Access, video = clip) =>
  readyVideoFilm(kino, access, video, PACKAGING_TIMEOUT - 60_000);

const playback = (app: HttpApp, film: string, who?: 'admin' | 'sub' | 'unsub') =>
  app.inject({
    method: 'GET',
    url: `/api/v1/films/${film}/playback`,
    ...(who ? { headers: auth(who) } : {}),
  });

/** Codec and size of a picture, as an independent ffprobe reads it. */
async function pictureSize(data: Buffer): Promise<{ codec: string; width: number; height: number }> {
  const file = path.join(dir, `${randomUUID()}.jpg`);
  writeFileSync(file, data);
  const { stdout } = await exec(engine.ffprobe.path, [
    ...['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', file],
  ]);
  const [stream] = (
    JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number }[] }
  ).streams;
  return { codec: stream!.codec_name, width: stream!.width, height: stream!.height };
}

/** GET with the path exactly as given (no dot-segment resolution, no re-encoding). */
function rawGet(origin: string, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${origin}/`, { path: target }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** An independent ffprobe and ffmpeg read every rendition through the signed URL. */
async function playsOverHttp(masterUrl: string, heights: number[]): Promise<void> {
  const probe = await exec(engine.ffprobe.path, [
    ...['-v', 'error', '-show_entries', 'stream=codec_type,height:format=duration', '-of', 'json'],
    masterUrl,
  ]);
  const read = JSON.parse(probe.stdout) as {
    format: { duration: string };
    streams: { codec_type: string; height?: number }[];
  };
  expect(Number(read.format.duration)).toBeCloseTo(2, 0);
  const videos = read.streams.filter((s) => s.codec_type === 'video').map((s) => s.height);
  expect(videos.sort()).toEqual([...heights].sort());
  expect(read.streams.filter((s) => s.codec_type === 'audio')).toHaveLength(heights.length);
  // Decodes every stream of every rendition; exits non-zero on any error.
  await exec(engine.ffmpeg.path, [
    '-nostdin',
    '-v',
    'error',
    '-i',
    masterUrl,
    '-map',
    '0',
    '-f',
    'null',
    '-',
  ]);
}

describe('playback', () => {
  let kino: TestKino;
  let blob: BlobStore;
  let blobRoot: string;
  let paid: string;
  let free: string;
  /** The app listening on a real port. */
  let origin: string;

  beforeAll(async () => {
    blobRoot = mkdtempSync(path.join(tmpdir(), 'kino-playback-blob-'));
    blob = await createLocalBlobStore({ root: blobRoot });
    kino = await createTestKino({ modules: ['files'], extras: { blob }, tokens: testTokens });
    [paid, free] = await Promise.all([readyFilm(kino, 'PAID'), readyFilm(kino, 'FREE')]);
    origin = await listen(kino.app);
  }, PACKAGING_TIMEOUT);
  afterAll(async () => {
    await kino?.close();
    await blob?.close();
    rmSync(blobRoot, { recursive: true, force: true });
  });

  /** The playback of the PAID film as a subscriber gets it. */
  const subscribed = async () => {
    const res = await playback(kino.app, paid, 'sub');
    expect(res.statusCode).toBe(200);
    return res.json<Playback>();
  };
  const get = (url: string, headers: Record<string, string> = {}) =>
    kino.app.inject({ method: 'GET', url, headers });
  /** The token of an hls_url and the URL with another token in its place. */
  const tokenOf = (hlsUrl: string) => /\/api\/v1\/hls\/([^/]+)\//.exec(hlsUrl)![1]!;
  const withToken = (hlsUrl: string, token: string) => hlsUrl.replace(tokenOf(hlsUrl), token);

  it('refuses a PAID film to anonymous callers (401) and to a FREE_FILMS user (403); a subscriber plays it', async () => {
    const anonymous = await playback(kino.app, paid);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
    expect(anonymous.headers['cache-control']).toBe('no-store');
    const unsubscribed = await playback(kino.app, paid, 'unsub');
    expect(unsubscribed.statusCode).toBe(403);
    expect(unsubscribed.json()).toMatchObject({ code: 'FILM_ACCESS_DENIED' });

    const res = await playback(kino.app, paid, 'sub');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    const body = res.json<Playback>();
    expect(body).toMatchObject({ film_id: paid, subtitles: [] });
    expect(body.hls_url).toMatch(/^\/api\/v1\/hls\/[^/]+\/master\.m3u8$/);
    const base = body.hls_url.replace('master.m3u8', '');
    expect(body.poster).toBe(`${base}poster.jpg`);
    expect(body.thumbnails).toBe(`${base}thumbs/thumbs.vtt`);
    expect(body.duration).toBeCloseTo(2, 0);
    expect(body.renditions.map((r) => [r.name, r.height])).toEqual([
      ['source', 360],
      ['240p', 240],
    ]);
    for (const r of body.renditions) expect(r.bandwidth).toBeGreaterThan(0);
  });

  it('serves every playlist and segment under hls_url with its content type and cache lifetime', async () => {
    const { hls_url } = await subscribed();
    const origin = 'http://kino.test';
    const master = new URL(hls_url, origin);
    const res = await get(master.pathname);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(res.headers['cache-control']).toBe('public, max-age=5');
    const playlists = urisOf(res.body, master);
    expect(playlists.map((u) => u.pathname.split('/').slice(-2).join('/')).sort()).toEqual([
      '240p/index.m3u8',
      'source/index.m3u8',
    ]);
    let segments = 0;
    for (const playlist of playlists) {
      const list = await get(playlist.pathname);
      expect(list.statusCode).toBe(200);
      expect(list.headers['content-type']).toBe('application/vnd.apple.mpegurl');
      expect(list.headers['cache-control']).toBe('public, max-age=5');
      const files = urisOf(list.body, playlist);
      expect(files[0]!.pathname).toMatch(/\/init\.mp4$/);
      for (const file of files) {
        const part = await get(file.pathname);
        expect(part.statusCode).toBe(200);
        expect(part.headers['content-type']).toBe(
          file.pathname.endsWith('.mp4') ? 'video/mp4' : 'video/iso.segment',
        );
        expect(part.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(part.headers['content-length']).toBe(String(part.rawPayload.length));
        expect(part.rawPayload.length).toBeGreaterThan(0);
        // The bytes the worker stored under the job's folder.
        const [film, job] = tokenOf(hls_url).split('.');
        const name = file.pathname.split('/').slice(-2).join('/');
        const stored = await blob.get(`videos/${film}/${job}/${name}`);
        expect(stored).not.toBeNull();
        expect(part.rawPayload.equals(Buffer.concat(await stored!.body.toArray()))).toBe(true);
        if (file.pathname.endsWith('.m4s')) segments++;
      }
    }
    expect(segments).toBeGreaterThanOrEqual(2);
  });

  it('serves the poster frame and the thumbnail track under the signed path, and every sprite the track names', async () => {
    const { poster, thumbnails, hls_url } = await subscribed();
    const image = await get(poster!);
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/jpeg');
    expect(image.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(await pictureSize(image.rawPayload)).toEqual({ codec: 'mjpeg', width: 480, height: 360 });

    const track = await get(thumbnails!);
    expect(track.statusCode).toBe(200);
    expect(track.headers['content-type']).toBe('text/vtt; charset=utf-8');
    expect(track.body.startsWith('WEBVTT\n')).toBe(true);
    const cues = [...track.body.matchAll(/^(\S+) --> (\S+)\n(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)$/gm)];
    expect(cues.length).toBeGreaterThan(0);
    expect(cues[0]![1]).toBe('00:00:00.000');
    // The last cue ends with the film (2 s).
    expect(cues.at(-1)![2]).toMatch(/^00:00:0[12]\.\d{3}$/);
    // Sprites named relative to the track resolve under the same signed path, as a player resolves them.
    const trackUrl = new URL(thumbnails!, 'http://kino.test');
    const sprites = new Map<string, { width: number; height: number }>();
    for (const [, , , name, x, y, w, h] of cues) {
      const url = new URL(name!, trackUrl);
      expect(
        url.pathname.startsWith(
          new URL(hls_url, 'http://kino.test').pathname.replace('master.m3u8', 'thumbs/'),
        ),
      ).toBe(true);
      if (!sprites.has(url.pathname)) {
        const sprite = await get(url.pathname);
        expect(sprite.statusCode, url.pathname).toBe(200);
        expect(sprite.headers['content-type']).toBe('image/jpeg');
        sprites.set(url.pathname, await pictureSize(sprite.rawPayload));
      }
      const size = sprites.get(url.pathname)!;
      expect(Number(x) + Number(w)).toBeLessThanOrEqual(size.width);
      expect(Number(y) + Number(h)).toBeLessThanOrEqual(size.height);
    }
    // The bytes the worker stored in the job's folder.
    const [film, job] = tokenOf(hls_url).split('.');
    const stored = await blob.get(`videos/${film}/${job}/poster.jpg`);
    expect(Buffer.concat(await stored!.body.toArray()).equals(image.rawPayload)).toBe(true);
  });

  it('answers byte ranges of a segment (206) and If-None-Match (304)', async () => {
    const { hls_url } = await subscribed();
    const segment = hls_url.replace('master.m3u8', '240p/seg_00000.m4s');
    const whole = await get(segment);
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    const size = whole.rawPayload.length;
    const part = await get(segment, { range: 'bytes=10-99' });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-99/${size}`);
    expect(part.rawPayload.equals(whole.rawPayload.subarray(10, 100))).toBe(true);
    const tail = await get(segment, { range: 'bytes=-16' });
    expect(tail.rawPayload.equals(whole.rawPayload.subarray(size - 16))).toBe(true);
    const past = await get(segment, { range: `bytes=${size}-` });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${size}`);
    expect(past.headers['cache-control']).toBe('no-store');
    const etag = String(whole.headers.etag);
    const again = await get(segment, { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
  });

  it('plays a FREE film to anyone, without logging in', async () => {
    const res = await playback(kino.app, free);
    expect(res.statusCode).toBe(200);
    const { hls_url } = res.json<Playback>();
    const master = await get(hls_url);
    expect(master.statusCode).toBe(200);
    expect(master.body).toContain('source/index.m3u8');
  });

  it('refuses an ARCHIVED film to a subscriber; unknown films and films without a package are 404', async () => {
    const sql = kino.kernel.engines.sql;
    const archived = await emitFilm(sql, 'ARCHIVED');
    const waiting = await emitFilm(sql, 'FREE');
    await kino.settle();
    const refused = await playback(kino.app, archived, 'sub');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'FILM_ACCESS_DENIED' });
    expect((await playback(kino.app, archived)).statusCode).toBe(401);
    // An editor may see it, but it has no video.
    expect((await playback(kino.app, archived, 'admin')).json()).toMatchObject({ code: 'VIDEO_NOT_FOUND' });

    const unknown = await playback(kino.app, '3f1b0c8e-0000-4000-8000-000000000000', 'admin');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'FILM_NOT_FOUND' });

    // A job that never publishes a package (its upload does not exist): not ready, whatever its state.
    await createVideoRepository(sql).enqueue({
      id: randomUUID(),
      filmId: waiting,
      sourceFileId: randomUUID(),
      now: new Date(),
    });
    const notReady = await playback(kino.app, waiting);
    expect(notReady.statusCode).toBe(404);
    expect(notReady.json()).toMatchObject({ code: 'VIDEO_NOT_READY' });
  });

  it('rounds the expiry up, so playbacks asked for within minutes share one URL', async () => {
    const before = Date.now();
    const first = await subscribed();
    const second = await subscribed();
    const expires = Date.parse(first.expires_at);
    expect(expires % 600_000).toBe(0);
    expect(expires).toBeGreaterThanOrEqual(before + kino.config.playbackLinkTtl * 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + kino.config.playbackLinkTtl * 1000 + 600_000);
    if (second.expires_at === first.expires_at) expect(second.hls_url).toBe(first.hls_url);
    // Another film's URL differs.
    const other = (await playback(kino.app, free)).json<Playback>();
    expect(tokenOf(other.hls_url)).not.toBe(tokenOf(first.hls_url));
  });

  it('refuses an expired link (403 PLAYBACK_LINK_EXPIRED)', async () => {
    const { hls_url } = await subscribed();
    const [film, job] = tokenOf(hls_url).split('.');
    // Signed with the product's own key, an hour in the past.
    const signer = createPlaybackSigner(loadLinkSecret(undefined, kino.dataDir));
    const past = Math.floor(Date.now() / 1000) - 3600;
    const res = await get(withToken(hls_url, signer.token(film!, job!, past)));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'PLAYBACK_LINK_EXPIRED' });
    expect(res.headers['cache-control']).toBe('no-store');
    // The same key and a future expiry: the check is the expiry, not the key.
    expect((await get(withToken(hls_url, signer.token(film!, job!, past + 7200)))).statusCode).toBe(200);
  });

  it('refuses an edited link: another character, film, job or expiry, or another spelling (403 PLAYBACK_LINK_INVALID)', async () => {
    const { hls_url } = await subscribed();
    const other = (await playback(kino.app, free)).json<Playback>();
    const token = tokenOf(hls_url);
    const [film, job, expires, signature] = token.split('.') as [string, string, string, string];
    const [otherFilm, otherJob] = tokenOf(other.hls_url).split('.') as [string, string];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const edited = [
      `${film}.${job}.${expires}.${flip(signature, 0)}`,
      `${film}.${job}.${expires}.${flip(signature, signature.length - 1)}`,
      `${otherFilm}.${job}.${expires}.${signature}`,
      `${film}.${otherJob}.${expires}.${signature}`,
      `${otherFilm}.${otherJob}.${expires}.${signature}`,
      `${film}.${job}.${Number(expires) + 600}.${signature}`,
      `${film}.${job}.0${expires}.${signature}`,
      `${film.toUpperCase()}.${job}.${expires}.${signature}`,
      `${film}.${job}.${expires}.${signature}=`,
      `${film}.${job}.${expires}.${signature}A`,
      `${film}.${job}.${expires}`,
      'not-a-token',
    ];
    for (const bad of edited) {
      const res = await get(withToken(hls_url, bad));
      expect({ bad, status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({
        bad,
        status: 403,
        code: 'PLAYBACK_LINK_INVALID',
      });
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect((await get(hls_url)).statusCode).toBe(200);
  });

  it('serves only the names of the package layout: traversal, encoded slashes and other files are refused', async () => {
    const { hls_url } = await subscribed();
    const base = hls_url.replace('master.m3u8', '');
    const attempts = [
      '../master.m3u8',
      'source/../master.m3u8',
      '..%2F..%2Ffiles-link.key',
      '%2e%2e/%2e%2e/master.m3u8',
      'source%2Findex.m3u8',
      'source/index%2Em3u8',
      '%6Daster.m3u8',
      'source%5Cindex.m3u8',
      'source\\index.m3u8',
      'source/index.m3u8%00',
      'source/seg_1.m4s',
      'source/other.bin',
      'Master.m3u8',
      'master.m3u8/',
      '240p/index.m3u8/../../../../files-link.key',
      'source/./index.m3u8',
      '',
    ];
    for (const attempt of attempts) {
      // Over a socket, as sent: an HTTP client library would resolve the dots first.
      const res = await rawGet(origin, base + attempt);
      expect([400, 404], attempt).toContain(res.status);
      expect(res.body, attempt).not.toContain('#EXTM3U');
    }
    // The names themselves work.
    expect((await get(`${base}240p/index.m3u8`)).statusCode).toBe(200);
    // A name of the layout the package does not have.
    const missing = await get(`${base}720p/index.m3u8`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'PLAYBACK_FILE_NOT_FOUND' });
  });

  it('lists both routes in the OpenAPI document with their error codes', async () => {
    const doc = (await get('/api/openapi.json')).json<{ paths: Record<string, { get?: unknown }> }>();
    const paths = Object.keys(doc.paths);
    expect(paths).toContain('/api/v1/films/{id}/playback');
    expect(paths.some((p) => p.startsWith('/api/v1/hls/{token}/'))).toBe(true);
    expect(JSON.stringify(doc.paths['/api/v1/films/{id}/playback'])).toContain('VIDEO_NOT_READY');
  });

  it(
    'an independent ffprobe and ffmpeg read and decode every rendition over HTTP through the signed URL',
    async () => {
      const { hls_url } = await subscribed();
      await playsOverHttp(`${origin}${hls_url}`, [360, 240]);
    },
    DECODE_TIMEOUT,
  );

  it(
    'a film of two audio tracks: each is an AUDIO rendition of the master, the video has none, and ffmpeg decodes it all through the signed URL',
    async () => {
      const film = await readyFilm(kino, 'FREE', dubbed);
      const { hls_url } = (await playback(kino.app, film)).json<Playback>();
      const master = await get(hls_url);
      expect(master.statusCode).toBe(200);
      expect(master.body.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:TYPE=AUDIO'))).toEqual([
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",CHANNELS="1",DEFAULT=YES,AUTOSELECT=YES,URI="audio0/index.m3u8"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Russian",LANGUAGE="ru",CHANNELS="1",DEFAULT=NO,AUTOSELECT=YES,URI="audio1/index.m3u8"',
      ]);
      const video = (
        await kino.app.inject({ method: 'GET', url: `/api/v1/films/${film}/video`, headers: auth('admin') })
      ).json<{ storage_bytes: number; renditions: { bytes: number }[] }>();
      // The audio renditions' bytes count in the film's storage.
      expect(video.storage_bytes).toBeGreaterThan(video.renditions.reduce((sum, r) => sum + r.bytes, 0));
      const probe = await exec(engine.ffprobe.path, [
        ...['-v', 'error', '-show_entries', 'stream=codec_type:stream_tags=language', '-of', 'json'],
        `${origin}${hls_url}`,
      ]);
      const streams = (JSON.parse(probe.stdout) as { streams: { codec_type: string }[] }).streams;
      // The 240p video, and the English and Russian renditions.
      expect(streams.filter((s) => s.codec_type === 'video')).toHaveLength(1);
      expect(streams.filter((s) => s.codec_type === 'audio').length).toBeGreaterThanOrEqual(2);
      const source = await get(new URL('source/index.m3u8', `${origin}${hls_url}`).pathname);
      expect(source.statusCode).toBe(200);
      await exec(engine.ffmpeg.path, [
        '-nostdin',
        '-v',
        'error',
        '-i',
        `${origin}${hls_url}`,
        '-map',
        '0',
        '-f',
        'null',
        '-',
      ]);
    },
    PACKAGING_TIMEOUT,
  );
});

describe('playback on S3', () => {
  let kino: TestKino;
  let blob: BlobStore;
  let s3: TestS3;
  let film: string;

  beforeAll(async () => {
    s3 = await startTestS3();
    blob = await createS3BlobStore({ ...s3, bucket: uniq('kino-playback-') });
    kino = await createTestKino({
      modules: ['files'],
      extras: { blob },
      tokens: testTokens,
      env: { PUBLIC_URL: 'http://127.0.0.1:1' },
    });
    film = await readyFilm(kino, 'PAID');
  }, PACKAGING_TIMEOUT);
  afterAll(async () => {
    await kino?.close();
    await blob?.close();
    await s3?.close();
  });

  it(
    'proxies the package from the bucket: ranges work, and ffprobe and ffmpeg play every rendition',
    async () => {
      const res = await playback(kino.app, film, 'sub');
      expect(res.statusCode).toBe(200);
      const { hls_url } = res.json<Playback>();
      // PUBLIC_URL set: an absolute URL.
      expect(hls_url.startsWith('http://127.0.0.1:1/api/v1/hls/')).toBe(true);
      const pathOf = new URL(hls_url).pathname;
      const segment = pathOf.replace('master.m3u8', 'source/seg_00000.m4s');
      const whole = await kino.app.inject(segment);
      expect(whole.statusCode).toBe(200);
      expect(whole.headers['content-type']).toBe('video/iso.segment');
      const part = await kino.app.inject({ url: segment, headers: { range: 'bytes=100-199' } });
      expect(part.statusCode).toBe(206);
      expect(part.rawPayload.equals(whole.rawPayload.subarray(100, 200))).toBe(true);
      // The poster and the thumbnail track (and the sprite it names) from the bucket too.
      const { poster, thumbnails } = res.json<Playback>();
      const image = await kino.app.inject(new URL(poster!).pathname);
      expect([image.statusCode, image.headers['content-type']]).toEqual([200, 'image/jpeg']);
      expect(await pictureSize(image.rawPayload)).toMatchObject({ width: 480, height: 360 });
      const trackUrl = new URL(thumbnails!);
      const track = await kino.app.inject(trackUrl.pathname);
      expect([track.statusCode, track.headers['content-type']]).toEqual([200, 'text/vtt; charset=utf-8']);
      const sprite = /^(sprite_\d{3}\.jpg)#xywh=/m.exec(track.body)![1]!;
      const tiles = await kino.app.inject(new URL(sprite, trackUrl).pathname);
      expect([tiles.statusCode, tiles.headers['content-type']]).toEqual([200, 'image/jpeg']);

      const origin = await listen(kino.app);
      await playsOverHttp(`${origin}${pathOf}`, [360, 240]);
    },
    DECODE_TIMEOUT,
  );
});
