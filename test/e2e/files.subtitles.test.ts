/**
 * Subtitles end to end: editors upload WebVTT tracks per language to a film's video (every
 * refusal names the line at fault), the tracks outlive a replaced video and go with a deleted
 * one, and playback serves them as subtitle renditions of the HLS package under the signed path,
 * which an independent ffprobe still reads. Clips are made by ffmpeg here (nothing committed).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBlobStore } from '../../src/adapters/blob/local.js';
import { createMediaEngine, type MediaEngine } from '../../src/modules/files/media/media.engine.js';
import { event } from '../../src/platform/events.js';
import { emit } from '../../src/platform/outbox.js';
import type { BlobStore } from '../../src/ports/blob.js';
import { auth, emitFilm, testTokens } from '../helpers/files.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { attachVideo, filmWithVideo, listen, makeClip, readyFilm, urisOf } from '../helpers/video.js';

const exec = promisify(execFile);
/** A kernel started and clips packaged by the transcode worker: minutes on a busy machine. */
const PACKAGING_TIMEOUT = 600_000;

/** A WebVTT file of `cues` ([start, end, text], seconds). */
function vtt(...cues: [number, number, string][]): string {
  const stamp = (s: number) => new Date(s * 1000).toISOString().slice(11, 23);
  return `WEBVTT\n\n${cues.map(([a, b, t]) => `${stamp(a)} --> ${stamp(b)}\n${t}\n`).join('\n')}`;
}

interface VideoBody {
  job_id: string;
  subtitles: { lang: string; label: string; bytes: number }[];
}

let engine: MediaEngine;
let dir: string;
let clip: Buffer;
let kino: TestKino;
let blob: BlobStore;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kino-subtitles-e2e-'));
  engine = await createMediaEngine();
  clip = await makeClip(engine, dir);
  blob = await createLocalBlobStore({ root: path.join(dir, 'blobs') });
  kino = await createTestKino({ modules: ['files'], extras: { blob }, tokens: testTokens });
}, PACKAGING_TIMEOUT);
afterAll(async () => {
  await kino?.close();
  await blob?.close();
  rmSync(dir, { recursive: true, force: true });
});

const putSubtitle = (
  film: string,
  lang: string,
  body: string | Buffer,
  options: { label?: string; who?: 'admin' | 'sub' | 'unsub' | null; type?: string } = {},
) =>
  kino.app.inject({
    method: 'PUT',
    url: `/api/v1/films/${film}/video/subtitles/${lang}${options.label === undefined ? '' : `?label=${encodeURIComponent(options.label)}`}`,
    payload: body,
    headers: {
      'content-type': options.type ?? 'text/vtt',
      ...(options.who === null ? {} : auth(options.who ?? 'admin')),
    },
  });
const deleteSubtitle = (film: string, lang: string, who: 'admin' | 'sub' | null = 'admin') =>
  kino.app.inject({
    method: 'DELETE',
    url: `/api/v1/films/${film}/video/subtitles/${lang}`,
    headers: who === null ? {} : auth(who),
  });
const video = async (film: string): Promise<VideoBody> => {
  const res = await kino.app.inject({
    method: 'GET',
    url: `/api/v1/films/${film}/video`,
    headers: auth('admin'),
  });
  expect(res.statusCode).toBe(200);
  return res.json<VideoBody>();
};
/** The keys of the film's subtitle blobs, sorted. */
const subtitleBlobs = async (film: string): Promise<string[]> => {
  const keys: string[] = [];
  for await (const info of blob.list(`subtitles/${film}/`)) keys.push(info.key);
  return keys.sort();
};
const stored = async (key: string) => {
  const read = await blob.get(key);
  return read ? text(read.body) : null;
};

describe('subtitles API', () => {
  it('uploads, lists, replaces and deletes tracks; the language is stored in its canonical case', async () => {
    const film = await filmWithVideo(kino, 'FREE', clip);
    const english = vtt([1, 2, 'Hello.']);
    const first = await putSubtitle(film, 'en', english);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ lang: 'en', label: 'English', bytes: Buffer.byteLength(english) });
    const portuguese = vtt([0.5, 1.5, 'Olá, ação!']);
    const second = await putSubtitle(film, 'pt-br', portuguese, { label: 'Legendas (PT)' });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toEqual({
      lang: 'pt-BR',
      label: 'Legendas (PT)',
      bytes: Buffer.byteLength(portuguese),
    });
    expect((await video(film)).subtitles).toEqual([
      { lang: 'en', label: 'English', bytes: Buffer.byteLength(english) },
      { lang: 'pt-BR', label: 'Legendas (PT)', bytes: Buffer.byteLength(portuguese) },
    ]);
    expect(await subtitleBlobs(film)).toEqual([`subtitles/${film}/en.vtt`, `subtitles/${film}/pt-BR.vtt`]);
    expect(await stored(`subtitles/${film}/pt-BR.vtt`)).toBe(portuguese);

    const replacement = vtt([1, 2, 'Hello again.'], [3, 4, 'Bye.']);
    const replaced = await putSubtitle(film, 'EN', replacement, { label: 'English (CC)' });
    expect(replaced.json()).toEqual({
      lang: 'en',
      label: 'English (CC)',
      bytes: Buffer.byteLength(replacement),
    });
    expect((await video(film)).subtitles.map((s) => [s.lang, s.label])).toEqual([
      ['en', 'English (CC)'],
      ['pt-BR', 'Legendas (PT)'],
    ]);
    expect(await stored(`subtitles/${film}/en.vtt`)).toBe(replacement);

    expect((await deleteSubtitle(film, 'en')).statusCode).toBe(204);
    expect((await video(film)).subtitles.map((s) => s.lang)).toEqual(['pt-BR']);
    expect(await subtitleBlobs(film)).toEqual([`subtitles/${film}/pt-BR.vtt`]);
    const again = await deleteSubtitle(film, 'en');
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ code: 'SUBTITLE_NOT_FOUND' });
  });

  it('refuses what is not valid WebVTT with 400 SUBTITLE_INVALID naming the line, and stores nothing', async () => {
    const film = await filmWithVideo(kino, 'FREE', clip);
    const cases: [string, string | Buffer, RegExp][] = [
      ['no signature', 'WEBVT\n\n00:00:01.000 --> 00:00:02.000\nHi\n', /^Line 1: .*WEBVTT/],
      ['an SRT file', '1\n00:00:01,000 --> 00:00:02,000\nHi\n', /^Line 1: /],
      [
        'a malformed timing',
        'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\n00:00:03.000 -> 00:00:04.000\nHi\n',
        /^Line 6: the cue timing is not well-formed/,
      ],
      ['a timing without hours or minutes', 'WEBVTT\n\n1.000 --> 2.000\nHi\n', /^Line 3: /],
      [
        'a cue ending before it starts',
        'WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nHi\n',
        /^Line 3: End timestamp/,
      ],
      [
        'cues out of order',
        'WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nB\n\n00:00:01.000 --> 00:00:02.000\nA\n',
        /^Line 6: Start timestamp/,
      ],
      ['seconds past 59', 'WEBVTT\n\n00:00:61.000 --> 00:01:02.000\nHi\n', /^Line 3: /],
      ['no cue', 'WEBVTT\n', /^Line 1: the file has no cues/],
      [
        'bytes that are not UTF-8',
        Buffer.concat([
          Buffer.from('WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nH'),
          Buffer.from([0xe9]),
          Buffer.from('\n'),
        ]),
        /^Line 4: the text is not UTF-8/,
      ],
      ['an empty body', '', /^Line 1: /],
    ];
    for (const [what, body, detail] of cases) {
      const res = await putSubtitle(film, 'en', body);
      expect(res.statusCode, `${what}: ${res.body}`).toBe(400);
      const problem = res.json<{ code: string; detail: string }>();
      expect(problem.code, what).toBe('SUBTITLE_INVALID');
      expect(problem.detail, what).toMatch(detail);
    }
    expect((await video(film)).subtitles).toEqual([]);
    expect(await subtitleBlobs(film)).toEqual([]);
  });

  it('refuses a body over 2 MB (413), another media type (415), a bad language tag or label (400)', async () => {
    const film = await filmWithVideo(kino, 'FREE', clip);
    const cue = '00:00:01.000 --> 00:00:02.000\nA line of subtitles, repeated to pass the limit.\n\n';
    const big = `WEBVTT\n\n${cue.repeat(Math.ceil((2 * 1024 * 1024) / cue.length) + 1)}`;
    const tooLarge = await putSubtitle(film, 'en', big);
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toMatchObject({ code: 'BODY_TOO_LARGE' });
    // Just under the limit is taken: the limit is 2 MiB of WebVTT.
    const fits = `WEBVTT\n\n${cue.repeat(Math.floor((2 * 1024 * 1024 - 8) / cue.length))}`;
    expect((await putSubtitle(film, 'de', fits)).statusCode).toBe(200);

    const json = await putSubtitle(film, 'en', JSON.stringify({ text: 'WEBVTT' }), {
      type: 'application/json',
    });
    expect(json.statusCode).toBe(415);
    expect(json.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const srt = await putSubtitle(film, 'en', vtt([1, 2, 'Hi']), { type: 'application/x-subrip' });
    expect(srt.statusCode).toBe(415);

    for (const lang of ['e', 'english-language-x', 'en_US', 'en-', '12', `en-${'a'.repeat(40)}`, 'en-a-b']) {
      const res = await putSubtitle(film, lang, vtt([1, 2, 'Hi']));
      expect(res.statusCode, lang).toBe(400);
      expect(res.json<{ code: string }>().code, lang).toBe('VALIDATION_FAILED');
    }
    for (const label of ['Say "hi"', 'two\nlines', '']) {
      const res = await putSubtitle(film, 'en', vtt([1, 2, 'Hi']), { label });
      expect(res.statusCode, label).toBe(400);
      expect(res.json<{ code: string }>().code, label).toBe('VALIDATION_FAILED');
    }
    expect((await video(film)).subtitles.map((s) => s.lang)).toEqual(['de']);
    expect(await subtitleBlobs(film)).toEqual([`subtitles/${film}/de.vtt`]);
  });

  it('is for editors: anonymous 401, viewers 403; an unknown film 404 FILM_NOT_FOUND, a film without video 404 VIDEO_NOT_FOUND', async () => {
    const film = await filmWithVideo(kino, 'FREE', clip);
    const body = vtt([1, 2, 'Hi']);
    const anonymous = await putSubtitle(film, 'en', body, { who: null });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
    for (const who of ['sub', 'unsub'] as const) {
      const res = await putSubtitle(film, 'en', body, { who });
      expect(res.statusCode, who).toBe(403);
      expect(res.json(), who).toMatchObject({ code: 'PERMISSION_DENIED' });
    }
    expect((await putSubtitle(film, 'en', body)).statusCode).toBe(200);
    expect((await deleteSubtitle(film, 'en', null)).statusCode).toBe(401);
    expect((await deleteSubtitle(film, 'en', 'sub')).statusCode).toBe(403);
    expect((await video(film)).subtitles.map((s) => s.lang)).toEqual(['en']);

    const unknown = await putSubtitle(randomUUID(), 'en', body);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'FILM_NOT_FOUND' });
    const bare = await emitFilm(kino.kernel.engines.sql, 'FREE');
    await kino.settle();
    for (const res of [await putSubtitle(bare, 'en', body), await deleteSubtitle(bare, 'en')]) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'VIDEO_NOT_FOUND' });
    }
    expect(await subtitleBlobs(bare)).toEqual([]);
  });

  it('keeps the tracks when the video is replaced, and deletes their blobs with the video', async () => {
    const film = await filmWithVideo(kino, 'FREE', clip);
    expect((await putSubtitle(film, 'en', vtt([1, 2, 'Hi']))).statusCode).toBe(200);
    expect((await putSubtitle(film, 'de', vtt([1, 2, 'Hallo']))).statusCode).toBe(200);
    const before = await video(film);

    await attachVideo(kino, film, clip);
    const after = await video(film);
    expect(after.job_id).not.toBe(before.job_id);
    expect(after.subtitles).toEqual(before.subtitles);
    expect(await subtitleBlobs(film)).toEqual([`subtitles/${film}/de.vtt`, `subtitles/${film}/en.vtt`]);

    const removed = await kino.app.inject({
      method: 'DELETE',
      url: `/api/v1/films/${film}/video`,
      headers: auth('admin'),
    });
    expect(removed.statusCode).toBe(204);
    expect(await subtitleBlobs(film)).toEqual([]);
    // A new video starts without the old tracks.
    await attachVideo(kino, film, clip);
    expect((await video(film)).subtitles).toEqual([]);
  });

  it("gc removes a deleted film's tracks and keeps live ones", async () => {
    const [doomed, kept] = await Promise.all([
      filmWithVideo(kino, 'FREE', clip),
      filmWithVideo(kino, 'FREE', clip),
    ]);
    for (const film of [doomed, kept])
      expect((await putSubtitle(film, 'en', vtt([1, 2, 'Hi']))).statusCode).toBe(200);
    const sql = kino.kernel.engines.sql;
    await sql.transaction((tx) => emit(tx, [event('content.film.deleted', doomed, { filmId: doomed })]));
    await kino.settle();
    const report = await kino.kernel.services.require('files').gc({ dryRun: false, graceSeconds: 0 });
    expect(report.removed).toContain(`subtitles/${doomed}/en.vtt`);
    expect(report.removed.filter((k) => k.startsWith('subtitles/') && !k.includes(doomed))).toEqual([]);
    expect(await subtitleBlobs(doomed)).toEqual([]);
    expect(await subtitleBlobs(kept)).toEqual([`subtitles/${kept}/en.vtt`]);
  });

  it('lists the routes in the OpenAPI document: a text/vtt body and the refusal codes', async () => {
    const doc = (await kino.app.inject('/api/openapi.json')).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const route = doc.paths['/api/v1/films/{id}/video/subtitles/{lang}'];
    expect(route && Object.keys(route).sort()).toEqual(['delete', 'put']);
    const put = JSON.stringify(route!.put);
    expect(put).toContain('text/vtt');
    for (const code of ['SUBTITLE_INVALID', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'VIDEO_NOT_FOUND'])
      expect(put).toContain(code);
    expect(JSON.stringify(route!.delete)).toContain('SUBTITLE_NOT_FOUND');
  });
});

describe('subtitles in playback', () => {
  /** A ready film per test, packaged at once. */
  let films: string[];
  let origin: string;
  const english = vtt([0.5, 1.5, 'Hello from the subtitles.']);

  beforeAll(async () => {
    films = await Promise.all([1, 2, 3].map(() => readyFilm(kino, 'PAID', clip, PACKAGING_TIMEOUT - 60_000)));
    origin = await listen(kino.app);
  }, PACKAGING_TIMEOUT);

  const playback = async (film: string) => {
    const res = await kino.app.inject({
      method: 'GET',
      url: `/api/v1/films/${film}/playback`,
      headers: auth('sub'),
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ hls_url: string; subtitles: { lang: string; label: string; url: string }[] }>();
  };
  const get = (url: string, headers: Record<string, string> = {}) =>
    kino.app.inject({ method: 'GET', url, headers });

  it('adds the tracks to the master playlist and serves their playlists and files under the signed path', async () => {
    const film = films[0]!;
    const plain = await get((await playback(film)).hls_url);
    expect(plain.body).not.toContain('#EXT-X-MEDIA');
    expect((await putSubtitle(film, 'en', english)).statusCode).toBe(200);

    const { hls_url, subtitles } = await playback(film);
    const base = hls_url.replace(/master\.m3u8$/, '');
    expect(subtitles).toEqual([{ lang: 'en', label: 'English', url: `${base}subs/en/subs.vtt` }]);
    const master = await get(hls_url);
    expect(master.statusCode).toBe(200);
    expect(master.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(master.headers['cache-control']).toBe('public, max-age=5');
    expect(Number(master.headers['content-length'])).toBe(master.rawPayload.length);
    const lines = master.body.split('\n');
    expect(lines).toContain(
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="subs/en/index.m3u8"',
    );
    const variants = lines.filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    expect(variants).toHaveLength(2);
    for (const v of variants) expect(v).toContain('SUBTITLES="subs"');
    // The variants are still the package's own.
    expect(
      urisOf(master.body, new URL(hls_url, origin))
        .map((u) => u.pathname.slice(base.length))
        .sort(),
    ).toEqual(['240p/index.m3u8', 'source/index.m3u8', 'subs/en/index.m3u8']);

    const playlist = await get(`${base}subs/en/index.m3u8`);
    expect(playlist.statusCode).toBe(200);
    expect(playlist.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(playlist.headers['cache-control']).toBe('public, max-age=5');
    expect(playlist.body).toMatch(/^#EXTM3U\n/);
    expect(playlist.body).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(playlist.body).toMatch(/#EXTINF:(2\.\d+|1\.9\d+),\nsubs\.vtt\n#EXT-X-ENDLIST\n$/);
    expect(Number(playlist.headers['content-length'])).toBe(playlist.rawPayload.length);

    const track = await get(`${base}subs/en/subs.vtt`);
    expect(track.statusCode).toBe(200);
    expect(track.headers['content-type']).toBe('text/vtt; charset=utf-8');
    expect(track.headers['cache-control']).toBe('public, max-age=5');
    expect(track.body).toBe(english);
    const part = await get(`${base}subs/en/subs.vtt`, { range: 'bytes=0-5' });
    expect(part.statusCode).toBe(206);
    expect(part.body).toBe('WEBVTT');
    expect(part.headers['content-range']).toBe(`bytes 0-5/${Buffer.byteLength(english)}`);

    for (const [url, res] of [
      [hls_url, master],
      [`${base}subs/en/index.m3u8`, playlist],
      [`${base}subs/en/subs.vtt`, track],
    ] as const) {
      const etag = res.headers.etag as string;
      expect(etag).toMatch(/^".+"$/);
      expect((await get(url, { 'if-none-match': etag })).statusCode).toBe(304);
    }
    const masterPart = await get(hls_url, { range: 'bytes=0-6' });
    expect(masterPart.statusCode).toBe(206);
    expect(masterPart.body).toBe('#EXTM3U');

    for (const missing of ['subs/fr/index.m3u8', 'subs/fr/subs.vtt', 'subs/en/other.vtt']) {
      const res = await get(`${base}${missing}`);
      expect(res.statusCode, missing).toBe(404);
      expect(res.json(), missing).toMatchObject({ code: 'PLAYBACK_FILE_NOT_FOUND' });
    }
  });

  it("changes the master's ETag as the list changes, and drops a deleted track", async () => {
    const film = films[1]!;
    const { hls_url } = await playback(film);
    const base = hls_url.replace(/master\.m3u8$/, '');
    const plain = await get(hls_url);
    expect((await putSubtitle(film, 'de', vtt([0.5, 1.5, 'Hallo']))).statusCode).toBe(200);
    const one = await get(hls_url);
    expect(
      (await putSubtitle(film, 'de', vtt([0.5, 1.5, 'Hallo']), { label: 'Deutsch (SDH)' })).statusCode,
    ).toBe(200);
    const relabelled = await get(hls_url);
    expect((await putSubtitle(film, 'fr', vtt([0.5, 1.5, 'Bonjour']))).statusCode).toBe(200);
    const two = await get(hls_url);
    const tags = [plain, one, relabelled, two].map((r) => r.headers.etag);
    expect(new Set(tags).size).toBe(4);
    expect(two.body).toContain('NAME="Deutsch (SDH)",LANGUAGE="de"');
    expect(two.body).toContain('NAME="Français",LANGUAGE="fr"');

    const oldTrack = await get(`${base}subs/de/subs.vtt`);
    expect((await putSubtitle(film, 'de', vtt([0.5, 1.5, 'Guten Tag']))).statusCode).toBe(200);
    const newTrack = await get(`${base}subs/de/subs.vtt`);
    expect(newTrack.body).toContain('Guten Tag');
    expect(newTrack.headers.etag).not.toBe(oldTrack.headers.etag);

    for (const lang of ['de', 'fr']) expect((await deleteSubtitle(film, lang)).statusCode).toBe(204);
    const after = await get(hls_url);
    expect(after.body).toBe(plain.body);
    expect((await get(`${base}subs/de/subs.vtt`)).statusCode).toBe(404);
  });

  it('an independent ffprobe reads every rendition through the signed master URL, and the track through its playlist', async () => {
    const film = films[2]!;
    expect((await putSubtitle(film, 'en', english)).statusCode).toBe(200);
    const { hls_url } = await playback(film);
    const probe = await exec(engine.ffprobe.path, [
      ...['-v', 'error', '-show_entries', 'stream=codec_type,height', '-of', 'json'],
      `${origin}${hls_url}`,
    ]);
    const { streams } = JSON.parse(probe.stdout) as { streams: { codec_type: string; height?: number }[] };
    const heights = streams.filter((s) => s.codec_type === 'video').map((s) => s.height);
    expect(heights.sort()).toEqual([240, 360]);
    expect(streams.filter((s) => s.codec_type === 'audio')).toHaveLength(2);

    // ffmpeg 5 and 6 do not follow a master's subtitle renditions; the rendition's playlist they read.
    const track = await exec(engine.ffprobe.path, [
      ...['-v', 'error', '-show_entries', 'stream=codec_type,codec_name:packet=pts_time,duration_time'],
      ...['-of', 'json', `${origin}${hls_url.replace(/master\.m3u8$/, 'subs/en/index.m3u8')}`],
    ]);
    const read = JSON.parse(track.stdout) as {
      streams: { codec_type: string; codec_name: string }[];
      packets: { pts_time: string; duration_time: string }[];
    };
    expect(read.streams).toEqual([{ codec_type: 'subtitle', codec_name: 'webvtt' }]);
    expect(read.packets.map((p) => [Number(p.pts_time), Number(p.duration_time)])).toEqual([[0.5, 1]]);
  }, 180_000);
});
