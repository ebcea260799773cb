/** Read-model queries on a real migrated database (PGlite, or PostgreSQL with DATABASE_URL). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sql } from '../../ports/sql.js';
import { migrate, PLATFORM_MIGRATIONS } from '../../platform/migrations.js';
import { createLogger } from '../../platform/logger.js';
import { createMigratedTestSql, type TestSql } from '../../../test/helpers/engines.js';
import { readModelFixtures, type GenreRow } from '../../../test/e2e/catalog.fixtures.js';
import { createCatalogRepository, type CatalogRepository } from './catalog.repository.js';
import { catalogModule } from './index.js';
import type { AccessLevel } from '../content/index.js';

let db: TestSql;
let sql: Sql;
let repo: CatalogRepository;
let genres: GenreRow[];
const LEVELS: AccessLevel[][] = [['FREE'], ['FREE', 'PAID'], ['FREE', 'PAID', 'ARCHIVED'], ['ARCHIVED']];

/** What the trigger-kept totals must equal. */
async function counted(access: readonly AccessLevel[], genre?: string): Promise<number> {
  const [row] = await sql.query<{ n: number }>(
    `SELECT count(*) AS n FROM catalog.film WHERE access = ANY($1::text[]) ${genre ? 'AND $2::uuid = ANY(genre_ids)' : ''}`,
    genre ? [access, genre] : [access],
  );
  return row!.n;
}

async function expectTotalsMatch() {
  for (const access of LEVELS) {
    expect(await repo.countFilms({ access, genres: [] })).toBe(await counted(access));
    for (const g of genres)
      expect(await repo.countFilms({ access, genres: [g.id] })).toBe(await counted(access, g.id));
  }
}

// Totals cover the whole table, so each test gets a database of its own with the same four films.
beforeEach(async () => {
  const sets = [PLATFORM_MIGRATIONS, ...catalogModule.migrations];
  db = await createMigratedTestSql(sets);
  sql = db.sql;
  await migrate(sql, sets, createLogger('silent'));
  repo = createCatalogRepository(sql);
  const fx = readModelFixtures(sql);
  genres = [];
  for (const name of ['A', 'B', 'C']) genres.push(await fx.genre(name));
  const [a, b, c] = genres as [GenreRow, GenreRow, GenreRow];
  await fx.film({ title: 'one', access: 'FREE', genres: [a] });
  await fx.film({ title: 'two', access: 'PAID', genres: [a, b] });
  await fx.film({ title: 'three', access: 'ARCHIVED', genres: [c] });
  await fx.film({ title: 'four', access: 'FREE', genres: [] });
});
afterEach(async () => db?.close());

describe('film totals kept by triggers', () => {
  it('match a count after inserts', async () => {
    await expectTotalsMatch();
    expect(await repo.countFilms({ access: ['FREE'], genres: [] })).toBe(2);
  });

  it('follow access and genre changes, upserts and deletes', async () => {
    const [a, b, c] = genres as [GenreRow, GenreRow, GenreRow];
    await sql.execute(`UPDATE catalog.film SET access = 'PAID' WHERE title = 'one'`);
    await sql.execute(`UPDATE catalog.film SET genre_ids = $1::uuid[] WHERE title = 'two'`, [[c.id]]);
    await sql.execute(`UPDATE catalog.film SET imdb_rating = 9 WHERE title = 'four'`);
    await sql.execute(
      `INSERT INTO catalog.film (id, title, access, film_type, genre_ids, document, version)
       SELECT id, title, 'FREE', film_type, $1::uuid[], document, version + 1 FROM catalog.film WHERE title = 'three'
       ON CONFLICT (id) DO UPDATE SET access = EXCLUDED.access, genre_ids = EXCLUDED.genre_ids`,
      [[a.id, b.id]],
    );
    await expectTotalsMatch();
    await sql.execute(`DELETE FROM catalog.film WHERE title IN ('two', 'four')`);
    await expectTotalsMatch();
    expect(await repo.countFilms({ access: ['FREE', 'PAID', 'ARCHIVED'], genres: [] })).toBe(2);
  });

  it('count several genres (OR) without double counting', async () => {
    const [a, b] = genres as [GenreRow, GenreRow, GenreRow];
    const [row] = await sql.query<{ n: number }>(
      `SELECT count(*) AS n FROM catalog.film WHERE genre_ids && $1::uuid[]`,
      [[a.id, b.id]],
    );
    expect(await repo.countFilms({ access: ['FREE', 'PAID', 'ARCHIVED'], genres: [a.id, b.id] })).toBe(
      row!.n,
    );
  });

  it('are emptied by TRUNCATE', async () => {
    await sql.exec('TRUNCATE catalog.film');
    expect(await repo.countFilms({ access: ['FREE', 'PAID', 'ARCHIVED'], genres: [] })).toBe(0);
  });
});
