/** Access levels (ADR 0005) for anonymous, UNSUB_USER, SUB_USER and ADMIN callers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import {
  bearer,
  contentFixtures,
  testTokens,
  TOKENS,
  type FilmRow,
  type PersonRow,
} from './catalog.fixtures.js';

let kino: TestKino;
let free: FilmRow;
let paid: FilmRow;
let archived: FilmRow;
let actor: PersonRow;

const callers = [
  { name: 'anonymous', headers: {}, sees: ['FREE'] },
  { name: 'UNSUB_USER', headers: bearer(TOKENS.unsub), sees: ['FREE'] },
  { name: 'SUB_USER', headers: bearer(TOKENS.sub), sees: ['FREE', 'PAID'] },
  { name: 'ADMIN', headers: bearer(TOKENS.admin), sees: ['FREE', 'PAID', 'ARCHIVED'] },
] as const;

async function get(url: string, headers: Record<string, string>) {
  const res = await kino.app.inject({ method: 'GET', url, headers });
  return { status: res.statusCode, body: res.json<unknown>(), total: res.headers['x-total-count'] };
}

beforeAll(async () => {
  kino = await createTestKino({ modules: ['catalog', 'etl'], tokens: testTokens });
  const fx = contentFixtures(kino);
  const genre = await fx.genre('Noir');
  actor = await fx.person('Humphrey Bogart');
  free = await fx.film({ title: 'Noir Free', rating: 7, access: 'FREE', genres: [genre], actors: [actor] });
  paid = await fx.film({ title: 'Noir Paid', rating: 8, access: 'PAID', genres: [genre], actors: [actor] });
  archived = await fx.film({
    title: 'Noir Archived',
    rating: 9,
    access: 'ARCHIVED',
    genres: [genre],
    actors: [actor],
  });
});
afterAll(async () => {
  await kino?.close();
});

const byLevel = () => ({ FREE: free, PAID: paid, ARCHIVED: archived });

describe.each(callers)('$name', ({ headers, sees }) => {
  const visible = () => sees.map((level) => byLevel()[level].id).sort();

  it('sees only its access levels in film lists, with matching totals', async () => {
    const res = await get('/api/v1/films', headers);
    expect((res.body as { uuid: string }[]).map((f) => f.uuid).sort()).toEqual(visible());
    expect(res.total).toBe(String(sees.length));
  });

  it('sees only its access levels in search', async () => {
    const res = await get('/api/v1/films/search?query=noir', headers);
    expect((res.body as { uuid: string }[]).map((f) => f.uuid).sort()).toEqual(visible());
    expect(res.total).toBe(String(sees.length));
  });

  it("sees only its access levels in a person's films", async () => {
    const films = await get(`/api/v1/persons/${actor.id}/film`, headers);
    expect((films.body as { uuid: string }[]).map((f) => f.uuid).sort()).toEqual(visible());
    const person = await get(`/api/v1/persons/${actor.id}`, headers);
    expect((person.body as { films: { uuid: string }[] }).films.map((f) => f.uuid).sort()).toEqual(visible());
    const found = await get('/api/v1/persons/search?query=bogart', headers);
    expect((found.body as { films: { uuid: string }[] }[])[0]!.films.map((f) => f.uuid).sort()).toEqual(
      visible(),
    );
  });

  it('gets 200 for visible films and 403 FILM_ACCESS_DENIED for the others', async () => {
    for (const [level, film] of Object.entries(byLevel())) {
      const res = await get(`/api/v1/films/${film.id}`, headers);
      if ((sees as readonly string[]).includes(level)) {
        expect(res.status).toBe(200);
        expect((res.body as { type: string }).type).toBe(level);
      } else {
        expect(res.status).toBe(403);
        expect((res.body as { code: string }).code).toBe('FILM_ACCESS_DENIED');
      }
    }
  });
});

it('refuses an invalid token with 401 instead of treating the caller as anonymous', async () => {
  const res = await get('/api/v1/films', bearer('forged'));
  expect(res.status).toBe(401);
});

it('does not leak a film cached for one caller to another', async () => {
  // ADMIN first (fills the cache with the archived film), then anonymous.
  expect((await get(`/api/v1/films/${archived.id}`, bearer(TOKENS.admin))).status).toBe(200);
  expect((await get(`/api/v1/films/${archived.id}`, {})).status).toBe(403);
  const adminList = await get('/api/v1/films', bearer(TOKENS.admin));
  const anonList = await get('/api/v1/films', {});
  expect((adminList.body as unknown[]).length).toBe(3);
  expect((anonList.body as unknown[]).length).toBe(1);
});
