/**
 * Video jobs end to end through a started kernel and its transcode worker, on the local-disk blob
 * store (and once on S3, s3rver started by the test), over whatever SQL/bus engines the
 * environment selects. The clips are made here by ffmpeg
 * (testsrc2 + sine, 480x360, 2 s; nothing committed) and uploaded through the files API; the
 * package is read back from the blob store by an independent ffprobe; a rotated, variable-frame-rate
 * phone clip comes out upright at a constant frame rate. The worker alone: a job
 * whose worker died (claimed, lease never renewed) is finished by another; a stopping worker gives
 * its job back; a job deleted while it runs stops at its next heartbeat.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/ports/blob.js';
import { createLocalBlobStore } from '../../src/adapters/blob/local.js';
import { createS3BlobStore } from '../../src/adapters/blob/s3.js';
import { createMediaEngine, type MediaEngine } from '../../src/modules/files/media/media.engine.js';
import { ManualClock, systemClock, type Clock } from '../../src/platform/clock.js';
import { createLogger } from '../../src/platform/logger.js';
import { createFilesRepository } from '../../src/modules/files/files.repository.js';
import { createTranscodeWorker, retryDelayMs } from '../../src/modules/files/video/transcode.worker.js';
import { createVideoRepository } from '../../src/modules/files/video/video.repository.js';
import { event } from '../../src/platform/events.js';
import { emit } from '../../src/platform/outbox.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { eventually, uniq } from '../helpers/engines.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { auth, emitFilm, fakeFile, multipart, testTokens } from '../helpers/files.js';

const exec = promisify(execFile);

interface Video {
  film_id: string;
  job_id: string;
  status: string;
  step: string | null;
  percent: number;
  error: string | null;
  renditions: { name: string; width: number; height: number; bytes: number }[];
  storage_bytes: number;
  code?: string;
}

let engine: MediaEngine;
let dir: string;
const clip = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kino-video-e2e-'));
  engine = await createMediaEngine();
  await exec(engine.ffmpeg.path, [
    ...['-nostdin', '-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=480x360:rate=25:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'],
    ...['-c:a', 'aac', '-ar', '48000', '-movflags', '+faststart', clip('film.mp4')],
  ]);
  await exec(engine.ffmpeg.path, [
    ...['-nostdin', '-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=480x360:rate=25:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '200k'],
    ...['-c:a', 'libopus', clip('film.webm')],
  ]);
  // A phone's clip: variable frame rate (three frames kept of every five: 25 fps nominal, 15 on
  // average), then shot in portrait (the rotate tag becomes the display matrix, as a phone writes it).
  await exec(engine.ffmpeg.path, [
    ...['-nostdin', '-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=480x360:rate=25:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-vf', 'select=lt(mod(n\\,5)\\,3)', '-vsync', 'vfr'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'],
    ...['-c:a', 'aac', '-ar', '48000', clip('vfr.mp4')],
  ]);
  await exec(engine.ffmpeg.path, [
    ...['-nostdin', '-v', 'error', '-y', '-i', clip('vfr.mp4')],
    ...['-map', '0:v', '-map', '0:a', '-c', 'copy', '-metadata:s:v:0', 'rotate=90', clip('phone.mp4')],
  ]);
  // The index first: a copy cut in half still has a whole header, and only its end is missing.
  writeFileSync(clip('cut.mp4'), readFileSync(clip('film.mp4')));
  truncateSync(clip('cut.mp4'), Math.floor(statSync(clip('film.mp4')).size / 2));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Uploads through the files API; returns the file id. */
async function upload(kino: TestKino, filmId: string, filename: string, data: Buffer, kind = 'video') {
  const body = multipart({ kind, film_id: filmId }, { filename, data });
  const res = await kino.app.inject({
    method: 'POST',
    url: '/api/v1/files',
    payload: body.payload,
    headers: { ...body.headers, ...auth('admin') },
  });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
}

describe('video jobs', () => {
  let kino: TestKino;
  let blob: BlobStore;
  let blobRoot: string;

  const put = (filmId: string, fileId: string, who: 'admin' | 'sub' = 'admin') =>
    kino.app.inject({
      method: 'PUT',
      url: `/api/v1/films/${filmId}/video`,
      payload: { file_id: fileId },
      headers: auth(who),
    });
  const status = async (filmId: string) =>
    (
      await kino.app.inject({ method: 'GET', url: `/api/v1/films/${filmId}/video`, headers: auth('admin') })
    ).json<Video>();
  /** The job once it is ready or failed (which must be `wanted`). */
  const settled = async (filmId: string, jobId: string, wanted: 'ready' | 'failed'): Promise<Video> =>
    (await eventually(
      async () => {
        const video = await status(filmId);
        if (video.job_id === jobId && (video.status === 'ready' || video.status === 'failed')) {
          expect(video).toMatchObject({ status: wanted });
          return video;
        }
        return null;
      },
      { timeoutMs: 90_000, intervalMs: 100, what: `video job ${jobId} ${wanted}` },
    ))!;
  const keys = async (prefix: string) => {
    const out: string[] = [];
    for await (const info of blob.list(prefix)) out.push(info.key);
    return out.sort();
  };
  const objectPath = (key: string) => path.join(blobRoot, 'objects', ...key.split('/'));
  /** A new film of its own for each test, so no test counts another's jobs or events. */
  const newFilm = async (access: 'FREE' | 'PAID' = 'FREE') => {
    const film = await emitFilm(kino.kernel.engines.sql, access);
    await kino.settle();
    return film;
  };
  /** A new film whose film.mp4 video is ready; returns the film and its job. */
  const readyFilm = async () => {
    const film = await newFilm();
    const fileId = await upload(kino, film, 'film.mp4', readFileSync(clip('film.mp4')));
    const job = (await put(film, fileId)).json<Video>().job_id;
    await settled(film, job, 'ready');
    return { film, job };
  };

  beforeAll(async () => {
    blobRoot = mkdtempSync(path.join(tmpdir(), 'kino-video-blob-'));
    blob = await createLocalBlobStore({ root: blobRoot });
    kino = await createTestKino({ modules: ['files'], extras: { blob }, tokens: testTokens });
  });
  afterAll(async () => {
    await kino?.close();
    await blob?.close();
    rmSync(blobRoot, { recursive: true, force: true });
  });

  it('packages an uploaded H.264/AAC mp4 into HLS that an independent ffprobe reads', async () => {
    const film = await newFilm('PAID');
    const fileId = await upload(kino, film, 'film.mp4', readFileSync(clip('film.mp4')));
    const res = await put(film, fileId);
    expect(res.statusCode).toBe(202);
    const queued = res.json<Video>();
    expect(queued).toMatchObject({ film_id: film, status: 'queued', renditions: [], storage_bytes: 0 });

    const ready = await settled(film, queued.job_id, 'ready');
    // The upload repackaged as it is, then the one rung below its 360 lines.
    expect(ready.renditions.map((r) => [r.name, r.height])).toEqual([
      ['source', 360],
      ['240p', 240],
    ]);
    expect(ready).toMatchObject({ percent: 100, step: null, error: null });
    const prefix = `videos/${film}/${queued.job_id}/`;
    const stored = await keys(prefix);
    expect(stored).toContain(`${prefix}master.m3u8`);
    expect(stored).toContain(`${prefix}240p/index.m3u8`);
    // The poster frame and thumbnails beside the renditions, counted in storage_bytes below.
    expect(stored).toEqual(
      expect.arrayContaining([
        `${prefix}poster.jpg`,
        `${prefix}thumbs/thumbs.vtt`,
        `${prefix}thumbs/sprite_000.jpg`,
      ]),
    );
    const master = readFileSync(objectPath(`${prefix}master.m3u8`), 'utf8');
    expect(master).toContain('source/index.m3u8');
    expect(master).toContain('240p/index.m3u8');
    const bytes = await Promise.all(stored.map(async (k) => (await blob.head(k))!.size));
    expect(ready.storage_bytes).toBe(bytes.reduce((a, b) => a + b, 0));

    const probe = await exec(engine.ffprobe.path, [
      ...['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,height', '-of', 'json'],
      objectPath(`${prefix}master.m3u8`),
    ]);
    const read = JSON.parse(probe.stdout) as { format: { duration: string }; streams: { height?: number }[] };
    expect(Number(read.format.duration)).toBeCloseTo(2, 0);
    expect(read.streams.map((s) => s.height).filter(Boolean)).toEqual(expect.arrayContaining([360, 240]));

    const events = await kino.kernel.engines.sql.query<{ type: string; payload: { renditions?: string[] } }>(
      `SELECT type, payload FROM platform.outbox WHERE key = $1 AND type LIKE 'files.video.%' ORDER BY seq`,
      [film],
    );
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('files.video.queued');
    expect(types).toContain('files.video.progress');
    expect(types[types.length - 1]).toBe('files.video.ready');
    // The source plays first; then its pictures join the package; then 240p.
    const published = events.filter((e) => e.type === 'files.video.published');
    expect(published.map((e) => e.payload.renditions)).toEqual([['source'], ['source'], ['source', '240p']]);
  });

  it('transcodes VP9/WebM: the top rung is published first, then the one below joins it', async () => {
    const vp9Film = await newFilm();
    const fileId = await upload(kino, vp9Film, 'film.webm', readFileSync(clip('film.webm')));
    const job = (await put(vp9Film, fileId)).json<Video>().job_id;
    const ready = await settled(vp9Film, job, 'ready');
    expect(ready.renditions.map((r) => [r.name, r.height])).toEqual([
      ['360p', 360],
      ['240p', 240],
    ]);
    const published = await kino.kernel.engines.sql.query<{ payload: { renditions: string[] } }>(
      `SELECT payload FROM platform.outbox WHERE key = $1 AND type = 'files.video.published' ORDER BY seq`,
      [vp9Film],
    );
    // The second publish adds the poster and thumbnails to the package.
    expect(published.map((p) => p.payload.renditions)).toEqual([['360p'], ['360p'], ['360p', '240p']]);
  });

  it('transcodes a rotated, variable-frame-rate phone clip into upright, constant-frame-rate renditions', async () => {
    // The upload is what it claims: shown in portrait through its display matrix, its frame rate variable.
    const source = await engine.probe(clip('phone.mp4'));
    expect([90, 270]).toContain(source.video?.rotation);
    expect(source.video?.variableFrameRate).toBe(true);

    const film = await newFilm();
    const fileId = await upload(kino, film, 'phone.mp4', readFileSync(clip('phone.mp4')));
    const job = (await put(film, fileId)).json<Video>().job_id;
    const ready = await settled(film, job, 'ready');
    // Transcoded, not remuxed (no `source` rendition): the top rung at the source's 360 lines,
    // measured on its shorter side, and the one below; both portrait.
    expect(ready.renditions.map((r) => [r.name, r.width, r.height])).toEqual([
      ['360p', 360, 480],
      ['240p', 240, 320],
    ]);

    // An independent ffprobe reads each rendition as stored: upright pixels with no rotation left
    // to apply, and frames at a constant rate (every frame lasts as long as the others).
    const prefix = `videos/${film}/${job}/`;
    for (const { name, width, height } of ready.renditions) {
      const probe = await exec(engine.ffprobe.path, [
        ...['-v', 'error', '-select_streams', 'v:0', '-show_streams', '-show_packets', '-of', 'json'],
        objectPath(`${prefix}${name}/index.m3u8`),
      ]);
      const read = JSON.parse(probe.stdout) as {
        streams: {
          width: number;
          height: number;
          r_frame_rate: string;
          avg_frame_rate: string;
          tags?: { rotate?: string };
          side_data_list?: { rotation?: number }[];
        }[];
        packets: { pts: number }[];
      };
      const stream = read.streams[0]!;
      expect([stream.width, stream.height], name).toEqual([width, height]);
      expect(stream.width).toBeLessThan(stream.height);
      expect(stream.tags?.rotate, name).toBeUndefined();
      expect((stream.side_data_list ?? []).map((d) => d.rotation ?? 0).filter((r) => r !== 0)).toEqual([]);
      expect(stream.avg_frame_rate, name).toBe(stream.r_frame_rate);
      const pts = read.packets.map((p) => p.pts).sort((a, b) => a - b);
      expect(pts.length, name).toBeGreaterThan(40);
      const steps = new Set(pts.slice(1).map((p, i) => p - pts[i]!));
      expect([...steps], `${name}: the frame durations`).toHaveLength(1);
    }
    const master = await exec(engine.ffprobe.path, [
      ...['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,width,height', '-of', 'json'],
      objectPath(`${prefix}master.m3u8`),
    ]);
    const read = JSON.parse(master.stdout) as {
      format: { duration: string };
      streams: { codec_type: string; width?: number; height?: number }[];
    };
    expect(Number(read.format.duration)).toBeCloseTo(2, 0);
    const pictures = read.streams.filter((s) => s.codec_type === 'video');
    expect(new Set(pictures.map((s) => `${s.width}x${s.height}`))).toEqual(new Set(['360x480', '240x320']));
    expect(read.streams.some((s) => s.codec_type === 'audio')).toBe(true);
  });

  it('replacing the video publishes the new package and then removes the old one', async () => {
    const { film, job: first } = await readyFilm();
    const fileId = await upload(kino, film, 'again.mp4', readFileSync(clip('film.mp4')));
    const res = await put(film, fileId);
    expect(res.statusCode).toBe(202);
    // Until the new job publishes, the film keeps playing the old package.
    expect(res.json<Video>().renditions).toHaveLength(2);
    const job = res.json<Video>().job_id;
    await settled(film, job, 'ready');
    // The old package goes whole, poster and thumbnails too; the new one has its own.
    expect(await keys(`videos/${film}/${first}/`)).toEqual([]);
    expect(await keys(`videos/${film}/${job}/`)).toEqual(
      expect.arrayContaining([`videos/${film}/${job}/master.m3u8`, `videos/${film}/${job}/poster.jpg`]),
    );
  });

  it('fails a cut-short upload with its reason, leaving no blobs', async () => {
    const cutFilm = await newFilm();
    const fileId = await upload(kino, cutFilm, 'cut.mp4', readFileSync(clip('cut.mp4')));
    const job = (await put(cutFilm, fileId)).json<Video>().job_id;
    const failed = await settled(cutFilm, job, 'failed');
    expect(failed.error).toMatch(/the file is cut short/);
    expect(failed.renditions).toEqual([]);
    expect(await keys(`videos/${cutFilm}/`)).toEqual([]);
  });

  it('a film deleted in content loses its video job, and gc then removes its package', async () => {
    const sql = kino.kernel.engines.sql;
    const doomed = await newFilm();
    const fileId = await upload(kino, doomed, 'film.mp4', readFileSync(clip('film.mp4')));
    const job = (await put(doomed, fileId)).json<Video>().job_id;
    await settled(doomed, job, 'ready');
    await sql.transaction((tx) => emit(tx, [event('content.film.deleted', doomed, { filmId: doomed })]));
    await kino.settle();
    expect((await status(doomed)).code).toBe('FILM_NOT_FOUND');
    const removed = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM platform.outbox WHERE key = $1 AND type = 'files.video.removed'`,
      [doomed],
    );
    expect(removed[0]!.n).toBe(1);
    expect((await keys(`videos/${doomed}/`)).length).toBeGreaterThan(0);
    await kino.kernel.services.require('files').gc({ dryRun: false, graceSeconds: 0 });
    expect(await keys(`videos/${doomed}/`)).toEqual([]);
  });

  it('refuses callers who may not edit films, and files that are not videos', async () => {
    const film = await newFilm('PAID');
    const poster = await upload(kino, film, 'poster.png', fakeFile.png(2_000), 'poster');
    expect((await put(film, poster)).json<Video>().code).toBe('VIDEO_FILE_REQUIRED');
    expect((await put(film, poster, 'sub')).statusCode).toBe(403);
    const get = await kino.app.inject({ method: 'GET', url: `/api/v1/films/${film}/video` });
    expect(get.statusCode).toBe(401);
  });

  it('DELETE removes the job and every rendition blob', async () => {
    const { film } = await readyFilm();
    expect((await keys(`videos/${film}/`)).length).toBeGreaterThan(0);
    const res = await kino.app.inject({
      method: 'DELETE',
      url: `/api/v1/films/${film}/video`,
      headers: auth('admin'),
    });
    expect(res.statusCode).toBe(204);
    expect(await keys(`videos/${film}/`)).toEqual([]);
    expect((await status(film)).code).toBe('VIDEO_NOT_FOUND');
  });
});

describe('the transcode worker', () => {
  let kino: TestKino;
  let blob: BlobStore;
  let blobRoot: string;
  let temp: string;

  beforeAll(async () => {
    blobRoot = mkdtempSync(path.join(tmpdir(), 'kino-video-blob-'));
    temp = mkdtempSync(path.join(tmpdir(), 'kino-video-jobs-'));
    blob = await createLocalBlobStore({ root: blobRoot });
    // No workers in this process: each test runs its own transcode worker.
    kino = await createTestKino({ modules: ['files'], extras: { blob }, tokens: testTokens, workers: false });
  });
  afterAll(async () => {
    await kino?.close();
    await blob?.close();
    rmSync(blobRoot, { recursive: true, force: true });
    rmSync(temp, { recursive: true, force: true });
  });

  const video = (film: string, method: 'GET' | 'DELETE' = 'GET') =>
    kino.app.inject({ method, url: `/api/v1/films/${film}/video`, headers: auth('admin') });
  /** A film with `file` attached as its video; returns the film and the queued job. */
  async function queue(file: string): Promise<{ film: string; job: string }> {
    const film = randomUUID();
    await createFilesRepository(kino.kernel.engines.sql).upsertFilms([
      { id: film, access: 'FREE', version: 1 },
    ]);
    const fileId = await upload(kino, film, file, readFileSync(clip(file)));
    const put = await kino.app.inject({
      method: 'PUT',
      url: `/api/v1/films/${film}/video`,
      payload: { file_id: fileId },
      headers: auth('admin'),
    });
    return { film, job: put.json<Video>().job_id };
  }
  /** A worker on this kernel's engines; `stuck`: its transcodes run until aborted. */
  const worker = (
    options: { stuck?: boolean; leaseMs?: number; tmpDir?: string; blob?: BlobStore; clock?: Clock } = {},
  ) =>
    createTranscodeWorker({
      sql: kino.kernel.engines.sql,
      blob: options.blob ?? blob,
      files: createFilesRepository(kino.kernel.engines.sql),
      clock: options.clock ?? systemClock,
      logger: createLogger('silent'),
      tmpDir: options.tmpDir ?? temp,
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
      engine: () =>
        Promise.resolve(
          options.stuck
            ? {
                ...engine,
                transcodeRendition: (_input, _out, _rung, o) =>
                  new Promise((_resolve, reject) =>
                    o?.signal?.addEventListener('abort', () => reject(o.signal!.reason as Error)),
                  ),
              }
            : engine,
        ),
    });
  const transcoding = (film: string) =>
    eventually(async () => (await video(film)).json<Video>().step?.startsWith('transcode'), {
      what: 'the job is transcoding',
    });

  it('takes over a job whose worker died once its lease runs out, and finishes it', async () => {
    const { film, job } = await queue('film.mp4');
    // A worker claims the job and is killed: its lease is never renewed.
    const sql = kino.kernel.engines.sql;
    expect(await createVideoRepository(sql).claim('killed-worker', new Date(), 1_000)).toMatchObject({
      id: job,
    });
    const survivor = worker();
    expect(await survivor.runOnce()).toBe(0);
    await eventually(async () => (await survivor.runOnce()) === 1, { timeoutMs: 90_000, intervalMs: 100 });
    const done = (await video(film)).json<Video>();
    expect(done).toMatchObject({ job_id: job, status: 'ready', attempts: 2 });
    expect(done.renditions.map((r) => r.name)).toEqual(['source', '240p']);
    expect(readdirSync(temp)).toEqual([]);
  });

  it('gives its job back when it stops, aborting the transcode and removing its temp folder', async () => {
    const { film, job } = await queue('film.webm');
    const stopping = worker({ stuck: true });
    const run = stopping.runOnce();
    await transcoding(film);
    await stopping.stop();
    expect(await run).toBe(1);
    expect((await video(film)).json<Video>()).toMatchObject({ job_id: job, status: 'queued', attempts: 0 });
    expect(readdirSync(temp)).toEqual([]);
    expect((await video(film, 'DELETE')).statusCode).toBe(204);
  });

  it('queues a job again after a transient failure, keeping the reason', async () => {
    const { film, job } = await queue('film.mp4');
    // No temp folder can be made (as on a full disk).
    expect(await worker({ tmpDir: path.join(temp, 'missing') }).runOnce()).toBe(1);
    const retried = (await video(film)).json<Video>();
    expect(retried).toMatchObject({ job_id: job, status: 'queued', attempts: 1 });
    expect(retried.error).toMatch(/ENOENT/);
    expect((await video(film, 'DELETE')).statusCode).toBe(204);
  });

  it('queues a job again while the blob store fails (S3 answering 503, a full disk), with each reason, then finishes it', async () => {
    const { film, job } = await queue('film.mp4');
    // The store refuses the rendition's playlist once (after its segments), then the master
    // playlist once (after the whole rendition); every other put goes through.
    const failures = [
      {
        when: (key: string) => key.endsWith('/source/index.m3u8'),
        error: Object.assign(new Error('Service Unavailable'), {
          name: 'ServiceUnavailable',
          $metadata: { httpStatusCode: 503 },
        }),
      },
      {
        when: (key: string) => key.endsWith('/master.m3u8'),
        error: Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
      },
    ];
    const failing: BlobStore = {
      ...blob,
      async put(key, body, options) {
        const next = failures[0];
        if (next?.when(key)) {
          failures.shift();
          if ('destroy' in body) body.destroy();
          throw next.error;
        }
        return blob.put(key, body, options);
      },
    };
    const clock = new ManualClock(new Date());
    const w = worker({ blob: failing, clock });

    expect(await w.runOnce()).toBe(1);
    expect((await video(film)).json<Video>()).toMatchObject({
      job_id: job,
      status: 'queued',
      attempts: 1,
      error: 'Service Unavailable',
    });
    // Not before its back-off has passed.
    expect(await w.runOnce()).toBe(0);
    clock.advance(retryDelayMs(1));
    expect(await w.runOnce()).toBe(1);
    expect((await video(film)).json<Video>()).toMatchObject({
      status: 'queued',
      attempts: 2,
      error: 'ENOSPC: no space left on device, write',
    });
    clock.advance(retryDelayMs(2));
    expect(await w.runOnce()).toBe(1);
    const done = (await video(film)).json<Video>();
    expect(done).toMatchObject({ job_id: job, status: 'ready', attempts: 3, error: null });
    expect(done.renditions.map((r) => r.name)).toEqual(['source', '240p']);
    expect(failures).toEqual([]);
    const failed = await kino.kernel.engines.sql.query<{ payload: { reason: string; retry: boolean } }>(
      `SELECT payload FROM platform.outbox WHERE key = $1 AND type = 'files.video.failed' ORDER BY seq`,
      [film],
    );
    expect(failed.map((f) => [f.payload.reason, f.payload.retry])).toEqual([
      ['Service Unavailable', true],
      ['ENOSPC: no space left on device, write', true],
    ]);
    expect(readdirSync(temp)).toEqual([]);
  });

  /** Sizes of every blob under the film's prefix. */
  const storedBytes = async (film: string) => {
    let bytes = 0;
    for await (const info of blob.list(`videos/${film}/`)) bytes += info.size;
    return bytes;
  };
  const pictures = async (film: string) =>
    (await kino.app.inject({ method: 'GET', url: `/api/v1/films/${film}/playback` })).json<{
      poster: string | null;
      thumbnails: string | null;
    }>();
  /** An engine whose `method` runs until aborted, counting the calls of the pictures' two. */
  const engineWith = (stuck: 'poster' | 'transcodeRendition' | null) => {
    const calls = { poster: 0, thumbnails: 0 };
    const hang = (signal?: AbortSignal) =>
      new Promise<never>((_resolve, reject) =>
        signal?.addEventListener('abort', () => reject(signal.reason as Error)),
      );
    const custom: MediaEngine = {
      ...engine,
      poster: (input, out, o) => {
        calls.poster++;
        return stuck === 'poster' ? hang(o?.signal) : engine.poster(input, out, o);
      },
      thumbnails: (input, out, o) => {
        calls.thumbnails++;
        return engine.thumbnails(input, out, o);
      },
      transcodeRendition: (input, out, rung, o) =>
        stuck === 'transcodeRendition' ? hang(o?.signal) : engine.transcodeRendition(input, out, rung, o),
    };
    return { custom, calls };
  };
  const workerOn = (custom: MediaEngine) =>
    createTranscodeWorker({
      sql: kino.kernel.engines.sql,
      blob,
      files: createFilesRepository(kino.kernel.engines.sql),
      clock: systemClock,
      logger: createLogger('silent'),
      tmpDir: temp,
      engine: () => Promise.resolve(custom),
    });
  const atStep = (film: string, step: string) =>
    eventually(
      async () => {
        const v = (await video(film)).json<Video>();
        return v.step === step ? v : null;
      },
      { what: `the job at step ${step}` },
    );

  it('makes the poster and thumbnails as a step of its own once the first rendition plays; a resumed job makes them first', async () => {
    const { film, job } = await queue('film.mp4');
    const first = engineWith('poster');
    const w = workerOn(first.custom);
    const run = w.runOnce();
    const during = (await atStep(film, 'poster and thumbnails'))!;
    // The source already plays, without pictures yet.
    expect(during.renditions.map((r) => r.name)).toEqual(['source']);
    expect(await pictures(film)).toMatchObject({ poster: null, thumbnails: null });
    await w.stop();
    expect(await run).toBe(1);

    // The job resumes: its pictures before the lower rung.
    const second = engineWith(null);
    expect(await workerOn(second.custom).runOnce()).toBe(1);
    const done = (await video(film)).json<Video>();
    expect(done).toMatchObject({ job_id: job, status: 'ready' });
    expect(done.renditions.map((r) => r.name)).toEqual(['source', '240p']);
    expect(second.calls).toEqual({ poster: 1, thumbnails: 1 });
    expect(done.storage_bytes).toBe(await storedBytes(film));
    const published = await kino.kernel.engines.sql.query<{ payload: { renditions: string[] } }>(
      `SELECT payload FROM platform.outbox WHERE key = $1 AND type = 'files.video.published' ORDER BY seq`,
      [film],
    );
    expect(published.map((p) => p.payload.renditions)).toEqual([['source'], ['source'], ['source', '240p']]);
    const urls = await pictures(film);
    expect(urls.poster).toMatch(/\/poster\.jpg$/);
    expect(urls.thumbnails).toMatch(/\/thumbs\/thumbs\.vtt$/);
    expect(readdirSync(temp)).toEqual([]);
  });

  it('a resumed job whose package has its pictures does not make them again, and counts their bytes', async () => {
    const { film, job } = await queue('film.mp4');
    const first = engineWith('transcodeRendition');
    const w = workerOn(first.custom);
    const run = w.runOnce();
    await atStep(film, 'transcode 240p');
    expect(first.calls).toEqual({ poster: 1, thumbnails: 1 });
    await w.stop();
    expect(await run).toBe(1);

    const second = engineWith(null);
    expect(await workerOn(second.custom).runOnce()).toBe(1);
    const done = (await video(film)).json<Video>();
    expect(done).toMatchObject({ job_id: job, status: 'ready' });
    expect(done.renditions.map((r) => r.name)).toEqual(['source', '240p']);
    expect(second.calls).toEqual({ poster: 0, thumbnails: 0 });
    expect(done.storage_bytes).toBe(await storedBytes(film));
    expect((await pictures(film)).poster).toMatch(/\/poster\.jpg$/);
  });

  it('kino files gc removes video blobs of no published package or current job, and keeps the rest', async () => {
    const { film, job } = await queue('film.mp4');
    await worker().runOnce();
    expect((await video(film)).json<Video>()).toMatchObject({ job_id: job, status: 'ready' });
    const kept: string[] = [];
    for await (const info of blob.list(`videos/${film}/${job}/`)) kept.push(info.key);
    // What a worker killed between publishing and deleting the previous package leaves behind.
    const orphan = `videos/${film}/${randomUUID()}/source/seg_00000.m4s`;
    await blob.put(orphan, Readable.from([Buffer.from('left over')]));
    const report = await kino.kernel.services.require('files').gc({ dryRun: false, graceSeconds: 0 });
    expect(report.removed).toEqual([orphan]);
    expect(await blob.head(orphan)).toBeNull();
    for (const key of kept) expect(await blob.head(key)).not.toBeNull();
  });

  it('stops a job deleted while it runs, at its next heartbeat, and leaves none of its blobs', async () => {
    const { film } = await queue('film.webm');
    const w = worker({ stuck: true, leaseMs: 300 });
    const run = w.runOnce();
    await transcoding(film);
    expect((await video(film, 'DELETE')).statusCode).toBe(204);
    expect(await run).toBe(1);
    const left: string[] = [];
    for await (const info of blob.list(`videos/${film}/`)) left.push(info.key);
    expect(left).toEqual([]);
    expect(readdirSync(temp)).toEqual([]);
  });
});

describe('video jobs on S3', () => {
  let kino: TestKino;
  let blob: BlobStore;
  let s3: TestS3;
  let out: string;

  beforeAll(async () => {
    s3 = await startTestS3();
    blob = await createS3BlobStore({ ...s3, bucket: uniq('kino-video-') });
    out = mkdtempSync(path.join(tmpdir(), 'kino-video-s3-'));
    kino = await createTestKino({ modules: ['files'], extras: { blob }, tokens: testTokens });
  });
  afterAll(async () => {
    await kino?.close();
    await blob?.close();
    await s3?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('copies the source from the bucket and publishes the package into it', async () => {
    const film = await emitFilm(kino.kernel.engines.sql, 'FREE');
    await kino.settle();
    const fileId = await upload(kino, film, 'film.mp4', readFileSync(clip('film.mp4')));
    const put = await kino.app.inject({
      method: 'PUT',
      url: `/api/v1/films/${film}/video`,
      payload: { file_id: fileId },
      headers: auth('admin'),
    });
    const job = put.json<Video>().job_id;
    await eventually(
      async () =>
        (
          await kino.app.inject({ method: 'GET', url: `/api/v1/films/${film}/video`, headers: auth('admin') })
        ).json<Video>().status === 'ready',
      { timeoutMs: 90_000, intervalMs: 100, what: 'the job is ready' },
    );
    // The package as a player would fetch it, read back by an independent ffprobe.
    const prefix = `videos/${film}/${job}/`;
    for await (const info of blob.list(prefix)) {
      const file = path.join(out, ...info.key.slice(prefix.length).split('/'));
      mkdirSync(path.dirname(file), { recursive: true });
      await pipeline((await blob.get(info.key))!.body, createWriteStream(file));
    }
    const probe = await exec(engine.ffprobe.path, [
      ...['-v', 'error', '-show_entries', 'format=duration', '-of', 'json'],
      path.join(out, 'master.m3u8'),
    ]);
    expect(
      Number((JSON.parse(probe.stdout) as { format: { duration: string } }).format.duration),
    ).toBeCloseTo(2, 0);
  });
});
