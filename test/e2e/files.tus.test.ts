/**
 * Resumable uploads (tus 1.0) over a real socket: an upload cut at 50 % resumes from the offset
 * the server kept and completes into a file record with the right sha256. An upload belongs to
 * its creator (anyone else gets 404 for every method), and each user's unfinished uploads are
 * capped in number and declared bytes.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { eventually } from '../helpers/engines.js';
import { auth, emitFilm, fakeFile, testTokens, TOKENS } from '../helpers/files.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const TUS = { 'tus-resumable': '1.0.0' };

describe('tus resumable uploads', () => {
  let kino: TestKino;
  let base: string;
  let film: string;

  beforeAll(async () => {
    kino = await createTestKino({
      modules: ['files'],
      env: {
        FILES_MAX_VIDEO: '8mb',
        FILES_MAX_POSTER: '64kb',
        FILES_UPLOADS_PER_USER: '3',
        FILES_UPLOAD_STAGED_PER_USER: '10mb',
      },
      tokens: testTokens,
    });
    await kino.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(kino.app.server.address() as { port: number }).port}`;
    film = await emitFilm(kino.kernel.engines.sql, 'FREE');
    await kino.settle();
    expect(
      await kino.kernel.engines.sql.query('SELECT 1 FROM files.film WHERE id = $1', [film]),
    ).toHaveLength(1);
  });
  afterAll(async () => {
    await kino?.close();
  });

  type Who = 'admin' | 'sub' | 'editor';
  const create = (length: number, metadata: Record<string, string>, who: Who = 'admin') =>
    fetch(`${base}/api/v1/uploads`, {
      method: 'POST',
      headers: {
        ...TUS,
        ...auth(who),
        'upload-length': String(length),
        'upload-metadata': Object.entries(metadata)
          .map(([k, v]) => `${k} ${b64(v)}`)
          .join(','),
      },
    });
  const offsetOf = async (location: string) => {
    const res = await fetch(`${base}${location}`, { method: 'HEAD', headers: { ...TUS, ...auth('admin') } });
    expect(res.status).toBe(200);
    return Number(res.headers.get('upload-offset'));
  };
  const patch = (location: string, offset: number, body: Buffer, who: Who = 'admin') =>
    fetch(`${base}${location}`, {
      method: 'PATCH',
      headers: {
        ...TUS,
        ...auth(who),
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
      },
      body,
    });

  it('resumes an upload cut at 50 % and completes it with the right sha256', async () => {
    const data = fakeFile.mp4(3 * 1024 * 1024 + 123);
    const created = await create(data.length, { filename: 'trailer.mp4', kind: 'video', film_id: film });
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    expect(location).toMatch(/^\/api\/v1\/uploads\/[0-9a-f-]{36}$/);

    // Send the first half, then cut the connection without finishing the request.
    const half = Math.floor(data.length / 2);
    await new Promise<void>((resolve) => {
      const req = http.request(`${base}${location}`, {
        method: 'PATCH',
        headers: {
          ...TUS,
          ...auth('admin'),
          'upload-offset': '0',
          'content-type': 'application/offset+octet-stream',
        },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      let sent = 0;
      const step = () => {
        while (sent < half) {
          const piece = data.subarray(sent, Math.min(sent + 64 * 1024, half));
          sent += piece.length;
          if (!req.write(piece)) return void req.once('drain', step);
        }
        setTimeout(() => req.destroy(), 300);
      };
      step();
    });

    // The server keeps what reached it before the cut.
    const offset = Number(
      await eventually(async () => {
        const o = await offsetOf(location);
        return o > 0 ? o : false;
      }),
    );
    expect(offset).toBeLessThanOrEqual(half);
    expect(offset).toBeGreaterThan(half / 4);

    const done = await patch(location, offset, data.subarray(offset));
    expect(done.status).toBe(204);
    expect(done.headers.get('upload-offset')).toBe(String(data.length));
    const fileId = done.headers.get('kino-file-id')!;
    expect(location.endsWith(fileId)).toBe(true);

    const meta = await kino.app.inject({ method: 'GET', url: `/api/v1/files/${fileId}` });
    expect(meta.statusCode).toBe(200);
    expect(
      meta.json<{ sha256: string; size: number; kind: string; film_id: string; filename: string }>(),
    ).toMatchObject({
      sha256: sha(data),
      size: data.length,
      kind: 'video',
      film_id: film,
      filename: 'trailer.mp4',
    });
    const content = await kino.app.inject({ method: 'GET', url: `/api/v1/files/${fileId}/content` });
    expect(sha(content.rawPayload)).toBe(sha(data));
  });

  it('checks permission, metadata and size when the upload is created', async () => {
    expect((await create(100, { kind: 'video' }, 'sub')).status).toBe(403);
    const noAuth = await fetch(`${base}/api/v1/uploads`, {
      method: 'POST',
      headers: { ...TUS, 'upload-length': '10', 'upload-metadata': `kind ${b64('video')}` },
    });
    expect(noAuth.status).toBe(401);
    const noKind = await create(100, { filename: 'x' });
    expect(noKind.status).toBe(400);
    expect(((await noKind.json()) as { code: string }).code).toBe('INVALID_KIND');
    const big = await create(64 * 1024 + 1, { kind: 'poster' });
    expect(big.status).toBe(413);
    const noFilm = await create(100, { kind: 'poster', film_id: '00000000-0000-4000-8000-000000000000' });
    expect(noFilm.status).toBe(404);
  });

  it('refuses a finished upload of the wrong type (415) and keeps no file', async () => {
    const data = fakeFile.exe(20_000);
    const created = await create(data.length, { filename: 'poster.png', kind: 'poster' });
    const location = created.headers.get('location')!;
    const before = await kino.kernel.engines.sql.query('SELECT id FROM files.file');
    const done = await patch(location, 0, data);
    expect(done.status).toBe(415);
    expect(await kino.kernel.engines.sql.query('SELECT id FROM files.file')).toEqual(before);
    const id = location.split('/').pop()!;
    expect((await kino.app.inject({ method: 'GET', url: `/api/v1/files/${id}` })).statusCode).toBe(404);
  });

  it('answers 413 over a socket as soon as a multipart upload passes the limit', async () => {
    // A raw socket: Node's HTTP client drops an early answer when the server hangs up mid-upload,
    // while curl and browsers read it; this checks what the server puts on the wire.
    const { port } = new URL(base);
    const boundary = '----kinolimit';
    const declared = 16 * 1024 * 1024;
    const socket = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    let ended = false;
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('error', () => undefined); // a reset after the answer is expected
    socket.on('close', () => (ended = true));
    socket.write(
      `POST /api/v1/files HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer test-admin\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${declared}\r\n\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nposter\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.png"\r\n\r\n`,
    );
    socket.write(fakeFile.png(4096));
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    while (!ended && answer === '' && sent < declared - 1024 * 1024) {
      if (!socket.write(chunk)) await new Promise((r) => setTimeout(r, 5));
      sent += chunk.length;
    }
    await eventually(() => answer.includes('\r\n\r\n{'));
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('"code":"FILE_TOO_LARGE"');
    expect(sent).toBeLessThan(declared - 1024 * 1024);
    socket.destroy();
  });

  it("answers 404 to everyone but an upload's creator, for HEAD, PATCH and DELETE", async () => {
    const data = fakeFile.mp4(200_000);
    const created = await create(data.length, { filename: 'mine.mp4', kind: 'video', film_id: film });
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    const head = (headers: Record<string, string>) =>
      fetch(`${base}${location}`, { method: 'HEAD', headers: { ...TUS, ...headers } });

    // Another editor: as if it did not exist. Callers who may not upload at all: as for any id.
    expect((await head(auth('editor'))).status).toBe(404);
    expect((await head(auth('sub'))).status).toBe(403);
    expect((await head({})).status).toBe(401);
    const intruder = await patch(location, 0, data, 'editor');
    expect(intruder.status).toBe(404);
    expect(((await intruder.json()) as { code: string }).code).toBe('UPLOAD_NOT_FOUND');
    const removed = await fetch(`${base}${location}`, {
      method: 'DELETE',
      headers: { ...TUS, ...auth('editor') },
    });
    expect(removed.status).toBe(404);

    // Untouched for its creator, who finishes it and is recorded as its author.
    expect(await offsetOf(location)).toBe(0);
    const done = await patch(location, 0, data);
    expect(done.status).toBe(204);
    const fileId = done.headers.get('kino-file-id')!;
    const [row] = await kino.kernel.engines.sql.query<{ created_by: string }>(
      'SELECT created_by FROM files.file WHERE id = $1',
      [fileId],
    );
    expect(row?.created_by).toBe(TOKENS.admin.userId);
  });

  it('caps unfinished uploads per user in number and declared bytes', async () => {
    const mb = 1024 * 1024;
    const video = { kind: 'video', film_id: film };
    const first = await create(8 * mb, video, 'editor');
    expect(first.status).toBe(201);
    expect((await create(1 * mb, video, 'editor')).status).toBe(201);
    const over = await create(2 * mb, video, 'editor');
    expect(over.status).toBe(413);
    expect(((await over.json()) as { code: string }).code).toBe('UPLOAD_QUOTA_EXCEEDED');
    expect((await create(1 * mb, video, 'editor')).status).toBe(201);
    const fourth = await create(1000, video, 'editor');
    expect(fourth.status).toBe(429);
    expect(((await fourth.json()) as { code: string }).code).toBe('TOO_MANY_UPLOADS');
    // Another user's quota is their own.
    const theirs = await create(1000, video, 'admin');
    expect(theirs.status).toBe(201);
    await fetch(`${base}${theirs.headers.get('location')!}`, {
      method: 'DELETE',
      headers: { ...TUS, ...auth('admin') },
    });
    // Deleting one frees its place.
    const gone = await fetch(`${base}${first.headers.get('location')!}`, {
      method: 'DELETE',
      headers: { ...TUS, ...auth('editor') },
    });
    expect(gone.status).toBe(204);
    expect((await create(2 * mb, video, 'editor')).status).toBe(201);
  });
});
