/**
 * The files API end to end (app.inject), on the local-disk blob store and on S3 (s3rver started
 * by the test), over whatever SQL/bus engines the environment selects.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/ports/blob.js';
import { createLocalBlobStore } from '../../src/adapters/blob/local.js';
import { createS3BlobStore } from '../../src/adapters/blob/s3.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { uniq } from '../helpers/engines.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { auth, emitFilm, fakeFile, multipart, testTokens } from '../helpers/files.js';

/** A file or a problem, as the API answers. */
interface Answer {
  id: string;
  filename: string;
  content_type: string;
  code: string;
  url: string;
  expires_at: string;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function blobKeys(blob: BlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of blob.list('files/')) keys.push(info.key);
  return keys;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

for (const engine of ['local', 's3'] as const) {
  describe(`files API on ${engine} blobs`, () => {
    let kino: TestKino;
    let blob: BlobStore;
    let s3: TestS3 | undefined;
    let blobRoot: string;
    let now = Date.now();
    let freeFilm: string;
    let paidFilm: string;
    let archivedFilm: string;

    const upload = (
      fields: Record<string, string>,
      file: { filename: string; data: Buffer },
      who: 'admin' | 'sub' | 'unsub' = 'admin',
    ) => {
      const body = multipart(fields, file);
      return kino.app.inject({
        method: 'POST',
        url: '/api/v1/files',
        payload: body.payload,
        headers: { ...body.headers, ...auth(who) },
      });
    };
    const fileCount = async () =>
      (await kino.kernel.engines.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM files.file'))[0]!.n;
    const filmsKnown = async (ids: string[]) =>
      (
        await kino.kernel.engines.sql.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM files.film WHERE id = ANY($1::uuid[])',
          [ids],
        )
      )[0]!.n === ids.length;

    beforeAll(async () => {
      blobRoot = mkdtempSync(path.join(tmpdir(), 'kino-files-blob-'));
      if (engine === 'local') blob = await createLocalBlobStore({ root: blobRoot });
      else {
        s3 = await startTestS3();
        blob = await createS3BlobStore({ ...s3, bucket: uniq('kino-files-') });
      }
      kino = await createTestKino({
        modules: ['files'],
        env: { FILES_MAX_POSTER: '64kb', FILES_MAX_VIDEO: '4mb', FILES_MAX_OTHER: '64kb' },
        extras: { blob },
        clock: { now: () => new Date(now) },
        tokens: testTokens,
      });
      const sql = kino.kernel.engines.sql;
      freeFilm = await emitFilm(sql, 'FREE');
      paidFilm = await emitFilm(sql, 'PAID');
      archivedFilm = await emitFilm(sql, 'ARCHIVED');
      await kino.settle();
      expect(await filmsKnown([freeFilm, paidFilm, archivedFilm])).toBe(true);
    });
    afterAll(async () => {
      await kino?.close();
      await blob?.close();
      await s3?.close();
      rmSync(blobRoot, { recursive: true, force: true });
    });

    it('uploads a poster, stores its bytes and announces it for the film', async () => {
      const data = fakeFile.png(20_000);
      const res = await upload({ kind: 'poster', film_id: freeFilm }, { filename: 'poster.png', data });
      expect(res.statusCode).toBe(201);
      const body = res.json<Answer>();
      expect(body).toMatchObject({
        filename: 'poster.png',
        size: data.length,
        content_type: 'image/png',
        sha256: sha(data),
        kind: 'poster',
        film_id: freeFilm,
      });
      expect(res.headers.location).toBe(`/api/v1/files/${body.id}`);

      const detail = await kino.app.inject({ method: 'GET', url: `/api/v1/files/${body.id}` });
      expect(detail.statusCode).toBe(200);
      expect(detail.json<Answer>()).toEqual(body);

      const events = await kino.kernel.engines.sql.query<{
        payload: { filmId: string; fileId: string; url: string };
      }>(
        `SELECT payload FROM platform.outbox WHERE type = 'files.poster.changed' AND key = $1 ORDER BY seq`,
        [freeFilm],
      );
      expect(events.at(-1)?.payload).toEqual({
        filmId: freeFilm,
        fileId: body.id,
        url: `${kino.config.baseUrl}/api/v1/files/${body.id}/content`,
      });

      // Anyone may read a poster.
      const content = await kino.app.inject({ method: 'GET', url: `/api/v1/files/${body.id}/content` });
      expect(content.statusCode).toBe(200);
      expect(content.rawPayload.equals(data)).toBe(true);
      expect(content.headers['content-type']).toBe('image/png');
      expect(content.headers['content-disposition']).toBe('inline; filename="poster.png"');
    });

    it('serves byte-exact single ranges, 416 past the end, 304 for a known ETag', async () => {
      const data = fakeFile.mp4(1_500_000);
      const created = (
        await upload({ kind: 'video', film_id: freeFilm }, { filename: 'clip.mp4', data })
      ).json<Answer>();
      const url = `/api/v1/files/${created.id}/content`;
      const full = await kino.app.inject({ method: 'GET', url });
      expect(full.statusCode).toBe(200);
      expect(full.headers['accept-ranges']).toBe('bytes');
      expect(full.headers['content-length']).toBe(String(data.length));
      expect(full.rawPayload.equals(data)).toBe(true);
      const etag = full.headers.etag as string;
      expect(etag).toBe(`"${sha(data)}"`);

      const cases: [string, number, number][] = [
        ['bytes=0-0', 0, 0],
        ['bytes=0-99', 0, 99],
        ['bytes=1000-1999', 1000, 1999],
        ['bytes=1499000-', 1_499_000, data.length - 1],
        ['bytes=-500', data.length - 500, data.length - 1],
        ['bytes=1400000-9999999', 1_400_000, data.length - 1],
      ];
      for (const [header, start, end] of cases) {
        const res = await kino.app.inject({ method: 'GET', url, headers: { range: header } });
        expect(res.statusCode, header).toBe(206);
        expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${data.length}`);
        expect(res.headers['content-length']).toBe(String(end - start + 1));
        expect(res.rawPayload.equals(data.subarray(start, end + 1)), header).toBe(true);
      }

      const head = await kino.app.inject({ method: 'HEAD', url, headers: { range: 'bytes=10-19' } });
      expect(head.statusCode).toBe(206);
      expect(head.headers['content-length']).toBe('10');
      expect(head.rawPayload.length).toBe(0);

      const past = await kino.app.inject({ method: 'GET', url, headers: { range: `bytes=${data.length}-` } });
      expect(past.statusCode).toBe(416);
      expect(past.headers['content-range']).toBe(`bytes */${data.length}`);
      expect(past.json<Answer>().code).toBe('RANGE_NOT_SATISFIABLE');

      const cached = await kino.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
      expect(cached.statusCode).toBe(304);
      expect(cached.rawPayload.length).toBe(0);
      const stale = await kino.app.inject({
        method: 'GET',
        url,
        headers: { 'if-none-match': '"0000"', range: 'bytes=5-9' },
      });
      expect(stale.statusCode).toBe(206);
      expect(stale.rawPayload.equals(data.subarray(5, 10))).toBe(true);
      // If-Range with another entity: the whole file.
      const changed = await kino.app.inject({
        method: 'GET',
        url,
        headers: { 'if-range': '"other"', range: 'bytes=5-9' },
      });
      expect(changed.statusCode).toBe(200);
    });

    it('refuses a program renamed as a poster with 415 and keeps nothing', async () => {
      const rowsBefore = await fileCount();
      const keysBefore = await blobKeys(blob);
      const res = await upload({ kind: 'poster' }, { filename: 'poster.png', data: fakeFile.exe(10_000) });
      expect(res.statusCode).toBe(415);
      expect(res.json<Answer>().code).toBe('UNSUPPORTED_FILE_TYPE');
      expect(await fileCount()).toBe(rowsBefore);
      expect(await blobKeys(blob)).toEqual(keysBefore);
    });

    it('refuses an oversize file with 413 and leaves neither blob nor row', async () => {
      const rowsBefore = await fileCount();
      const keysBefore = (await blobKeys(blob)).sort();
      const poster = await upload(
        { kind: 'poster' },
        { filename: 'big.png', data: fakeFile.png(64 * 1024 + 1) },
      );
      expect(poster.statusCode).toBe(413);
      expect(poster.json<Answer>().code).toBe('FILE_TOO_LARGE');
      const video = await upload(
        { kind: 'video' },
        { filename: 'big.mp4', data: fakeFile.mp4(4 * 1024 * 1024 + 10) },
      );
      expect(video.statusCode).toBe(413);
      expect(await fileCount()).toBe(rowsBefore);
      expect((await blobKeys(blob)).sort()).toEqual(keysBefore);
      if (engine === 'local') expect(readdirSync(path.join(blobRoot, 'tmp'))).toEqual([]);
      // Exactly at the limit is fine.
      const edge = await upload({ kind: 'poster' }, { filename: 'edge.png', data: fakeFile.png(64 * 1024) });
      expect(edge.statusCode).toBe(201);
    });

    it('answers 404 for unknown ids and 400 for malformed ones', async () => {
      const id = randomUUID();
      for (const url of [`/api/v1/files/${id}`, `/api/v1/files/${id}/content`]) {
        const res = await kino.app.inject({ method: 'GET', url, headers: auth('admin') });
        expect(res.statusCode).toBe(404);
        expect(res.json<Answer>().code).toBe('FILE_NOT_FOUND');
      }
      expect(
        (await kino.app.inject({ method: 'DELETE', url: `/api/v1/files/${id}`, headers: auth('admin') }))
          .statusCode,
      ).toBe(404);
      expect(
        (await kino.app.inject({ method: 'GET', url: '/api/v1/files/../../etc/passwd' })).statusCode,
      ).toBe(404);
      expect((await kino.app.inject({ method: 'GET', url: '/api/v1/files/not-a-uuid' })).statusCode).toBe(
        400,
      );
      const film404 = await upload(
        { kind: 'poster', film_id: randomUUID() },
        { filename: 'p.png', data: fakeFile.png(100) },
      );
      expect(film404.statusCode).toBe(404);
      expect(film404.json<Answer>().code).toBe('FILM_NOT_FOUND');
    });

    it('stores traversal-looking filenames as bare names, inside the store', async () => {
      for (const [given, stored] of [
        ['../../../../etc/passwd', 'passwd'],
        ['..\\..\\boot.ini', 'boot.ini'],
        ['..', 'file'],
      ] as const) {
        const res = await upload({ kind: 'other' }, { filename: given, data: Buffer.from('plain text\n') });
        expect(res.statusCode).toBe(201);
        const body = res.json<Answer>();
        expect(body.filename).toBe(stored);
        expect(body.content_type).toBe('application/octet-stream');
        const content = await kino.app.inject({ method: 'GET', url: `/api/v1/files/${body.id}/content` });
        // no film: only editors may read an "other" file
        expect(content.statusCode).toBe(401);
        const asAdmin = await kino.app.inject({
          method: 'GET',
          url: `/api/v1/files/${body.id}/content`,
          headers: auth('admin'),
        });
        expect(asAdmin.headers['content-disposition']).toMatch(/^attachment; filename="[^/\\"]+"/);
        expect(asAdmin.body).toBe('plain text\n');
      }
      expect(existsSync(path.join(blobRoot, '..', 'passwd'))).toBe(false);
      expect(existsSync(path.join(kino.dataDir, 'passwd'))).toBe(false);
    });

    it('lets videos follow their film: PAID refused to UNSUB_USER and anonymous, open to SUB_USER', async () => {
      const data = fakeFile.mp4(50_000);
      const paid = (
        await upload({ kind: 'video', film_id: paidFilm }, { filename: 'paid.mp4', data })
      ).json<Answer>();
      const archived = (
        await upload({ kind: 'video', film_id: archivedFilm }, { filename: 'old.mp4', data })
      ).json<Answer>();
      const get = (id: string, who?: 'admin' | 'sub' | 'unsub') =>
        kino.app.inject({ method: 'GET', url: `/api/v1/files/${id}/content`, headers: who ? auth(who) : {} });

      const unsub = await get(paid.id, 'unsub');
      expect(unsub.statusCode).toBe(403);
      expect(unsub.json<Answer>().code).toBe('FILM_ACCESS_DENIED');
      expect((await get(paid.id)).statusCode).toBe(401);
      const sub = await get(paid.id, 'sub');
      expect(sub.statusCode).toBe(200);
      expect(sub.rawPayload.equals(data)).toBe(true);
      expect((await get(archived.id, 'sub')).statusCode).toBe(403);
      expect((await get(archived.id, 'admin')).statusCode).toBe(200);

      // Metadata follows the same rule: absent from lists, 403 by id.
      expect(
        (await kino.app.inject({ method: 'GET', url: `/api/v1/files/${paid.id}`, headers: auth('unsub') }))
          .statusCode,
      ).toBe(403);
      const listed = await kino.app.inject({
        method: 'GET',
        url: `/api/v1/files?film_id=${paidFilm}`,
        headers: auth('unsub'),
      });
      expect(listed.json<Answer[]>()).toEqual([]);
      expect(listed.headers['x-total-count']).toBe('0');
      const listedSub = await kino.app.inject({
        method: 'GET',
        url: `/api/v1/files?film_id=${paidFilm}&kind=video`,
        headers: auth('sub'),
      });
      expect(listedSub.json<Answer[]>().map((f) => f.id)).toEqual([paid.id]);

      // The film becomes FREE: the projection follows the content events.
      await emitFilm(kino.kernel.engines.sql, 'FREE', paidFilm, 2);
      await kino.settle();
      expect((await get(paid.id, 'unsub')).statusCode).toBe(200);
    });

    it('serves a trailer to anyone, even of a PAID film, with ranges and public caching; refuses an image as a trailer', async () => {
      const film = await emitFilm(kino.kernel.engines.sql, 'PAID');
      await kino.settle();
      expect(await filmsKnown([film])).toBe(true);
      const data = fakeFile.mp4(60_000);
      const res = await upload({ kind: 'trailer', film_id: film }, { filename: 'teaser.mp4', data });
      expect(res.statusCode).toBe(201);
      const trailer = res.json<Answer>();
      expect(trailer).toMatchObject({ kind: 'trailer', film_id: film, content_type: 'video/mp4' });

      const whole = await kino.app.inject({ method: 'GET', url: `/api/v1/files/${trailer.id}/content` });
      expect(whole.statusCode).toBe(200);
      expect(whole.rawPayload.equals(data)).toBe(true);
      expect(whole.headers['cache-control']).toBe('public, max-age=86400');
      expect(whole.headers['content-disposition']).toMatch(/^inline/);
      const part = await kino.app.inject({
        method: 'GET',
        url: `/api/v1/files/${trailer.id}/content`,
        headers: { range: 'bytes=100-199', ...auth('unsub') },
      });
      expect(part.statusCode).toBe(206);
      expect(part.rawPayload.equals(data.subarray(100, 200))).toBe(true);
      const listed = await kino.app.inject({
        method: 'GET',
        url: `/api/v1/files?film_id=${film}&kind=trailer`,
      });
      expect(listed.json<Answer[]>().map((f) => f.id)).toEqual([trailer.id]);

      const image = await upload(
        { kind: 'trailer', film_id: film },
        { filename: 'still.png', data: fakeFile.png(2_000) },
      );
      expect(image.statusCode).toBe(415);
      expect(image.json<Answer>().code).toBe('UNSUPPORTED_FILE_TYPE');
    });

    it('lists with paging and X-Total-Count', async () => {
      // Files of its own, so that there are pages whatever ran before.
      for (const name of ['p1.png', 'p2.png', 'p3.png'])
        expect(
          (await upload({ kind: 'poster', film_id: freeFilm }, { filename: name, data: fakeFile.png(1_000) }))
            .statusCode,
        ).toBe(201);
      const res = await kino.app.inject({
        method: 'GET',
        url: '/api/v1/files?page_size=2&page_number=1',
        headers: auth('admin'),
      });
      expect(res.statusCode).toBe(200);
      expect(res.json<Answer[]>()).toHaveLength(2);
      const total = Number(res.headers['x-total-count']);
      expect(total).toBe(await fileCount());
      const last = await kino.app.inject({
        method: 'GET',
        url: `/api/v1/files?page_size=2&page_number=${Math.ceil(total / 2)}`,
        headers: auth('admin'),
      });
      expect(last.json<Answer[]>().length).toBe(total % 2 === 0 ? 2 : 1);
      expect((await kino.app.inject({ method: 'GET', url: '/api/v1/files?page_size=101' })).statusCode).toBe(
        400,
      );
      expect((await kino.app.inject({ method: 'GET', url: '/api/v1/files?kind=exe' })).statusCode).toBe(400);
    });

    it('makes temporary links; altered or expired links are refused with 403', async () => {
      const data = fakeFile.mp4(30_000);
      const file = (
        await upload({ kind: 'video', film_id: freeFilm }, { filename: 'l.mp4', data })
      ).json<Answer>();
      // A FREE film's file: anyone who may watch it may have a link; an ARCHIVED one's is refused.
      const open = await kino.app.inject({
        method: 'POST',
        url: `/api/v1/files/${file.id}/link`,
        payload: { expires_in: 60 },
        headers: auth('unsub'),
      });
      expect(open.statusCode).toBe(200);
      const arch = (
        await upload({ kind: 'video', film_id: archivedFilm }, { filename: 'a.mp4', data })
      ).json<Answer>();
      const denied = await kino.app.inject({
        method: 'POST',
        url: `/api/v1/files/${arch.id}/link`,
        payload: { expires_in: 60 },
        headers: auth('sub'),
      });
      expect(denied.statusCode).toBe(403);

      const res = await kino.app.inject({
        method: 'POST',
        url: `/api/v1/files/${arch.id}/link`,
        payload: { expires_in: 60 },
        headers: auth('admin'),
      });
      expect(res.statusCode).toBe(200);
      const { url, expires_at } = res.json<Answer>();
      expect(new Date(expires_at).getTime()).toBe(Math.floor(now / 1000) * 1000 + 60_000);
      if (engine === 's3') {
        expect(url).toMatch(/X-Amz-Signature=/);
        const got = await fetch(url);
        expect(got.status).toBe(200);
        expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);
        return;
      }
      const u = new URL(url);
      expect(u.pathname).toBe(`/api/v1/files/${arch.id}/content`);
      const path_ = `${u.pathname}${u.search}`;
      const ok = await kino.app.inject({ method: 'GET', url: path_ });
      expect(ok.statusCode).toBe(200);
      expect(ok.rawPayload.equals(data)).toBe(true);
      const ranged = await kino.app.inject({ method: 'GET', url: path_, headers: { range: 'bytes=10-20' } });
      expect(ranged.rawPayload.equals(data.subarray(10, 21))).toBe(true);

      const expires = u.searchParams.get('expires')!;
      const signature = u.searchParams.get('signature')!;
      const altered = [
        `${u.pathname}?expires=${Number(expires) + 3600}&signature=${signature}`,
        `${u.pathname}?expires=${expires}&signature=${signature.slice(0, -2)}AA`,
        `/api/v1/files/${file.id}/content?expires=${expires}&signature=${signature}`,
        `${u.pathname}?expires=${expires}`,
        // Other spellings of the same signature bytes: characters outside base64url, padding,
        // and a last character that differs only in its unused low bits.
        `${u.pathname}?expires=${expires}&signature=${signature}!!`,
        `${u.pathname}?expires=${expires}&signature=${signature}%3D`,
        `${u.pathname}?expires=${expires}&signature=${signature.slice(0, 20)}.${signature.slice(20)}`,
        `${u.pathname}?expires=${expires}&signature=${signature.slice(0, -1)}${B64URL[B64URL.indexOf(signature.at(-1)!) ^ 1]}`,
      ];
      for (const bad of altered) {
        const r = await kino.app.inject({ method: 'GET', url: bad });
        expect(r.statusCode, bad).toBe(403);
        expect(r.json<Answer>().code).toBe('LINK_INVALID');
      }
      now += 61_000;
      const expired = await kino.app.inject({ method: 'GET', url: path_ });
      expect(expired.statusCode).toBe(403);
      expect(expired.json<Answer>().code).toBe('LINK_EXPIRED');
    });

    it('deletes with CRUD_FILMS only, removing blob and row, and re-announces the poster', async () => {
      const first = (
        await upload(
          { kind: 'poster', film_id: archivedFilm },
          { filename: 'a.png', data: fakeFile.png(500, 1) },
        )
      ).json<Answer>();
      now += 1000;
      const second = (
        await upload(
          { kind: 'poster', film_id: archivedFilm },
          { filename: 'b.png', data: fakeFile.png(500, 2) },
        )
      ).json<Answer>();
      const forbidden = await kino.app.inject({
        method: 'DELETE',
        url: `/api/v1/files/${second.id}`,
        headers: auth('sub'),
      });
      expect(forbidden.statusCode).toBe(403);
      expect(
        (await kino.app.inject({ method: 'DELETE', url: `/api/v1/files/${second.id}` })).statusCode,
      ).toBe(401);
      const before = (await blobKeys(blob)).length;
      const del = await kino.app.inject({
        method: 'DELETE',
        url: `/api/v1/files/${second.id}`,
        headers: auth('admin'),
      });
      expect(del.statusCode).toBe(204);
      expect((await kino.app.inject({ method: 'GET', url: `/api/v1/files/${second.id}` })).statusCode).toBe(
        404,
      );
      expect((await blobKeys(blob)).length).toBe(before - 1);
      const [last] = await kino.kernel.engines.sql.query<{ payload: { fileId: string | null } }>(
        `SELECT payload FROM platform.outbox WHERE type = 'files.poster.changed' AND key = $1 ORDER BY seq DESC LIMIT 1`,
        [archivedFilm],
      );
      expect(last?.payload.fileId).toBe(first.id);
    });

    it('refuses uploads without CRUD_FILMS and without multipart', async () => {
      const res = await upload({ kind: 'poster' }, { filename: 'p.png', data: fakeFile.png(100) }, 'sub');
      expect(res.statusCode).toBe(403);
      const anon = await kino.app.inject({ method: 'POST', url: '/api/v1/files', payload: { a: 1 } });
      expect(anon.statusCode).toBe(401);
      const json = await kino.app.inject({
        method: 'POST',
        url: '/api/v1/files',
        payload: { a: 1 },
        headers: auth('admin'),
      });
      expect(json.statusCode).toBe(415);
      const noKind = await upload({}, { filename: 'p.png', data: fakeFile.png(100) });
      expect(noKind.statusCode).toBe(400);
      expect(noKind.json<Answer>().code).toBe('INVALID_KIND');
    });

    it('gc removes blobs without metadata and reports metadata without blobs', async () => {
      const service = kino.kernel.services.require('files');
      const orphan = `files/zz/${randomUUID()}`;
      await blob.put(orphan, Readable.from([Buffer.from('orphan')]));
      const lost = (
        await upload({ kind: 'poster' }, { filename: 'lost.png', data: fakeFile.png(300) })
      ).json<Answer>();
      const [row] = await kino.kernel.engines.sql.query<{ blob_key: string }>(
        'SELECT blob_key FROM files.file WHERE id = $1',
        [lost.id],
      );
      await blob.delete(row!.blob_key);

      // The clock was moved by earlier tests; blob times are the store's real clock.
      now = Date.now() + 5_000;
      const young = await service.gc({ dryRun: false, graceSeconds: 3600 });
      expect(young.removed).toEqual([]);
      expect(young.young).toBe(1);
      const dry = await service.gc({ dryRun: true, graceSeconds: 0 });
      expect(dry.removed).toEqual([orphan]);
      expect(await blob.head(orphan)).not.toBeNull();
      const report = await service.gc({ dryRun: false, graceSeconds: 0 });
      expect(report.removed).toEqual([orphan]);
      expect(report.missing.map((m) => m.id)).toEqual([lost.id]);
      expect(await blob.head(orphan)).toBeNull();
      expect(report.scanned).toBe((await blobKeys(blob)).length + 1);
    });
  });
}
