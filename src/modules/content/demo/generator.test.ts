import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createTestKino, type TestKino } from '../../../../test/helpers/kino.js';
import { createMigratedTestSql } from '../../../../test/helpers/engines.js';
import { migrate, PLATFORM_MIGRATIONS } from '../../../platform/migrations.js';
import { createLogger } from '../../../platform/logger.js';
import { contentModule } from '../index.js';
import { demoData, generateCatalog } from './generator.js';

describe('demo catalogue generator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const sample = (seed: number) => {
      const d = demoData({ films: 50, persons: 100, genres: 10, seed });
      return { genres: d.genres, persons: d.persons, films: Array.from({ length: 50 }, d.film) };
    };
    expect(sample(3)).toEqual(sample(3));
    expect(sample(3).films[0]!.id).not.toBe(sample(4).films[0]!.id);
  });

  it('mixes Russian and English, all access levels and valid values', () => {
    const d = demoData({ films: 400, persons: 300, genres: 24, seed: 11 });
    const films = Array.from({ length: 400 }, d.film);
    expect(new Set(films.map((f) => f.access))).toEqual(new Set(['FREE', 'PAID', 'ARCHIVED']));
    expect(films.some((f) => /[а-яё]/i.test(f.title))).toBe(true);
    expect(films.some((f) => /^[\x20-\x7e]+$/.test(f.title))).toBe(true);
    expect(d.persons.some((p) => /[а-яё]/i.test(p.full_name))).toBe(true);
    expect(new Set(d.genres.map((g) => g.name.toLowerCase())).size).toBe(24);
    for (const f of films) {
      expect(f.rating === null || (f.rating >= 0 && f.rating <= 10)).toBe(true);
      expect(f.persons.filter((p) => p.role === 'director')).toHaveLength(1);
    }
  });

  it('takes the number of actors per film from the options', () => {
    const actorsOf = (actors?: { min: number; max: number }) => {
      const d = demoData({ films: 300, persons: 100_000, genres: 10, seed: 5, ...(actors && { actors }) });
      return Array.from({ length: 300 }, d.film).map(
        (f) => f.persons.filter((p) => p.role === 'actor').length,
      );
    };
    const wide = actorsOf({ min: 5, max: 11 });
    // Picks rarely repeat among 100k persons, so the counts fill the range and stay inside it.
    expect(Math.min(...wide)).toBe(5);
    expect(Math.max(...wide)).toBe(11);
    const standard = actorsOf();
    expect(Math.min(...standard)).toBe(3);
    expect(Math.max(...standard)).toBe(8);
  });
});

describe('demo catalogue in the database', { timeout: 180_000 }, () => {
  let kino: TestKino;
  beforeAll(async () => {
    kino = await createTestKino({ modules: ['catalog'], workers: false });
  }, 180_000);
  afterAll(async () => {
    await kino?.close();
  });

  /** The seeds of every module of the process, in the order `kino start` runs them. */
  const seed = async () => {
    const banner: string[] = [];
    for (const instance of kino.kernel.instances.values()) banner.push(...((await instance.seed?.()) ?? []));
    return banner;
  };

  it('seed() fills an empty catalogue once, and the read model built after it shows it', async () => {
    expect([...kino.kernel.instances.keys()]).toEqual(['content', 'catalog']);
    const banner = await seed();
    expect(banner[0]).toMatch(/^Demo catalogue: 1000 films, 24 genres, 3200 persons/);
    const sql = kino.kernel.engines.sql;
    const [counts] = await sql.query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM content.film_work) AS films,
              (SELECT count(*)::int FROM catalog.film) AS docs,
              (SELECT count(*)::int FROM catalog.genre) AS genres,
              (SELECT count(*)::int FROM catalog.person) AS persons,
              (SELECT count(DISTINCT access)::int FROM catalog.film) AS levels`,
    );
    expect(counts).toEqual({ films: 1000, docs: 1000, genres: 24, persons: 3200, levels: 3 });
    expect(await seed()).toEqual([]);

    // The generated films are ordinary content: the content service edits them.
    const content = kino.kernel.services.require('content');
    const page = await content.listFilms({ sort: '-rating', page_number: 1, page_size: 5 });
    expect(page.total).toBe(1000);
    expect(page.items[0]!.persons.length).toBeGreaterThan(0);
  });

  it('the same seed writes the same rows', async () => {
    // A database of its own: the test above needs an empty catalogue, whichever runs first.
    const sets = [PLATFORM_MIGRATIONS, ...contentModule.migrations];
    const db = await createMigratedTestSql(sets);
    onTestFinished(() => db.close());
    const sql = db.sql;
    await migrate(sql, sets, createLogger('silent'));
    await generateCatalog(sql, { films: 30, persons: 40, genres: 3, seed: 99 });
    const first = await sql.query('SELECT id, title FROM content.film_work ORDER BY id');
    // Idempotent: generating again inserts nothing new.
    await generateCatalog(sql, { films: 30, persons: 40, genres: 3, seed: 99 });
    expect(await sql.query('SELECT id, title FROM content.film_work ORDER BY id')).toEqual(first);
    const [orphans] = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM content.genre_film_work gf
       WHERE NOT EXISTS (SELECT 1 FROM content.genre g WHERE g.id = gf.genre_id)`,
    );
    expect(orphans!.n).toBe(0);
  });
});
