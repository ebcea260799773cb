/**
 * The admin routes over a recording in-memory content service: request mapping (query → list
 * query, version/If-Match → expected version, bulk), response headers, access control and the
 * static panel. The content service's own rules are tested with the real database in
 * test/e2e/admin.api.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpApp, type HttpApp } from '../../platform/http/app.js';
import { createLogger } from '../../platform/logger.js';
import { createMetrics } from '../../platform/metrics.js';
import { platformErrors } from '../../platform/errors.js';
import { contentErrors } from './content.port.js';
import type { Principal } from '../../platform/security.js';
import type { ContentService, FilmRecord, FilmListQuery } from './content.port.js';
import { adminRoutes } from './index.js';

const FILM_ID = '3d825f60-9fff-4dfe-b294-1a45fa1e115d';
const GENRE_ID = '120a21cf-9097-479e-904a-13dd7198c1dd';
const PERSON_ID = 'a5a8f573-3cee-4ccc-8a2b-91cb9f55250a';

const principal = (login: string, permissions: string[]): Principal => ({
  kind: 'user',
  userId: '00000000-0000-4000-8000-00000000000' + String(permissions.length),
  sessionId: 's-' + login,
  login,
  roles: [],
  permissions: new Set(permissions),
});
const TOKENS: Record<string, Principal> = {
  editor: principal('editor', ['CRUD_FILMS', 'FREE_FILMS']),
  viewer: principal('viewer', ['FREE_FILMS']),
};

function film(overrides: Partial<FilmRecord> = {}): FilmRecord {
  return {
    id: FILM_ID,
    title: 'Star Wars',
    description: null,
    creation_date: '1977-05-25',
    rating: 8.6,
    type: 'movie',
    access: 'FREE',
    version: 3,
    created: '2026-01-01T00:00:00.000Z',
    modified: '2026-01-02T00:00:00.000Z',
    genres: [{ id: GENRE_ID, name: 'Sci-Fi' }],
    persons: [{ id: PERSON_ID, full_name: 'George Lucas', role: 'director' }],
    ...overrides,
  };
}

type Call = [string, ...unknown[]];
function fakeContent(calls: Call[]): ContentService {
  let current = film();
  const rec =
    <R>(name: string, result: (...args: unknown[]) => R) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      return result(...args);
    };
  const namedPage = { items: [], total: 0 };
  return {
    createFilm: rec('createFilm', (input) => film({ title: (input as { title: string }).title, version: 1 })),
    updateFilm: rec('updateFilm', (_id, patch, expected) => {
      if (expected !== current.version) throw contentErrors.VERSION_CONFLICT({ detail: 'stale' });
      current = film({ ...(patch as object), version: current.version + 1 });
      return current;
    }),
    deleteFilm: rec('deleteFilm', () => undefined),
    getFilm: rec('getFilm', (id) => (id === FILM_ID ? current : null)),
    listFilms: rec('listFilms', () => ({ items: [current], total: 42 })),
    bulkSetAccess: rec('bulkSetAccess', (ids) => ({ updated: (ids as string[]).length })),
    bulkDeleteFilms: rec('bulkDeleteFilms', (ids) => ({ deleted: (ids as string[]).length })),
    createGenre: rec('createGenre', () => ({}) as never),
    updateGenre: rec('updateGenre', () => ({}) as never),
    deleteGenre: rec('deleteGenre', () => undefined),
    getGenre: rec('getGenre', () => ({}) as never),
    listGenres: rec('listGenres', () => namedPage),
    createPerson: rec('createPerson', () => ({}) as never),
    updatePerson: rec('updatePerson', () => ({}) as never),
    deletePerson: rec('deletePerson', () => undefined),
    getPerson: rec('getPerson', () => ({}) as never),
    listPersons: rec('listPersons', () => ({ items: [], total: 7 })),
    history: rec('history', (entity, id) => [
      {
        id: 1,
        entity,
        entity_id: id,
        action: 'create',
        actor_id: null,
        actor_login: 'editor',
        at: '2026-01-01T00:00:00.000Z',
        diff: { title: { before: null, after: 'Star Wars' } },
      },
    ]),
    audit: rec('audit', () => ({ items: [], total: 0 })),
  } as ContentService;
}

describe('admin routes', () => {
  let app: HttpApp;
  let webRoot: string;
  const calls: Call[] = [];
  const auth = (token: keyof typeof TOKENS) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    webRoot = mkdtempSync(path.join(tmpdir(), 'kino-admin-web-'));
    mkdirSync(path.join(webRoot, 'assets'));
    writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(path.join(webRoot, 'assets', 'index-abc123.js'), 'console.log(1)');
    const content = fakeContent(calls);
    app = await createHttpApp({
      logger: createLogger('silent'),
      metrics: createMetrics({ service: 'admin-test' }),
      bodyLimit: 1 << 20,
      trustProxy: false,
      docs: false,
      https: false,
      version: 'test',
      readiness: [],
      plugins: [adminRoutes({ content: () => content, webRoot })],
      tokens: {
        async verify(token) {
          const p = TOKENS[token];
          if (!p) throw platformErrors.TOKEN_INVALID({ detail: 'bad token' });
          return p;
        },
      },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    rmSync(webRoot, { recursive: true, force: true });
  });
  beforeEach(() => {
    calls.length = 0;
  });

  it('refuses anonymous callers with 401 and callers without CRUD_FILMS with 403', async () => {
    for (const url of ['/api/v1/admin/films', '/api/v1/admin/genres', '/api/v1/admin/audit']) {
      const anon = await app.inject({ url });
      expect(anon.statusCode).toBe(401);
      const viewer = await app.inject({ url, headers: auth('viewer') });
      expect(viewer.statusCode).toBe(403);
      expect(viewer.json()).toMatchObject({ code: 'PERMISSION_DENIED' });
    }
    const post = await app.inject({
      method: 'POST',
      url: '/api/v1/admin/films',
      headers: auth('viewer'),
      payload: { title: 'x' },
    });
    expect(post.statusCode).toBe(403);
    expect(calls).toEqual([]);
  });

  it('maps list filters, sort and pagination to the content query and returns the total', async () => {
    const res = await app.inject({
      url: `/api/v1/admin/films?q=%20star%20&genre=${GENRE_ID}&access=FREE&access=PAID&type=movie&year_from=1970&year_to=1980&rating_min=5&rating_max=9.5&sort=-rating&page_number=2&page_size=10`,
      headers: auth('editor'),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-total-count']).toBe('42');
    expect(res.json()).toHaveLength(1);
    const query = calls[0]?.[1] as FilmListQuery;
    expect(query).toEqual({
      q: 'star',
      genre_ids: [GENRE_ID],
      access: ['FREE', 'PAID'],
      type: 'movie',
      year_from: 1970,
      year_to: 1980,
      rating_min: 5,
      rating_max: 9.5,
      sort: '-rating',
      page_number: 2,
      page_size: 10,
    });
  });

  it('defaults pagination and refuses bad list input with 400', async () => {
    await app.inject({ url: '/api/v1/admin/films', headers: auth('editor') });
    expect(calls[0]?.[1]).toEqual({ page_number: 1, page_size: 25 });
    for (const qs of [
      'sort=imdb_rating',
      'page_size=0',
      'page_size=101',
      'page_number=0',
      'genre=not-a-uuid',
      'access=SECRET',
      'rating_min=11',
      'year_from=2000&year_to=1990',
    ]) {
      const res = await app.inject({ url: `/api/v1/admin/films?${qs}`, headers: auth('editor') });
      expect(res.statusCode, qs).toBe(400);
    }
  });

  it('edits with the version from the body or If-Match and answers 409 when it is stale', async () => {
    const get = await app.inject({ url: `/api/v1/admin/films/${FILM_ID}`, headers: auth('editor') });
    expect(get.headers.etag).toBe('"3"');
    const ok = await app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/films/${FILM_ID}`,
      headers: { ...auth('editor'), 'if-match': get.headers.etag as string },
      payload: { title: 'Star Wars: A New Hope' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ title: 'Star Wars: A New Hope', version: 4 });
    expect(ok.headers.etag).toBe('"4"');
    const updateCall = calls.find((c) => c[0] === 'updateFilm');
    expect(updateCall?.slice(1, 4)).toEqual([FILM_ID, { title: 'Star Wars: A New Hope' }, 3]);
    expect(updateCall?.[4]).toEqual({ id: TOKENS.editor!.userId, login: 'editor' });

    const stale = await app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/films/${FILM_ID}`,
      headers: auth('editor'),
      payload: { version: 3, title: 'Lost update' },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'VERSION_CONFLICT' });

    const none = await app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/films/${FILM_ID}`,
      headers: auth('editor'),
      payload: { title: 'No version' },
    });
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({ code: 'VERSION_REQUIRED' });
  });

  it('creates with 201 and Location, deletes with 204', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/admin/films',
      headers: auth('editor'),
      payload: {
        title: 'New',
        genre_ids: [GENRE_ID],
        persons: [{ person_id: PERSON_ID, role: 'actor' }],
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe(`/api/v1/admin/films/${FILM_ID}`);
    const del = await app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/films/${FILM_ID}?version=4`,
      headers: auth('editor'),
    });
    expect(del.statusCode).toBe(204);
    expect(calls.find((c) => c[0] === 'deleteFilm')?.[3]).toBe(4);
    const missing = await app.inject({
      url: '/api/v1/admin/films/00000000-0000-4000-8000-000000000000',
      headers: auth('editor'),
    });
    expect(missing.statusCode).toBe(404);
  });

  it('runs bulk actions and checks their input', async () => {
    const ids = [FILM_ID, GENRE_ID];
    const setAccess = await app.inject({
      method: 'POST',
      url: '/api/v1/admin/films/bulk',
      headers: auth('editor'),
      payload: { ids, action: 'set_access', access: 'PAID' },
    });
    expect(setAccess.statusCode).toBe(200);
    expect(setAccess.json()).toEqual({ action: 'set_access', ids, affected: 2 });
    expect(calls[0]?.slice(0, 3)).toEqual(['bulkSetAccess', ids, 'PAID']);
    const noAccess = await app.inject({
      method: 'POST',
      url: '/api/v1/admin/films/bulk',
      headers: auth('editor'),
      payload: { ids, action: 'set_access' },
    });
    expect(noAccess.statusCode).toBe(400);
    const empty = await app.inject({
      method: 'POST',
      url: '/api/v1/admin/films/bulk',
      headers: auth('editor'),
      payload: { ids: [], action: 'delete' },
    });
    expect(empty.statusCode).toBe(400);
  });

  it('serves per-object history and the audit log', async () => {
    const history = await app.inject({
      url: `/api/v1/admin/persons/${PERSON_ID}/history`,
      headers: auth('editor'),
    });
    expect(history.statusCode).toBe(200);
    expect(calls[0]).toEqual(['history', 'person', PERSON_ID]);
    const audit = await app.inject({
      url: `/api/v1/admin/audit?entity=film&id=${FILM_ID}&page_size=5`,
      headers: auth('editor'),
    });
    expect(audit.statusCode).toBe(200);
    expect(audit.headers['x-total-count']).toBe('0');
    expect(calls[1]).toEqual(['audit', { entity: 'film', id: FILM_ID, page_number: 1, page_size: 5 }]);
  });

  it('serves the panel with SPA fallback and cache headers', async () => {
    const index = await app.inject({ url: '/admin/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toMatch(/script-src 'self'/);
    const deep = await app.inject({ url: '/admin/films/123/show' });
    expect(deep.statusCode).toBe(200);
    expect(deep.body).toContain('id="root"');
    const bare = await app.inject({ url: '/admin' });
    expect(bare.statusCode).toBe(200);
    const asset = await app.inject({ url: '/admin/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await app.inject({ url: '/admin/assets/nope.js' });
    expect(missing.statusCode).toBe(404);
  });
});
