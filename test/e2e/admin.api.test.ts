/**
 * The admin API end to end on a real migrated database, through the real content service:
 * filters, sort, pagination with totals, optimistic concurrency, bulk changes, the change log
 * and access control. Callers are fixed test tokens (the token format is the auth module's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { platformErrors } from '../../src/platform/errors.js';
import type { Principal } from '../../src/platform/security.js';

const user = (id: string, login: string, permissions: string[]): Principal => ({
  kind: 'user',
  userId: id,
  sessionId: `session-${login}`,
  login,
  roles: [],
  permissions: new Set(permissions),
});
const PRINCIPALS: Record<string, Principal> = {
  editor: user('11111111-1111-4111-8111-111111111111', 'editor', ['CRUD_FILMS', 'FREE_FILMS', 'PAID_FILMS']),
  subscriber: user('22222222-2222-4222-8222-222222222222', 'subscriber', ['FREE_FILMS', 'PAID_FILMS']),
  unsub: user('33333333-3333-4333-8333-333333333333', 'unsub', ['FREE_FILMS']),
};

type Json = Record<string, unknown>;

describe('admin API', () => {
  let kino: TestKino;
  const genres: Record<string, string> = {};
  const persons: Record<string, string> = {};
  const films: Record<string, Json> = {};

  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    token: keyof typeof PRINCIPALS | null = 'editor',
    headers: Record<string, string> = {},
  ) =>
    kino.app.inject({
      method,
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(payload === undefined ? {} : { payload: payload as Json }),
    });
  const titles = (res: { json: <T>() => T }) => res.json<{ title: string }[]>().map((f) => f.title);

  beforeAll(async () => {
    kino = await createTestKino({
      modules: ['catalog', 'admin'],
      tokens: {
        async verify(token) {
          const principal = PRINCIPALS[token];
          if (!principal) throw platformErrors.TOKEN_INVALID();
          return principal;
        },
      },
    });
    for (const name of ['Drama', 'Sci-Fi', 'Comedy']) {
      const res = await call('POST', '/api/v1/admin/genres', { name });
      expect(res.statusCode).toBe(201);
      genres[name] = res.json<{ id: string }>().id;
    }
    for (const full_name of ['Ann Actor', 'Bob Director', 'Cid Writer']) {
      const res = await call('POST', '/api/v1/admin/persons', { full_name });
      expect(res.statusCode).toBe(201);
      persons[full_name] = res.json<{ id: string }>().id;
    }
    const seed: Json[] = [
      {
        title: 'Alpha Station',
        creation_date: '1979-05-25',
        rating: 8.1,
        type: 'movie',
        access: 'FREE',
        genre_ids: [genres['Sci-Fi']],
      },
      {
        title: 'Bravo Drama',
        creation_date: '1994-01-01',
        rating: 6.5,
        type: 'movie',
        access: 'PAID',
        genre_ids: [genres.Drama],
      },
      {
        title: 'Charlie Laughs',
        creation_date: '2005-07-07',
        rating: 4.2,
        type: 'tv_show',
        access: 'FREE',
        genre_ids: [genres.Comedy, genres.Drama],
      },
      {
        title: 'Delta Archive',
        creation_date: '2012-03-03',
        rating: null,
        type: 'movie',
        access: 'ARCHIVED',
        genre_ids: [],
      },
      {
        title: 'Echo Station',
        description: 'A crew far from home.',
        creation_date: '2020-10-10',
        rating: 9.3,
        type: 'tv_show',
        access: 'PAID',
        genre_ids: [genres['Sci-Fi'], genres.Drama],
        persons: [
          { person_id: persons['Ann Actor'], role: 'actor' },
          { person_id: persons['Bob Director'], role: 'director' },
          { person_id: persons['Cid Writer'], role: 'writer' },
        ],
      },
    ];
    for (const film of seed) {
      const res = await call('POST', '/api/v1/admin/films', film);
      expect(res.statusCode, res.body).toBe(201);
      films[film.title as string] = res.json<Json>();
    }
  });
  afterAll(async () => {
    await kino?.close();
  });

  it('refuses anonymous callers (401) and users without CRUD_FILMS (403) on every content route', async () => {
    const id = films['Alpha Station']!.id as string;
    const routes: ['GET' | 'POST' | 'PATCH' | 'DELETE', string, unknown?][] = [
      ['GET', '/api/v1/admin/films'],
      ['GET', `/api/v1/admin/films/${id}`],
      ['POST', '/api/v1/admin/films', { title: 'Nope' }],
      ['PATCH', `/api/v1/admin/films/${id}`, { version: 1, title: 'Nope' }],
      ['DELETE', `/api/v1/admin/films/${id}`],
      ['POST', '/api/v1/admin/films/bulk', { ids: [id], action: 'delete' }],
      ['GET', '/api/v1/admin/genres'],
      ['POST', '/api/v1/admin/persons', { full_name: 'Nope' }],
      ['GET', '/api/v1/admin/audit'],
      ['GET', `/api/v1/admin/films/${id}/history`],
    ];
    for (const [method, url, body] of routes) {
      expect((await call(method, url, body, null)).statusCode, `${method} ${url}`).toBe(401);
      for (const who of ['unsub', 'subscriber'] as const) {
        const res = await call(method, url, body, who);
        expect(res.statusCode, `${who} ${method} ${url}`).toBe(403);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.json()).toMatchObject({ code: 'PERMISSION_DENIED' });
      }
    }
    // Nothing changed on the way.
    const still = await call('GET', `/api/v1/admin/films/${id}`);
    expect(still.json()).toMatchObject({ title: 'Alpha Station', version: 1 });
  });

  it('filters by text, genre, type, access, year and rating', async () => {
    expect(titles(await call('GET', '/api/v1/admin/films?q=station&sort=title'))).toEqual([
      'Alpha Station',
      'Echo Station',
    ]);
    expect(titles(await call('GET', `/api/v1/admin/films?genre=${genres.Drama}&sort=title`))).toEqual([
      'Bravo Drama',
      'Charlie Laughs',
      'Echo Station',
    ]);
    expect(
      titles(
        await call('GET', `/api/v1/admin/films?genre=${genres.Comedy}&genre=${genres['Sci-Fi']}&sort=title`),
      ),
    ).toEqual(['Alpha Station', 'Charlie Laughs', 'Echo Station']);
    expect(titles(await call('GET', '/api/v1/admin/films?type=tv_show&sort=title'))).toEqual([
      'Charlie Laughs',
      'Echo Station',
    ]);
    expect(titles(await call('GET', '/api/v1/admin/films?access=PAID&access=ARCHIVED&sort=title'))).toEqual([
      'Bravo Drama',
      'Delta Archive',
      'Echo Station',
    ]);
    expect(titles(await call('GET', '/api/v1/admin/films?year_from=1990&year_to=2010&sort=title'))).toEqual([
      'Bravo Drama',
      'Charlie Laughs',
    ]);
    expect(titles(await call('GET', '/api/v1/admin/films?rating_min=6&rating_max=9&sort=title'))).toEqual([
      'Alpha Station',
      'Bravo Drama',
    ]);
    const combined = await call(
      'GET',
      `/api/v1/admin/films?q=station&type=tv_show&access=PAID&genre=${genres.Drama}`,
    );
    expect(titles(combined)).toEqual(['Echo Station']);
    expect(combined.headers['x-total-count']).toBe('1');
    const bad = await call('GET', '/api/v1/admin/films?rating_min=9&rating_max=1');
    expect(bad.statusCode).toBe(400);
  });

  it('sorts by any column, both ways, and paginates with a total', async () => {
    expect(titles(await call('GET', '/api/v1/admin/films?sort=-rating'))).toEqual([
      'Echo Station',
      'Alpha Station',
      'Bravo Drama',
      'Charlie Laughs',
      'Delta Archive', // no rating: last either way
    ]);
    expect(titles(await call('GET', '/api/v1/admin/films?sort=rating')).slice(0, 2)).toEqual([
      'Charlie Laughs',
      'Bravo Drama',
    ]);
    expect(titles(await call('GET', '/api/v1/admin/films?sort=-creation_date'))[0]).toBe('Echo Station');
    expect(titles(await call('GET', '/api/v1/admin/films?sort=-title'))[0]).toBe('Echo Station');
    const p1 = await call('GET', '/api/v1/admin/films?sort=title&page_size=2&page_number=1');
    const p3 = await call('GET', '/api/v1/admin/films?sort=title&page_size=2&page_number=3');
    const past = await call('GET', '/api/v1/admin/films?sort=title&page_size=2&page_number=9');
    expect(titles(p1)).toEqual(['Alpha Station', 'Bravo Drama']);
    expect(titles(p3)).toEqual(['Delta Archive', 'Echo Station'].slice(1));
    expect(past.json()).toEqual([]);
    for (const res of [p1, p3, past])
      expect(res.headers['x-total-count']).toBe(String(Object.keys(films).length));
    const genreList = await call('GET', '/api/v1/admin/genres?sort=-film_count');
    expect(genreList.json<{ name: string }[]>()[0]!.name).toBe('Drama');
    expect(genreList.headers['x-total-count']).toBe('3');
    const personSearch = await call('GET', '/api/v1/admin/persons?q=bob');
    expect(personSearch.json<{ full_name: string }[]>().map((p) => p.full_name)).toEqual(['Bob Director']);
    for (const qs of ['sort=imdb_rating', 'page_size=0', 'page_size=101', 'page_number=0', 'genre=xyz'])
      expect((await call('GET', `/api/v1/admin/films?${qs}`)).statusCode, qs).toBe(400);
  });

  // The tests below change films; each works on films of its own and deletes them at the end, so
  // the seeded five stay as they are for the queries above, in whatever order the tests run.
  const ownFilms = async (...specs: Json[]): Promise<Json[]> => {
    const made: Json[] = [];
    for (const spec of specs) {
      const res = await call('POST', '/api/v1/admin/films', { type: 'movie', access: 'FREE', ...spec });
      expect(res.statusCode, res.body).toBe(201);
      made.push(res.json<Json>());
    }
    return made;
  };
  const removeFilms = async (made: Json[]) => {
    const ids = made.map((f) => f.id as string);
    const res = await call('POST', '/api/v1/admin/films/bulk', { ids, action: 'delete' });
    expect(res.statusCode, res.body).toBe(200);
  };

  it('edits a film with its genres and persons; a stale version answers 409', async () => {
    const [film] = await ownFilms({ title: 'Foxtrot Edit', access: 'PAID', genre_ids: [genres.Drama] });
    const id = film!.id as string;
    try {
      const edit = await call('PATCH', `/api/v1/admin/films/${id}`, {
        version: film!.version,
        title: 'Foxtrot Edit (restored)',
        genre_ids: [genres.Drama, genres.Comedy],
        persons: [
          { person_id: persons['Ann Actor'], role: 'actor' },
          { person_id: persons['Ann Actor'], role: 'director' },
        ],
      });
      expect(edit.statusCode, edit.body).toBe(200);
      const edited = edit.json<{
        version: number;
        genres: { name: string }[];
        persons: { full_name: string; role: string }[];
      }>();
      expect(edited.version).toBe((film!.version as number) + 1);
      expect(edit.headers.etag).toBe(`"${edited.version}"`);
      expect(edited.genres.map((g) => g.name).sort()).toEqual(['Comedy', 'Drama']);
      expect(edited.persons.map((p) => `${p.full_name}/${p.role}`).sort()).toEqual([
        'Ann Actor/actor',
        'Ann Actor/director',
      ]);

      const stale = await call('PATCH', `/api/v1/admin/films/${id}`, {
        version: film!.version,
        title: 'Lost update',
      });
      expect(stale.statusCode).toBe(409);
      expect(stale.json()).toMatchObject({ code: 'VERSION_CONFLICT' });
      const staleIfMatch = await call(
        'PATCH',
        `/api/v1/admin/films/${id}`,
        { title: 'Lost update' },
        'editor',
        { 'if-match': `"${String(film!.version)}"` },
      );
      expect(staleIfMatch.statusCode).toBe(409);
      const viaIfMatch = await call('PATCH', `/api/v1/admin/films/${id}`, { rating: 7 }, 'editor', {
        'if-match': `"${edited.version}"`,
      });
      expect(viaIfMatch.statusCode).toBe(200);
      expect(viaIfMatch.json()).toMatchObject({
        title: 'Foxtrot Edit (restored)',
        rating: 7,
        version: edited.version + 1,
      });

      const unknownGenre = await call('PATCH', `/api/v1/admin/films/${id}`, {
        version: edited.version + 1,
        genre_ids: ['00000000-0000-4000-8000-000000000000'],
      });
      expect(unknownGenre.statusCode).toBe(400);
      const missing = await call('GET', '/api/v1/admin/films/00000000-0000-4000-8000-000000000000');
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ code: 'FILM_NOT_FOUND' });
    } finally {
      await removeFilms([film!]);
    }
  });

  it('changes the access level of many films at once and logs each change', async () => {
    const made = await ownFilms({ title: 'Golf One' }, { title: 'Golf Two' });
    const ids = made.map((f) => f.id as string);
    try {
      const res = await call('POST', '/api/v1/admin/films/bulk', {
        ids,
        action: 'set_access',
        access: 'ARCHIVED',
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ action: 'set_access', ids, affected: 2 });
      const archived = await call('GET', '/api/v1/admin/films?access=ARCHIVED&sort=title');
      expect(titles(archived)).toEqual(['Delta Archive', 'Golf One', 'Golf Two']);
      for (const id of ids) {
        const history = (await call('GET', `/api/v1/admin/films/${id}/history`)).json<
          { action: string; actor_login: string; diff: Json }[]
        >();
        expect(history[0]).toMatchObject({
          action: 'update',
          actor_login: 'editor',
          diff: { access: { after: 'ARCHIVED' } },
        });
      }
      const noAccess = await call('POST', '/api/v1/admin/films/bulk', { ids, action: 'set_access' });
      expect(noAccess.statusCode).toBe(400);
    } finally {
      await removeFilms(made);
    }
  });

  it('records who changed what and when, in the audit log and per object', async () => {
    const [film] = await ownFilms({ title: 'Hotel Audit' });
    const id = film!.id as string;
    try {
      const before = Date.now();
      const edit = await call('PATCH', `/api/v1/admin/films/${id}`, {
        version: film!.version,
        title: 'Hotel Audit Returns',
      });
      expect(edit.statusCode).toBe(200);

      const history = await call('GET', `/api/v1/admin/films/${id}/history`);
      const entries =
        history.json<{ action: string; actor_id: string; actor_login: string; at: string; diff: Json }[]>();
      expect(entries.map((e) => e.action)).toEqual(['update', 'create']);
      expect(entries[0]).toMatchObject({
        actor_id: PRINCIPALS.editor!.userId,
        actor_login: 'editor',
        diff: { title: { before: 'Hotel Audit', after: 'Hotel Audit Returns' } },
      });
      expect(Object.keys(entries[0]!.diff)).toEqual(['title']);
      expect(Date.parse(entries[0]!.at)).toBeGreaterThanOrEqual(before - 1000);

      const audit = await call('GET', `/api/v1/admin/audit?entity=film&id=${id}`);
      expect(audit.statusCode).toBe(200);
      expect(audit.headers['x-total-count']).toBe('2');
      const all = await call('GET', '/api/v1/admin/audit?page_size=1');
      expect(all.json()).toHaveLength(1);
      expect(Number(all.headers['x-total-count'])).toBeGreaterThan(10);
      const genreAudit = await call('GET', '/api/v1/admin/audit?entity=genre');
      expect(genreAudit.headers['x-total-count']).toBe('3');
      const personHistory = await call('GET', `/api/v1/admin/persons/${persons['Cid Writer']}/history`);
      expect(personHistory.json<{ action: string }[]>().map((e) => e.action)).toEqual(['create']);
    } finally {
      await removeFilms([film!]);
    }
  });

  it('deletes (bulk and single, with a version check) and the film is gone', async () => {
    const [single, bulked] = await ownFilms({ title: 'India Gone' }, { title: 'Juliet Gone' });
    const id = single!.id as string;
    const stale = await call('DELETE', `/api/v1/admin/films/${id}?version=99`);
    expect(stale.statusCode).toBe(409);
    const del = await call('DELETE', `/api/v1/admin/films/${id}?version=${String(single!.version)}`);
    expect(del.statusCode).toBe(204);
    expect((await call('GET', `/api/v1/admin/films/${id}`)).statusCode).toBe(404);
    const history = (await call('GET', `/api/v1/admin/films/${id}/history`)).json<{ action: string }[]>();
    expect(history[0]!.action).toBe('delete');

    const other = bulked!.id as string;
    const bulk = await call('POST', '/api/v1/admin/films/bulk', { ids: [other], action: 'delete' });
    expect(bulk.json()).toMatchObject({ affected: 1 });
    expect((await call('GET', `/api/v1/admin/films/${other}`)).statusCode).toBe(404);
    const seeded = await call('GET', '/api/v1/admin/films?sort=title');
    expect(titles(seeded)).toEqual(Object.keys(films).sort());
  });
});
