/**
 * Helpers for video tests on a kernel in this process: a clip made by ffmpeg (testsrc2 + sine,
 * nothing committed), a film whose video the real transcode worker has packaged, the app on a
 * real port, and the URIs a playlist names.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { MediaEngine } from '../../src/modules/files/media/media.engine.js';
import type { HttpApp } from '../../src/platform/http/app.js';
import { eventually } from './engines.js';
import { auth, emitFilm, multipart, type Access } from './files.js';
import type { TestKino } from './kino.js';

const exec = promisify(execFile);

/** A 2 s 480×360 H.264 + AAC MP4 written into `dir`: `source` 360p and `240p` once packaged. */
export async function makeClip(engine: MediaEngine, dir: string): Promise<Buffer> {
  const file = path.join(dir, 'film.mp4');
  await exec(engine.ffmpeg.path, [
    ...['-nostdin', '-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=480x360:rate=25:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'],
    ...['-c:a', 'aac', '-ar', '48000', '-movflags', '+faststart', file],
  ]);
  return readFileSync(file);
}

/** A new film of `access` whose video is `clip`, uploaded and attached by an editor; returns its id. */
export async function filmWithVideo(kino: TestKino, access: Access, clip: Buffer): Promise<string> {
  const film = await emitFilm(kino.kernel.engines.sql, access);
  await kino.settle();
  await attachVideo(kino, film, clip);
  return film;
}

/** Uploads `clip` as the film's video file and attaches it (202: a job is queued); the job's id. */
export async function attachVideo(kino: TestKino, film: string, clip: Buffer): Promise<string> {
  const body = multipart({ kind: 'video', film_id: film }, { filename: 'film.mp4', data: clip });
  const uploaded = await kino.app.inject({
    method: 'POST',
    url: '/api/v1/files',
    payload: body.payload,
    headers: { ...body.headers, ...auth('admin') },
  });
  expect(uploaded.statusCode).toBe(201);
  const put = await kino.app.inject({
    method: 'PUT',
    url: `/api/v1/films/${film}/video`,
    payload: { file_id: uploaded.json<{ id: string }>().id },
    headers: auth('admin'),
  });
  expect(put.statusCode).toBe(202);
  return put.json<{ job_id: string }>().job_id;
}

/** A new film of `access` whose video (`clip`) the transcode worker has packaged (status ready). */
export async function readyFilm(
  kino: TestKino,
  access: Access,
  clip: Buffer,
  timeoutMs: number,
): Promise<string> {
  const film = await filmWithVideo(kino, access, clip);
  await eventually(
    async () => {
      const video = (
        await kino.app.inject({ method: 'GET', url: `/api/v1/films/${film}/video`, headers: auth('admin') })
      ).json<{ status: string; error: string | null }>();
      expect(video.status).not.toBe('failed');
      return video.status === 'ready';
    },
    { timeoutMs, intervalMs: 100, what: `the video of film ${film} ready` },
  );
  return film;
}

/** The URIs a playlist names (lines, EXT-X-MAP and EXT-X-MEDIA), resolved against its own URL. */
export function urisOf(playlist: string, url: URL): URL[] {
  return playlist.split('\n').flatMap((line) => {
    const tagged = /^#EXT-X-(?:MAP|MEDIA):.*URI="([^"]+)"/.exec(line);
    if (tagged) return [new URL(tagged[1]!, url)];
    return line.trim() && !line.startsWith('#') ? [new URL(line.trim(), url)] : [];
  });
}

/** Listens on a free port in 40000-49999; returns the origin. */
export async function listen(app: HttpApp): Promise<string> {
  for (let tries = 0; ; tries++) {
    const port = 40000 + Math.floor(Math.random() * 10000);
    try {
      await app.listen({ host: '127.0.0.1', port });
      return `http://127.0.0.1:${port}`;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE' || tries > 20) throw error;
    }
  }
}
