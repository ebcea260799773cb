/**
 * PostgreSQL only: two `kino worker transcode` processes on one database and one blob store (the
 * local store in a data folder both processes share), with a 3 s lease (VIDEO_LEASE_SECONDS). The
 * one that claims a job is killed with SIGKILL while it transcodes the second rung, after the
 * first was published (with the package's poster and thumbnails); the other takes the job over
 * once the lease runs out and finishes it from what the package already holds, pictures included.
 * Throughout, the master playlist names only renditions whose blobs are all there, and the
 * thumbnail track only sprites that are there; at the end the package is whole and nothing else
 * lies under the film's prefix. The clip (8 s, 4:4:4 H.264, so it is transcoded rather than remuxed) is made by ffmpeg here.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/ports/blob.js';
import { createLocalBlobStore } from '../../src/adapters/blob/local.js';
import { createMediaEngine } from '../../src/modules/files/media/media.engine.js';
import { createFilesRepository } from '../../src/modules/files/files.repository.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { eventually, serverUrls } from '../helpers/engines.js';
import { testTokens } from '../helpers/files.js';
import { attachVideo } from '../helpers/video.js';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

interface JobRow {
  status: string;
  step: string | null;
  lease_owner: string | null;
  attempts: number;
  error: string | null;
  renditions: { name: string }[];
  extras: { poster?: boolean; thumbnails?: boolean };
}

describe.skipIf(!serverUrls.database)(
  'the transcode worker killed mid-job (two kino processes; needs DATABASE_URL)',
  () => {
    let dir: string;
    let kino: TestKino;
    let blob: BlobStore;
    const workers: { child: ChildProcess; tmp: string; out: () => string }[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'kino-video-kill-'));
      const engine = await createMediaEngine();
      await exec(engine.ffmpeg.path, [
        ...['-nostdin', '-v', 'error', '-y'],
        ...['-f', 'lavfi', '-i', 'testsrc2=size=480x360:rate=25:duration=8'],
        ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=8'],
        // 4:4:4 is not remuxable: the ladder (360p, 240p) is transcoded.
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p', '-g', '25'],
        ...['-c:a', 'aac', '-ar', '48000', path.join(dir, 'film.mp4')],
      ]);
      // The worker processes share this data folder, so its blobs/ is their common store.
      const shared = path.join(dir, 'data');
      mkdirSync(shared);
      blob = await createLocalBlobStore({ root: path.join(shared, 'blobs') });
      kino = await createTestKino({
        modules: ['files'],
        extras: { blob },
        tokens: testTokens,
        workers: false,
      });
      for (const name of ['a', 'b']) {
        const tmp = path.join(dir, `tmp-${name}`);
        mkdirSync(tmp);
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'src/runtime/cli.ts', 'worker', 'transcode'],
          {
            cwd: root,
            env: {
              ...process.env,
              KINO_DATA_DIR: shared,
              DATABASE_URL: kino.databaseUrl!,
              // No Redis or NATS: the worker needs neither, and must not touch the machine's stream.
              REDIS_URL: '',
              NATS_URL: '',
              SERVICES: 'files',
              PORT: '0',
              METRICS_PORT: 'off',
              LOG_LEVEL: 'warn',
              FILES_LINK_SECRET: 'video-kill-test-link-secret',
              VIDEO_LEASE_SECONDS: '3',
              TMPDIR: tmp,
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        workers.push({ child, tmp, out: () => out });
      }
    }, 180_000);

    afterAll(async () => {
      await Promise.all(
        workers.map(async ({ child }) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          await exited;
        }),
      );
      await kino?.close();
      await blob?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const read = async (key: string) => {
      const got = await blob.get(key);
      return got ? text(got.body) : null;
    };
    /** The blobs a playlist names, relative to its folder (EXT-X-MAP init and the segments). */
    const named = (playlist: string) =>
      playlist
        .split('\n')
        .map((line) => line.trim())
        .flatMap((line) =>
          line.startsWith('#EXT-X-MAP:')
            ? [/URI="([^"]+)"/.exec(line)![1]!]
            : line && !line.startsWith('#')
              ? [line]
              : [],
        );
    /**
     * Every blob the published package names, from its master playlist down, and its pictures
     * (the poster, the thumbnail track and the sprites the track names); throws when the master
     * names a rendition whose playlist or segments are not (all) stored, or the track a sprite
     * that is not.
     */
    async function packageKeys(prefix: string): Promise<{ renditions: string[]; keys: string[] }> {
      const master = await read(`${prefix}master.m3u8`);
      if (master === null) return { renditions: [], keys: [] };
      const keys = [`${prefix}master.m3u8`];
      const renditions: string[] = [];
      for (const entry of named(master)) {
        const folder = `${prefix}${path.posix.dirname(entry)}/`;
        renditions.push(path.posix.dirname(entry));
        const playlist = await read(`${prefix}${entry}`);
        if (playlist === null) throw new Error(`the master playlist names ${entry}, which is not stored`);
        keys.push(`${prefix}${entry}`);
        for (const part of named(playlist)) {
          if ((await blob.head(`${folder}${part}`)) === null)
            throw new Error(`${entry} names ${part}, which is not stored`);
          keys.push(`${folder}${part}`);
        }
      }
      if ((await blob.head(`${prefix}poster.jpg`)) !== null) keys.push(`${prefix}poster.jpg`);
      const track = await read(`${prefix}thumbs/thumbs.vtt`);
      if (track !== null) {
        keys.push(`${prefix}thumbs/thumbs.vtt`);
        for (const sprite of new Set([...track.matchAll(/^(sprite_\d+\.jpg)#xywh=/gm)].map((m) => m[1]!))) {
          if ((await blob.head(`${prefix}thumbs/${sprite}`)) === null)
            throw new Error(`thumbs.vtt names ${sprite}, which is not stored`);
          keys.push(`${prefix}thumbs/${sprite}`);
        }
      }
      return { renditions, keys };
    }

    it('a worker killed mid-transcode leaves its job to the other, which finishes the package', async () => {
      const sql = kino.kernel.engines.sql;
      // No consumers run in this process: the film goes straight into files' projection.
      const film = randomUUID();
      await createFilesRepository(sql).upsertFilms([{ id: film, access: 'FREE', version: 1 }]);
      const job = await attachVideo(kino, film, readFileSync(path.join(dir, 'film.mp4')));
      const prefix = `videos/${film}/${job}/`;
      const row = async () =>
        (
          await sql.query<JobRow>(
            'SELECT status, step, lease_owner, attempts, error, renditions, extras FROM files.video WHERE id = $1',
            [job],
          )
        )[0]!;
      const holder = (owner: string | null) =>
        workers.find((w) => owner !== null && owner.split(':')[1] === String(w.child.pid));

      // Whichever worker claimed the job, once it transcodes the second rung (the first is published).
      const running = await eventually(
        async () => {
          for (const w of workers)
            if (w.child.exitCode !== null) throw new Error(`a worker exited:\n${w.out()}`);
          const r = await row();
          return r.step === 'transcode 240p' && holder(r.lease_owner) ? r : null;
        },
        { timeoutMs: 300_000, intervalMs: 20, what: 'a worker process transcodes the 240p rung' },
      );
      const a = holder(running!.lease_owner)!;
      const b = workers.find((w) => w !== a)!;
      const exited = new Promise((resolve) => a.child.once('exit', resolve));
      a.child.kill('SIGKILL');
      await exited;

      // What the dead worker published still plays: 360p and its pictures, all of it stored.
      expect((await row()).status).toBe('processing');
      expect((await row()).extras).toEqual({ poster: true, thumbnails: true });
      const published360p = await packageKeys(prefix);
      expect(published360p.renditions).toEqual(['360p']);
      expect(published360p.keys).toEqual(
        expect.arrayContaining([
          `${prefix}poster.jpg`,
          `${prefix}thumbs/thumbs.vtt`,
          `${prefix}thumbs/sprite_000.jpg`,
        ]),
      );

      // The other worker takes it over once the lease runs out; at every look, the master playlist
      // names only renditions whose blobs are all stored.
      const ready = await eventually(
        async () => {
          if (b.child.exitCode !== null) throw new Error(`the surviving worker exited:\n${b.out()}`);
          await packageKeys(prefix);
          const r = await row();
          return r.status === 'ready' ? r : null;
        },
        { timeoutMs: 300_000, intervalMs: 50, what: 'the surviving worker finishes the job' },
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\nsurviving worker:\n${b.out()}`, { cause: error });
      });
      expect(ready!).toMatchObject({ status: 'ready', attempts: 2, error: null, lease_owner: null });
      expect(ready!.renditions.map((r) => r.name)).toEqual(['360p', '240p']);

      // Resumed, not redone: 360p was published (by the dead worker), then its pictures, then 240p joined.
      const published = await sql.query<{ payload: { renditions: string[] } }>(
        `SELECT payload FROM platform.outbox WHERE key = $1 AND type = 'files.video.published' ORDER BY seq`,
        [film],
      );
      expect(published.map((p) => p.payload.renditions)).toEqual([['360p'], ['360p'], ['360p', '240p']]);
      expect(ready!.extras).toEqual({ poster: true, thumbnails: true });

      // The package is whole, and nothing lies under the film's prefix that it does not name.
      const pkg = await packageKeys(prefix);
      expect(pkg.renditions).toEqual(['360p', '240p']);
      const stored: string[] = [];
      for await (const info of blob.list(`videos/${film}/`)) stored.push(info.key);
      expect(stored.sort()).toEqual([...pkg.keys].sort());

      // SIGKILL leaves the dead worker's temp folder (no process was left to remove it); the
      // survivor removed its own.
      expect(readdirSync(a.tmp).filter((f) => f.startsWith('kino-video-'))).toHaveLength(1);
      expect(readdirSync(b.tmp).filter((f) => f.startsWith('kino-video-'))).toEqual([]);
    }, 900_000);
  },
);
