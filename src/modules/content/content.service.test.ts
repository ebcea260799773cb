import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../../../test/helpers/kino.js';
import { AppError } from '../../platform/errors.js';
import type { Actor, ContentService } from './index.js';

const EDITOR_ID = '7b7c3b0e-1f7e-4e1a-9a55-2a0f3b1c9d01';
const editor: Actor = { id: EDITOR_ID, login: 'editor' };

async function rejects(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('content service', () => {
  let kino: TestKino;
  let content: ContentService;

  beforeAll(async () => {
    kino = await createTestKino({ modules: ['catalog'], workers: false });
    content = kino.kernel.services.require('content');
  }, 180_000);
  afterAll(async () => {
    await kino?.close();
  });

  const outbox = async (type: string) =>
    kino.kernel.engines.sql.query<{ payload: Record<string, unknown> }>(
      'SELECT payload FROM platform.outbox WHERE type = $1 ORDER BY seq',
      [type],
    );

  it('creates a film with genres and persons, writes the change log and an event', async () => {
    const drama = await content.createGenre({ name: 'Drama' }, editor);
    const comedy = await content.createGenre({ name: 'Comedy', description: 'Funny' }, editor);
    const ann = await content.createPerson({ full_name: 'Ann Director' }, editor);
    const bob = await content.createPerson({ full_name: 'Bob Actor' }, editor);
    const film = await content.createFilm(
      {
        title: 'First Light',
        description: 'A film',
        creation_date: '2001-05-03',
        rating: 7.5,
        access: 'PAID',
        genre_ids: [drama.id, comedy.id],
        persons: [
          { person_id: ann.id, role: 'director' },
          { person_id: ann.id, role: 'writer' },
          { person_id: bob.id, role: 'actor' },
        ],
      },
      editor,
    );
    expect(film).toMatchObject({ title: 'First Light', version: 1, access: 'PAID', type: 'movie' });
    expect(film.genres.map((g) => g.name)).toEqual(['Comedy', 'Drama']);
    expect(film.persons).toHaveLength(3);
    expect(await content.getFilm(film.id)).toEqual(film);

    const [entry] = await content.history('film', film.id);
    expect(entry).toMatchObject({ action: 'create', actor_login: 'editor', actor_id: editor.id });
    expect(entry!.diff.title).toEqual({ before: null, after: 'First Light' });

    const events = await outbox('content.film.upserted');
    const last = events.at(-1)!.payload as { film: { id: string; person_ids: string[] }; previous: null };
    expect(last.film.id).toBe(film.id);
    expect(last.film.person_ids.sort()).toEqual([ann.id, bob.id].sort());
    expect(last.previous).toBeNull();

    const g = await content.getGenre(drama.id);
    expect(g?.film_count).toBe(1);
  });

  it('updates with optimistic concurrency and records only changed fields', async () => {
    const film = await content.createFilm({ title: 'Old Title', rating: 5 }, editor);
    const updated = await content.updateFilm(film.id, { title: 'New Title' }, 1, editor);
    expect(updated.version).toBe(2);
    expect(updated.title).toBe('New Title');
    expect(updated.rating).toBe(5);

    const stale = await rejects(content.updateFilm(film.id, { title: 'Third' }, 1, editor));
    expect(stale.status).toBe(409);
    expect(stale.code).toBe('VERSION_CONFLICT');

    const history = await content.history('film', film.id);
    expect(history.map((h) => h.action)).toEqual(['update', 'create']);
    expect(history[0]!.diff).toEqual({ title: { before: 'Old Title', after: 'New Title' } });

    // A patch that changes nothing keeps the version and logs nothing.
    const same = await content.updateFilm(film.id, { title: 'New Title' }, undefined, editor);
    expect(same.version).toBe(2);
    expect(await content.history('film', film.id)).toHaveLength(2);

    const upserts = await outbox('content.film.upserted');
    expect(upserts.at(-1)!.payload.previous).toEqual({ access: 'FREE', title: 'Old Title' });
  });

  it('returns 404 for unknown films and 400 for invalid input', async () => {
    const missing = await rejects(
      content.updateFilm('00000000-0000-4000-8000-000000000000', { title: 'x' }, undefined, editor),
    );
    expect([missing.status, missing.code]).toEqual([404, 'FILM_NOT_FOUND']);

    const invalid = await rejects(
      content.createFilm({ title: '', rating: 11, access: 'GOLD' as never }, editor),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.code).toBe('VALIDATION_FAILED');
    expect(invalid.errors?.map((e) => e.field)).toEqual(
      expect.arrayContaining(['/title', '/rating', '/access']),
    );

    const badDate = await rejects(content.createFilm({ title: 'x', creation_date: '2023-02-30' }, editor));
    expect(badDate.errors?.[0]?.field).toBe('/creation_date');

    const unknownGenre = await rejects(
      content.createFilm({ title: 'x', genre_ids: ['00000000-0000-4000-8000-000000000001'] }, editor),
    );
    expect([unknownGenre.status, unknownGenre.errors?.[0]?.field]).toEqual([400, '/genre_ids']);

    const unknownPerson = await rejects(
      content.createFilm(
        { title: 'x', persons: [{ person_id: '00000000-0000-4000-8000-000000000002', role: 'actor' }] },
        editor,
      ),
    );
    expect([unknownPerson.status, unknownPerson.errors?.[0]?.field]).toEqual([400, '/persons']);

    const badSort = await rejects(content.listFilms({ sort: 'nope', page_number: 1, page_size: 10 }));
    expect(badSort.status).toBe(400);
    expect(await content.getFilm('not-a-uuid')).toBeNull();
  });

  it('refuses a duplicate genre name with 409, case-insensitively', async () => {
    await content.createGenre({ name: 'Western' }, editor);
    const dup = await rejects(content.createGenre({ name: 'western' }, editor));
    expect([dup.status, dup.code]).toEqual([409, 'GENRE_NAME_TAKEN']);
    const other = await content.createGenre({ name: 'Noir' }, editor);
    const rename = await rejects(content.updateGenre(other.id, { name: 'WESTERN' }, undefined, editor));
    expect(rename.code).toBe('GENRE_NAME_TAKEN');
  });

  it('deletes a genre and reports the films that showed it', async () => {
    const genre = await content.createGenre({ name: 'Short-lived' }, editor);
    const film = await content.createFilm({ title: 'Tagged', genre_ids: [genre.id] }, editor);
    const stale = await rejects(content.deleteGenre(genre.id, editor, 7));
    expect(stale.code).toBe('VERSION_CONFLICT');
    await content.deleteGenre(genre.id, editor, 1);
    expect(await content.getGenre(genre.id)).toBeNull();
    expect((await content.getFilm(film.id))!.genres).toEqual([]);
    const deleted = await outbox('content.genre.deleted');
    expect(deleted.at(-1)!.payload).toEqual({ genreId: genre.id, filmIds: [film.id] });
    const notFound = await rejects(content.deleteGenre(genre.id, editor));
    expect(notFound.code).toBe('GENRE_NOT_FOUND');
  });

  it('renames and deletes persons with audit entries', async () => {
    const person = await content.createPerson({ full_name: 'Jon Smith' }, editor);
    const renamed = await content.updatePerson(person.id, { full_name: 'John Smith' }, 1, editor);
    expect(renamed.version).toBe(2);
    await content.deletePerson(person.id, editor);
    const history = await content.history('person', person.id);
    expect(history.map((h) => h.action)).toEqual(['delete', 'update', 'create']);
    expect(history[1]!.diff).toEqual({ full_name: { before: 'Jon Smith', after: 'John Smith' } });
    const audit = await content.audit({ entity: 'person', id: person.id, page_number: 1, page_size: 2 });
    expect(audit.total).toBe(3);
    expect(audit.items).toHaveLength(2);
  });

  it('lists films with filters, sort and pagination', async () => {
    const horror = await content.createGenre({ name: 'Horror' }, editor);
    const titles = ['Alpha Night', 'Beta Night', 'Gamma Night'];
    for (const [i, title] of titles.entries())
      await content.createFilm(
        {
          title,
          rating: 6 + i,
          creation_date: `${1990 + i * 10}-01-01`,
          access: i === 2 ? 'ARCHIVED' : 'FREE',
          genre_ids: [horror.id],
          type: i === 1 ? 'tv_show' : 'movie',
        },
        editor,
      );
    const byRating = await content.listFilms({
      genre_ids: [horror.id],
      sort: '-rating',
      page_number: 1,
      page_size: 2,
    });
    expect(byRating.total).toBe(3);
    expect(byRating.items.map((f) => f.title)).toEqual(['Gamma Night', 'Beta Night']);
    const page2 = await content.listFilms({
      genre_ids: [horror.id],
      sort: '-rating',
      page_number: 2,
      page_size: 2,
    });
    expect(page2.items.map((f) => f.title)).toEqual(['Alpha Night']);
    const past = await content.listFilms({ genre_ids: [horror.id], page_number: 9, page_size: 2 });
    expect(past).toEqual({ items: [], total: 3 });

    const q = await content.listFilms({
      q: 'night',
      access: ['FREE'],
      sort: 'title',
      page_number: 1,
      page_size: 10,
    });
    expect(q.items.map((f) => f.title)).toEqual(['Alpha Night', 'Beta Night']);
    const years = await content.listFilms({
      q: 'night',
      year_from: 2000,
      year_to: 2010,
      page_number: 1,
      page_size: 10,
    });
    expect(years.items.map((f) => f.title).sort()).toEqual(['Beta Night', 'Gamma Night']);
    const rated = await content.listFilms({
      q: 'night',
      rating_min: 6.5,
      rating_max: 7.5,
      page_number: 1,
      page_size: 10,
    });
    expect(rated.items.map((f) => f.title)).toEqual(['Beta Night']);
    const shows = await content.listFilms({ q: 'night', type: 'tv_show', page_number: 1, page_size: 10 });
    expect(shows.items.map((f) => f.title)).toEqual(['Beta Night']);
  });

  it('changes access and deletes in bulk, one audit entry per film', async () => {
    const a = await content.createFilm({ title: 'Bulk A' }, editor);
    const b = await content.createFilm({ title: 'Bulk B', access: 'PAID' }, editor);
    const res = await content.bulkSetAccess([a.id, b.id], 'PAID', editor);
    expect(res).toEqual({ updated: 1 });
    expect((await content.getFilm(a.id))!).toMatchObject({ access: 'PAID', version: 2 });
    const bulk = await outbox('content.films.bulk_changed');
    // Each changed film's facts after the change, so projections need no lookup.
    expect(bulk.at(-1)!.payload).toEqual({
      filmIds: [a.id],
      films: [{ id: a.id, title: 'Bulk A', rating: null, access: 'PAID', genre_ids: [], version: 2 }],
    });
    expect((await content.history('film', a.id))[0]!.diff).toEqual({
      access: { before: 'FREE', after: 'PAID' },
    });

    const del = await content.bulkDeleteFilms([a.id, b.id, '00000000-0000-4000-8000-000000000009'], editor);
    expect(del).toEqual({ deleted: 2 });
    expect(await content.getFilm(a.id)).toBeNull();
    const audit = await content.audit({ actor_id: EDITOR_ID, entity: 'film', page_number: 1, page_size: 2 });
    expect(audit.items.map((e) => e.action)).toEqual(['delete', 'delete']);

    const invalid = await rejects(content.bulkSetAccess(['x'], 'PAID', editor));
    expect(invalid.status).toBe(400);
  });

  it('deleting a film with a stale version is refused', async () => {
    const film = await content.createFilm({ title: 'Keep me' }, editor);
    const stale = await rejects(content.deleteFilm(film.id, editor, 3));
    expect(stale.code).toBe('VERSION_CONFLICT');
    await content.deleteFilm(film.id, editor, 1);
    expect(await content.getFilm(film.id)).toBeNull();
    expect((await content.history('film', film.id))[0]!.action).toBe('delete');
  });
});
