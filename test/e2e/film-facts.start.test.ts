/**
 * Film facts reach every module that keeps a copy of them, through the real start path: a fresh
 * `kino start` seeds its demo catalogue, and the ugc and files projections backfill from it, so a
 * viewer can rate a demo film and an editor can give it a poster (issue #17); a bulk access change
 * reaches files too, so a film made PAID in bulk refuses its video to a FREE viewer; and a film
 * that `kino import`, run beside the server, brings in reaches them as well.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/engines.js';
import { fakeFile, multipart } from '../helpers/files.js';
import { startKinoServer, type KinoServer } from '../helpers/server-process.js';

let server: KinoServer;
let admin: string;
let viewer: string;
let films: string[];

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const json = (token: string) => ({ ...bearer(token), 'content-type': 'application/json' });

async function upload(filmId: string, kind: 'poster' | 'video', data: Buffer): Promise<Response> {
  const body = multipart({ kind, film_id: filmId }, { filename: `${kind}.bin`, data });
  return fetch(`${server.base}/api/v1/files`, {
    method: 'POST',
    headers: { ...body.headers, ...bearer(admin) },
    body: body.payload,
  });
}

beforeAll(async () => {
  server = await startKinoServer({ env: { KINO_RATE_LIMIT: 'off' } });
  admin = await server.adminToken();
  // Demo films a viewer without a subscription may see.
  const list = await fetch(`${server.base}/api/v1/films?page_size=2`);
  films = ((await list.json()) as { uuid: string }[]).map((f) => f.uuid);
  expect(films).toHaveLength(2);
  const login = `viewer${randomBytes(3).toString('hex')}`;
  const registered = await fetch(`${server.base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      login,
      email: `${login}@example.com`,
      password: `Kino-${randomBytes(12).toString('base64url')}`,
    }),
  });
  expect(registered.status).toBe(201);
  viewer = ((await registered.json()) as { access_token: string }).access_token;
}, 420_000);

afterAll(() => server?.close(), 60_000);

describe('demo films after a fresh kino start', () => {
  it('can be rated by a viewer and given a poster by an editor', async () => {
    const [film] = films;
    const rated = await fetch(`${server.base}/api/v1/films/${film}/rating`, {
      method: 'PUT',
      headers: json(viewer),
      body: JSON.stringify({ score: 8 }),
    });
    expect(rated.status).toBe(200);
    expect(await rated.json()).toMatchObject({ user_score: 8 });

    const poster = await upload(film!, 'poster', fakeFile.png(2048));
    expect(poster.status).toBe(201);
    expect(await poster.json()).toMatchObject({ kind: 'poster', film_id: film });
  });

  it('refuses a film made PAID in bulk its video to a viewer without a subscription', async () => {
    const film = films[1]!;
    const uploaded = await upload(film, 'video', fakeFile.mp4(4096));
    expect(uploaded.status).toBe(201);
    const { id } = (await uploaded.json()) as { id: string };
    const content = () => fetch(`${server.base}/api/v1/files/${id}/content`, { headers: bearer(viewer) });
    expect((await content()).status).toBe(200);

    const bulk = await fetch(`${server.base}/api/v1/admin/films/bulk`, {
      method: 'POST',
      headers: json(admin),
      body: JSON.stringify({ ids: [film], action: 'set_access', access: 'PAID' }),
    });
    expect(bulk.status).toBe(200);
    expect(await bulk.json()).toMatchObject({ affected: 1 });

    const refused = await eventually(
      async () => {
        const res = await content();
        return res.status === 403 ? ((await res.json()) as { code: string }) : undefined;
      },
      { what: 'the video refused after the bulk change' },
    );
    expect(refused?.code).toBe('FILM_ACCESS_DENIED');
    // ugc follows the same event: the film's rating is no longer the viewer's to see.
    await eventually(
      async () =>
        (await fetch(`${server.base}/api/v1/films/${film}/rating`, { headers: bearer(viewer) })).status ===
        403,
      { what: 'the rating refused after the bulk change' },
    );
  });

  it('an imported film reaches them too: `kino import` beside the server, then a rating and a poster', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kino-facts-'));
    try {
      const id = randomUUID();
      const movies = path.join(dir, 'movies.ndjson');
      const source = { id, title: 'Imported beside a running server', imdb_rating: 7.1, type: 'FREE' };
      writeFileSync(movies, `${JSON.stringify({ _index: 'movies', _id: id, _source: source })}\n`);
      await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'src/runtime/cli.ts', 'import', 'elasticdump', movies],
        { cwd: path.resolve(import.meta.dirname, '../..'), env: server.env!, timeout: 300_000 },
      );
      // Refused before any byte is stored while the film is unknown, so retrying leaves one file.
      await eventually(async () => (await upload(id, 'poster', fakeFile.png(2048))).status === 201, {
        what: 'a poster accepted for the imported film',
      });
      const rated = await fetch(`${server.base}/api/v1/films/${id}/rating`, {
        method: 'PUT',
        headers: json(viewer),
        body: JSON.stringify({ score: 7 }),
      });
      expect(rated.status).toBe(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 420_000);
});
