/** The catalog read API contract (docs/modules/catalog-api.md): routes, paging, sorting, filters and validation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { contentFixtures, type FilmRow, type GenreRow, type PersonRow } from './catalog.fixtures.js';

let kino: TestKino;
let drama: GenreRow;
let comedy: GenreRow;
let horror: GenreRow;
let lucas: PersonRow;
let ford: PersonRow;
const films: FilmRow[] = [];
const nobody = '00000000-0000-4000-8000-000000000000';

const get = async (url: string) => {
  const res = await kino.app.inject({ method: 'GET', url });
  return { status: res.statusCode, headers: res.headers, body: res.json<unknown>() };
};
/** Films are rated i / 2 for i = 1..11 (content ratings are 0..10): this gives back i. */
const rank = (f: { imdb_rating: number | null }) => (f.imdb_rating === null ? null : f.imdb_rating * 2);
const list = async (url: string) => {
  const res = await get(url);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return {
    items: res.body as { uuid: string; title: string; imdb_rating: number | null }[],
    total: Number(res.headers['x-total-count']),
  };
};

beforeAll(async () => {
  kino = await createTestKino({ modules: ['catalog', 'etl'] });
  const fx = contentFixtures(kino);
  drama = await fx.genre('Drama');
  comedy = await fx.genre('Comedy');
  horror = await fx.genre('Horror');
  lucas = await fx.person('George Lucas');
  ford = await fx.person('Harrison Ford');
  // 12 films: Film 01..Film 11 rated 0.5..5.5 plus one unrated; dramas are the odd ratings, comedies every third.
  for (let i = 1; i <= 11; i++) {
    films.push(
      await fx.film({
        title: `Film ${String(i).padStart(2, '0')}`,
        rating: i / 2,
        genres: [...(i % 2 === 1 ? [drama] : []), ...(i % 3 === 0 ? [comedy] : [])],
        ...(i === 7
          ? { directors: [lucas], writers: [lucas], actors: [ford], posterUrl: 'https://cdn.example/p7.jpg' }
          : {}),
      }),
    );
  }
  films.push(await fx.film({ title: 'Unrated', rating: null, genres: [drama], actors: [ford] }));
});
afterAll(async () => kino?.close());

describe('GET /api/v1/films', () => {
  it('lists by rating, best first by default, unrated last, with the total in X-Total-Count', async () => {
    const { items, total } = await list('/api/v1/films');
    expect(total).toBe(12);
    expect(items.map(rank)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, null]);
    expect(Object.keys(items[0]!).sort()).toEqual(['imdb_rating', 'title', 'uuid']);
  });

  it('sorts ascending with sort=imdb_rating, still with unrated films last', async () => {
    const { items } = await list('/api/v1/films?sort=imdb_rating');
    expect(items.map(rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, null]);
    const desc = await list('/api/v1/films?sort=-imdb_rating&page_size=3');
    expect(desc.items.map(rank)).toEqual([11, 10, 9]);
  });

  it('pages with page_size and page_number; a page past the end is an empty array', async () => {
    const p1 = await list('/api/v1/films?page_size=5&page_number=1');
    const p3 = await list('/api/v1/films?page_size=5&page_number=3');
    const p4 = await list('/api/v1/films?page_size=5&page_number=4');
    expect(p1.items.map(rank)).toEqual([11, 10, 9, 8, 7]);
    expect(p3.items.map(rank)).toEqual([1, null]);
    expect(p4.items).toEqual([]);
    expect(p4.total).toBe(12);
    const far = await list('/api/v1/films?page_size=100&page_number=999999999');
    expect(far.items).toEqual([]);
  });

  it('defaults to 50 per page and accepts 1 and 100', async () => {
    expect((await list('/api/v1/films?page_size=1')).items).toHaveLength(1);
    expect((await list('/api/v1/films?page_size=100')).items).toHaveLength(12);
  });

  it('filters by one genre, and by several genres as OR', async () => {
    const dramas = await list(`/api/v1/films?genre=${drama.id}`);
    expect(dramas.total).toBe(7);
    expect(dramas.items.map(rank)).toEqual([11, 9, 7, 5, 3, 1, null]);
    const either = await list(`/api/v1/films?genre=${drama.id}&genre=${comedy.id}`);
    expect(either.items.map(rank)).toEqual([11, 9, 7, 6, 5, 3, 1, null]);
    expect(either.total).toBe(8);
    const same = await list(`/api/v1/films?genre=${comedy.id}&genre=${comedy.id.toUpperCase()}`);
    expect(same.items.map(rank)).toEqual([9, 6, 3]);
    const none = await list(`/api/v1/films?genre=${horror.id}`);
    expect(none).toEqual({ items: [], total: 0 });
  });

  it('accepts the page[size], page[number] and filter[genre] spellings', async () => {
    const { items, total } = await list(
      `/api/v1/films?page[size]=2&page[number]=2&filter[genre]=${drama.id}`,
    );
    expect(items.map(rank)).toEqual([7, 5]);
    expect(total).toBe(7);
    expect((await get('/api/v1/films?page[size]=0')).status).toBe(400);
  });

  it.each([
    ['page_size=0', '/page_size'],
    ['page_size=101', '/page_size'],
    ['page_size=abc', '/page_size'],
    ['page_number=0', '/page_number'],
    ['page_number=-1', '/page_number'],
    ['sort=title', '/sort'],
    ['sort=rating', '/sort'],
    ['genre=not-a-uuid', '/genre'],
    [`genre=${nobody}&genre=nope`, '/genre'],
  ])('refuses %s with 400 problem+json', async (query, field) => {
    const res = await kino.app.inject({ method: 'GET', url: `/api/v1/films?${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json<{ code: string; status: number; errors: { field: string }[] }>();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.status).toBe(400);
    expect(body.errors[0]!.field).toContain(field);
  });
});

describe('GET /api/v1/films/{uuid}', () => {
  it('returns the whole document with the access level as type and the poster', async () => {
    const film = films[6]!;
    const res = await get(`/api/v1/films/${film.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      uuid: film.id,
      title: 'Film 07',
      imdb_rating: 3.5,
      description: null,
      creation_date: null,
      type: 'FREE',
      genre: [{ uuid: drama.id, name: 'Drama' }],
      actors: [{ uuid: ford.id, full_name: 'Harrison Ford' }],
      writers: [{ uuid: lucas.id, full_name: 'George Lucas' }],
      directors: [{ uuid: lucas.id, full_name: 'George Lucas' }],
      poster_url: 'https://cdn.example/p7.jpg',
    });
  });

  it('answers an upper-case id like its lower-case form', async () => {
    const res = await get(`/api/v1/films/${films[0]!.id.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect((res.body as { uuid: string }).uuid).toBe(films[0]!.id);
  });

  it('is 404 FILM_NOT_FOUND for an unknown id and 400 for a malformed one', async () => {
    const missing = await get(`/api/v1/films/${nobody}`);
    expect(missing.status).toBe(404);
    expect((missing.body as { code: string }).code).toBe('FILM_NOT_FOUND');
    for (const bad of ['123', 'not-a-uuid', `${nobody}0`]) {
      const res = await get(`/api/v1/films/${bad}`);
      expect(res.status).toBe(400);
      expect((res.body as { code: string }).code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('genres', () => {
  it('lists every genre by name, paged only when asked', async () => {
    const all = await list('/api/v1/genres');
    expect(all.items).toEqual([
      { uuid: comedy.id, name: 'Comedy' },
      { uuid: drama.id, name: 'Drama' },
      { uuid: horror.id, name: 'Horror' },
    ]);
    expect(all.total).toBe(3);
    const page2 = await list('/api/v1/genres?page_size=2&page_number=2');
    expect(page2.items).toEqual([{ uuid: horror.id, name: 'Horror' }]);
    expect(page2.total).toBe(3);
    expect((await get('/api/v1/genres?page_size=101')).status).toBe(400);
  });

  it('returns one genre by id; 404 GENRE_NOT_FOUND; 400 for a bad id', async () => {
    expect((await get(`/api/v1/genres/${drama.id}`)).body).toEqual({ uuid: drama.id, name: 'Drama' });
    const missing = await get(`/api/v1/genres/${nobody}`);
    expect(missing.status).toBe(404);
    expect((missing.body as { code: string }).code).toBe('GENRE_NOT_FOUND');
    expect((await get('/api/v1/genres/xyz')).status).toBe(400);
  });
});

describe('persons', () => {
  it('returns a person with roles per film', async () => {
    const res = await get(`/api/v1/persons/${lucas.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      uuid: lucas.id,
      full_name: 'George Lucas',
      films: [{ uuid: films[6]!.id, roles: ['director', 'writer'] }],
    });
  });

  it("lists a person's films best rated first, unrated last", async () => {
    const res = await get(`/api/v1/persons/${ford.id}/film`);
    expect(res.body).toEqual([
      { uuid: films[6]!.id, title: 'Film 07', imdb_rating: 3.5 },
      { uuid: films[11]!.id, title: 'Unrated', imdb_rating: null },
    ]);
  });

  it('is 404 PERSON_NOT_FOUND for an unknown id and 400 for a malformed one', async () => {
    for (const url of [`/api/v1/persons/${nobody}`, `/api/v1/persons/${nobody}/film`]) {
      const res = await get(url);
      expect(res.status).toBe(404);
      expect((res.body as { code: string }).code).toBe('PERSON_NOT_FOUND');
    }
    expect((await get('/api/v1/persons/nope')).status).toBe(400);
    expect((await get('/api/v1/persons/nope/film')).status).toBe(400);
  });

  it('searches people by name with their films', async () => {
    const { items, total } = await list('/api/v1/persons/search?query=lucas');
    expect(total).toBe(1);
    expect(items).toEqual([
      {
        uuid: lucas.id,
        full_name: 'George Lucas',
        films: [{ uuid: films[6]!.id, roles: ['director', 'writer'] }],
      },
    ]);
  });

  it('validates the search parameters', async () => {
    expect((await get('/api/v1/persons/search')).status).toBe(400);
    expect((await get('/api/v1/persons/search?query=')).status).toBe(400);
    expect((await get('/api/v1/persons/search?query=x&page_size=0')).status).toBe(400);
    expect((await get(`/api/v1/films/search?query=${'x'.repeat(201)}`)).status).toBe(400);
    expect((await get('/api/v1/films/search?query=film&page_number=0')).status).toBe(400);
  });
});
