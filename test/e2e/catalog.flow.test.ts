/** Edits through the content service reach the read API (etl worker, read-model version, cache). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentService } from '../../src/modules/content/index.js';
import { eventually } from '../helpers/engines.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { contentFixtures } from './catalog.fixtures.js';

let kino: TestKino;
let content: ContentService;
let fx: ReturnType<typeof contentFixtures>;
const actor = { id: null, login: 'editor' };

const get = async (url: string) => {
  const res = await kino.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json<unknown>() };
};

/** Publishes the outbox and waits until the API (cache included) answers as `check` wants. */
async function until(check: () => Promise<boolean>) {
  await kino.settle();
  await eventually(check);
}

// Each test edits a film of its own (with its own names), so no test sees another's edits.
beforeAll(async () => {
  kino = await createTestKino({ modules: ['catalog', 'etl'] });
  content = kino.kernel.services.require('content');
  fx = contentFixtures(kino);
});
afterAll(async () => kino?.close());

describe('content edits through to the read API', () => {
  it('shows a renamed film in detail and search despite cached answers', async () => {
    const film = await fx.film({ title: 'Solaris', rating: 8.1 });
    // Warm the cache with the answers the edit must change.
    expect((await get(`/api/v1/films/${film.id}`)).status).toBe(200);
    expect(await get('/api/v1/films/search?query=solaris')).toMatchObject({
      status: 200,
      body: [{ uuid: film.id }],
    });
    const current = (await content.getFilm(film.id))!;
    await content.updateFilm(film.id, { title: 'Stalker' }, current.version, actor);
    await until(
      async () => ((await get(`/api/v1/films/${film.id}`)).body as { title: string }).title === 'Stalker',
    );
    await until(
      async () => ((await get('/api/v1/films/search?query=stalker')).body as unknown[]).length === 1,
    );
    await until(
      async () => ((await get('/api/v1/films/search?query=solaris')).body as unknown[]).length === 0,
    );
  });

  it('follows a renamed person into film documents and person search', async () => {
    const director = await fx.person('Andrei Tarkovsky');
    const film = await fx.film({ title: "Ivan's Childhood", directors: [director] });
    expect((await get(`/api/v1/films/${film.id}`)).status).toBe(200);
    expect((await get('/api/v1/persons/search?query=tarkovsky')).body).toMatchObject([{ uuid: director.id }]);
    const person = (await content.getPerson(director.id))!;
    await content.updatePerson(director.id, { full_name: 'A. A. Tarkovsky' }, person.version, actor);
    await until(async () => {
      const detail = (await get(`/api/v1/films/${film.id}`)).body as { directors: { full_name: string }[] };
      return detail.directors[0]?.full_name === 'A. A. Tarkovsky';
    });
    await until(async () => {
      const found = (await get('/api/v1/persons/search?query=tarkovsky')).body as { full_name: string }[];
      return found.length === 1 && found[0]!.full_name === 'A. A. Tarkovsky';
    });
  });

  it('hides a film made PAID from anonymous callers (403 by id, gone from lists)', async () => {
    const genre = await fx.genre('Drama');
    const director = await fx.person('Tonino Guerra');
    const film = await fx.film({ title: 'Nostalghia', genres: [genre], directors: [director] });
    const list = `/api/v1/films?genre=${genre.id}`;
    expect((await get(list)).body).toMatchObject([{ uuid: film.id }]);
    expect((await get(`/api/v1/persons/${director.id}/film`)).body).toMatchObject([{ uuid: film.id }]);
    const current = (await content.getFilm(film.id))!;
    await content.updateFilm(film.id, { access: 'PAID' }, current.version, actor);
    // A process trusts the read-model version it read for a moment (VERSION_REFRESH_MS), so a
    // cached list may lag the detail: each answer is waited for.
    await until(async () => (await get(`/api/v1/films/${film.id}`)).status === 403);
    await until(async () => ((await get(list)).body as unknown[]).length === 0);
    await until(
      async () => ((await get(`/api/v1/persons/${director.id}/film`)).body as unknown[]).length === 0,
    );
  });

  it('answers 404 for a deleted film', async () => {
    const film = await fx.film({ title: 'The Sacrifice' });
    expect((await get(`/api/v1/films/${film.id}`)).status).toBe(200);
    await content.deleteFilm(film.id, actor);
    await until(async () => (await get(`/api/v1/films/${film.id}`)).status === 404);
    expect(((await get(`/api/v1/films/${film.id}`)).body as { code: string }).code).toBe('FILM_NOT_FOUND');
  });
});
