import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../../../test/helpers/kino.js';
import { eventually } from '../../../test/helpers/engines.js';
import { emit } from '../../platform/outbox.js';
import { event } from '../../platform/events.js';
import type { Actor, ContentService } from '../content/index.js';
import {
  createReadModel,
  DROPPED_INDEXES_KEY,
  READ_MODEL_VERSION_KEY,
  type FilmDocument,
} from '../catalog/index.js';

const actor: Actor = { id: null, login: 'system' };

describe('etl worker and read-model projector', { timeout: 120_000 }, () => {
  let kino: TestKino;
  let content: ContentService;

  beforeAll(async () => {
    kino = await createTestKino({ modules: ['catalog', 'etl'] });
    content = kino.kernel.services.require('content');
  }, 180_000);
  afterAll(async () => {
    await kino?.close();
  });

  const sql = () => kino.kernel.engines.sql;
  const doc = async (id: string) =>
    (
      await sql().query<{ document: FilmDocument }>('SELECT document FROM catalog.film WHERE id = $1', [id])
    )[0]?.document;
  /** Publishes pending events, waits until every consumer caught up, then `check` must hold. */
  const settle = async <T>(check: () => Promise<T>) => {
    await kino.settle();
    const value = await check();
    expect(value, 'the read model after the etl caught up').toBeTruthy();
    return value;
  };

  it('projects a created film into the exact detail document, with person and genre documents', async () => {
    const scifi = await content.createGenre({ name: 'Sci-Fi' }, actor);
    const lucas = await content.createPerson({ full_name: 'George Lucas' }, actor);
    const ford = await content.createPerson({ full_name: 'Harrison Ford' }, actor);
    const film = await content.createFilm(
      {
        title: 'Star Wars',
        description: 'A long time ago',
        rating: 8.6,
        access: 'PAID',
        genre_ids: [scifi.id],
        persons: [
          { person_id: lucas.id, role: 'director' },
          { person_id: lucas.id, role: 'writer' },
          { person_id: ford.id, role: 'actor' },
        ],
      },
      actor,
    );
    const document = await settle(() => doc(film.id));
    expect(document).toEqual({
      uuid: film.id,
      title: 'Star Wars',
      imdb_rating: 8.6,
      description: 'A long time ago',
      type: 'PAID',
      genre: [{ uuid: scifi.id, name: 'Sci-Fi' }],
      actors: [{ uuid: ford.id, full_name: 'Harrison Ford' }],
      writers: [{ uuid: lucas.id, full_name: 'George Lucas' }],
      directors: [{ uuid: lucas.id, full_name: 'George Lucas' }],
    });
    const [person] = await sql().query<{ full_name: string; films: unknown }>(
      'SELECT full_name, films FROM catalog.person WHERE id = $1',
      [lucas.id],
    );
    expect(person).toEqual({
      full_name: 'George Lucas',
      films: [
        {
          uuid: film.id,
          roles: ['director', 'writer'],
          title: 'Star Wars',
          imdb_rating: 8.6,
          access: 'PAID',
        },
      ],
    });
    const [genre] = await sql().query('SELECT name FROM catalog.genre WHERE id = $1', [scifi.id]);
    expect(genre).toEqual({ name: 'Sci-Fi' });
    const [row] = await sql().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM catalog.film WHERE id = $1 AND search @@ plainto_tsquery('english', 'wars')`,
      [film.id],
    );
    expect(row!.n).toBe(1);
    expect(Number(await kino.kernel.engines.cache.get(READ_MODEL_VERSION_KEY))).toBeGreaterThan(0);
  });

  it('renaming a genre or a person updates every film that shows it; deletes remove documents', async () => {
    const genre = await content.createGenre({ name: 'Musical' }, actor);
    const person = await content.createPerson({ full_name: 'Gene Kelly' }, actor);
    const films = await Promise.all(
      ['Singin', 'An American'].map((title) =>
        content.createFilm(
          { title, genre_ids: [genre.id], persons: [{ person_id: person.id, role: 'actor' }] },
          actor,
        ),
      ),
    );
    await settle(async () => (await doc(films[1]!.id)) !== undefined);
    await content.updateGenre(genre.id, { name: 'Musicals' }, undefined, actor);
    await content.updatePerson(person.id, { full_name: 'Eugene Kelly' }, undefined, actor);
    await settle(async () => {
      for (const f of films) {
        const d = await doc(f.id);
        if (d?.genre[0]?.name !== 'Musicals' || d.actors[0]?.full_name !== 'Eugene Kelly') return false;
      }
      return true;
    });
    const [named] = await sql().query<{ genre_names: string; person_names: string }>(
      'SELECT genre_names, person_names FROM catalog.film WHERE id = $1',
      [films[0]!.id],
    );
    expect(named).toEqual({ genre_names: 'Musicals', person_names: 'Eugene Kelly' });

    await content.deleteGenre(genre.id, actor);
    await content.deleteFilm(films[0]!.id, actor);
    await settle(
      async () => (await doc(films[0]!.id)) === undefined && (await doc(films[1]!.id))?.genre.length === 0,
    );
    expect(await sql().query('SELECT 1 FROM catalog.genre WHERE id = $1', [genre.id])).toEqual([]);
    const [p] = await sql().query<{ films: { uuid: string }[] }>(
      'SELECT films FROM catalog.person WHERE id = $1',
      [person.id],
    );
    expect(p!.films.map((f) => f.uuid)).toEqual([films[1]!.id]);

    await content.deletePerson(person.id, actor);
    await settle(async () => (await doc(films[1]!.id))?.actors.length === 0);
    expect(await sql().query('SELECT 1 FROM catalog.person WHERE id = $1', [person.id])).toEqual([]);
  });

  it('follows bulk access changes and poster events', async () => {
    const film = await content.createFilm({ title: 'Poster Boy' }, actor);
    await content.bulkSetAccess([film.id], 'ARCHIVED', actor);
    await settle(async () => (await doc(film.id))?.type === 'ARCHIVED');
    await sql().transaction((tx) =>
      emit(tx, [event('files.poster.changed', film.id, { filmId: film.id, fileId: null, url: '/p/1.jpg' })]),
    );
    const poster = async () =>
      (
        await sql().query<{ poster_url: string | null }>(
          'SELECT poster_url FROM catalog.film WHERE id = $1',
          [film.id],
        )
      )[0]?.poster_url;
    await settle(async () => (await poster()) === '/p/1.jpg');
    // A later edit keeps the poster.
    await content.updateFilm(film.id, { title: 'Poster Man' }, undefined, actor);
    await settle(async () => (await doc(film.id))?.title === 'Poster Man');
    expect(await poster()).toBe('/p/1.jpg');
  });

  it('an edit becomes visible in the read model through the running relay (edit → visible latency)', async () => {
    const film = await content.createFilm({ title: 'Latency probe' }, actor);
    await settle(async () => (await doc(film.id)) !== undefined);
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      await content.updateFilm(film.id, { title: `Latency probe ${i}` }, undefined, actor);
      // No flush: the relay loop and the worker run as in `kino start`.
      await eventually(async () => (await doc(film.id))?.title === `Latency probe ${i}`, { intervalMs: 5 });
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    const engines = `${sql().engine}/${kino.kernel.engines.cache.engine}/${kino.kernel.engines.bus.engine}`;
    process.stderr.write(
      `etl edit→visible on ${engines}: p50 ${samples[5]!.toFixed(1)} ms, max ${samples[9]!.toFixed(1)} ms\n`,
    );
    expect(samples).toHaveLength(10);
  });

  it('rebuild recomputes the whole read model and removes orphans', async () => {
    const own = await content.createFilm({ title: 'Lost and Rebuilt' }, actor);
    await settle(() => doc(own.id));
    await sql().execute(
      `INSERT INTO catalog.film (id, title, access, film_type, document, version)
       VALUES ('00000000-0000-4000-8000-0000000000aa', 'Orphan', 'FREE', 'movie', '{}', 1)`,
    );
    await sql().execute('DELETE FROM catalog.film WHERE id = $1', [own.id]);
    const { readModel } = kino.kernel.services.require('catalog');
    const vacuums = async () =>
      (
        await sql().query<{ n: number }>(
          `SELECT vacuum_count::int AS n FROM pg_stat_user_tables WHERE relid = 'catalog.film'::regclass`,
        )
      )[0]!.n;
    const vacuumsBefore = await vacuums();
    const seen: number[] = [];
    const result = await readModel.rebuild((done) => seen.push(done));
    const [counts] = await sql().query<{ films: number; content: number }>(
      `SELECT (SELECT count(*)::int FROM catalog.film) AS films, (SELECT count(*)::int FROM content.film_work) AS content`,
    );
    expect(result.films).toBe(counts!.content);
    expect(counts!.films).toBe(counts!.content);
    expect(seen.at(-1)).toBe(counts!.content);
    expect(await doc(own.id)).toBeDefined();
    expect(await readModel.lagSeconds()).toBe(0);
    // Vacuumed after the rewrite, so the visibility map lets list pages use index-only scans. How
    // many pages it can mark all-visible depends on the transactions open beside it (this kernel's
    // workers share the database), so the test checks that the vacuum ran, not what it marked.
    expect(await vacuums()).toBeGreaterThan(vacuumsBefore);
  });

  const secondaryIndexes = async () =>
    (
      await sql().query<{ name: string }>(
        `SELECT indexname AS name FROM pg_indexes
         WHERE schemaname = 'catalog' AND tablename IN ('film', 'person') AND indexname NOT LIKE '%_pkey'
         ORDER BY 1`,
      )
    ).map((r) => r.name);

  it('a cold rebuild loads rows first and builds the indexes after, with the same result', async () => {
    const own = await content.createFilm({ title: 'Cold Start' }, actor);
    await settle(() => doc(own.id));
    const indexes = await secondaryIndexes();
    expect(indexes).toContain('film_search_idx');
    const snapshot = () =>
      sql().query(
        `SELECT id, document, access, search::text, title_search::text FROM catalog.film ORDER BY id`,
      );
    const before = await snapshot();
    await sql().exec('TRUNCATE catalog.film, catalog.person');
    const readModel = createReadModel({ sql: sql(), cache: kino.kernel.engines.cache, bulkMinFilms: 1 });
    const result = await readModel.rebuild();
    expect(result.films).toBe(before.length);
    expect(await snapshot()).toEqual(before);
    expect(await secondaryIndexes()).toEqual(indexes);
    const [state] = await sql().query<{ value: { bulk: boolean } }>(
      `SELECT value FROM catalog.state WHERE key = 'rebuild'`,
    );
    expect(state!.value.bulk).toBe(true);
    // Searches find the reloaded rows.
    const [hit] = await sql().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM catalog.film
       WHERE search @@ plainto_tsquery('english', (SELECT title FROM catalog.film ORDER BY id LIMIT 1))`,
    );
    expect(hit!.n).toBeGreaterThan(0);
  });

  it('recreates indexes a bulk rebuild dropped before it crashed', async () => {
    const indexes = await secondaryIndexes();
    const [search] = await sql().query<{ def: string }>(
      `SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'catalog' AND indexname = 'film_search_idx'`,
    );
    // What dropIndexes leaves behind when the process dies before the rows are loaded.
    await sql().execute(`INSERT INTO catalog.state (key, value) VALUES ($1, $2::jsonb)`, [
      DROPPED_INDEXES_KEY,
      JSON.stringify([{ name: 'film_search_idx', def: search!.def }]),
    ]);
    await sql().exec('DROP INDEX catalog.film_search_idx');
    const { readModel } = kino.kernel.services.require('catalog');
    await readModel.reconcile();
    expect(await secondaryIndexes()).toEqual(indexes);
    expect(await sql().query('SELECT 1 FROM catalog.state WHERE key = $1', [DROPPED_INDEXES_KEY])).toEqual(
      [],
    );
  });
});
