/**
 * The read-model projector: builds the catalog.* documents the public API reads from the content
 * tables with set-based SQL (one statement per batch, never a row at a time). The etl worker
 * calls it for each content event; `rebuild` recomputes everything in id-ordered batches.
 */
import type { Cache } from '../../ports/cache.js';
import type { Sql, SqlExecutor } from '../../ports/sql.js';
import type { ReadModel } from './content.types.js';

/** The cache key whose value the read API includes in its cache keys. */
export const READ_MODEL_VERSION_KEY = 'catalog:rm-version';
const VERSION_TTL = 30 * 24 * 3600;

export interface ReadModelDeps {
  sql: Sql;
  cache: Cache;
  /** Films per rebuild batch. */
  batchSize?: number;
  /** Smallest cold rebuild that drops and rebuilds the secondary indexes (default 20,000 films). */
  bulkMinFilms?: number;
}

/**
 * Upserts catalog.film rows for the films the `filter` selects (a condition on `f.id`, fixed
 * text with positional parameters) and returns the person ids they show, old and new.
 */
function filmUpsertSql(filter: (column: string) => string): string {
  return `
  WITH f AS (SELECT * FROM content.film_work f WHERE ${filter('f.id')}),
  g AS (
    SELECT gf.film_work_id AS film_id,
           array_agg(g.id ORDER BY g.name, g.id) AS ids,
           string_agg(g.name, ' ' ORDER BY g.name, g.id) AS names,
           jsonb_agg(jsonb_build_object('uuid', g.id, 'name', g.name) ORDER BY g.name, g.id) AS docs
    FROM content.genre_film_work gf JOIN content.genre g ON g.id = gf.genre_id
    WHERE ${filter('gf.film_work_id')}
    GROUP BY gf.film_work_id),
  p AS (
    SELECT pf.film_work_id AS film_id,
           array_agg(DISTINCT p.id) AS ids,
           string_agg(p.full_name, ' ' ORDER BY pf.role, p.full_name) AS names,
           jsonb_agg(jsonb_build_object('uuid', p.id, 'full_name', p.full_name) ORDER BY p.full_name, p.id)
             FILTER (WHERE pf.role = 'actor') AS actors,
           jsonb_agg(jsonb_build_object('uuid', p.id, 'full_name', p.full_name) ORDER BY p.full_name, p.id)
             FILTER (WHERE pf.role = 'writer') AS writers,
           jsonb_agg(jsonb_build_object('uuid', p.id, 'full_name', p.full_name) ORDER BY p.full_name, p.id)
             FILTER (WHERE pf.role = 'director') AS directors
    FROM content.person_film_work pf JOIN content.person p ON p.id = pf.person_id
    WHERE ${filter('pf.film_work_id')}
    GROUP BY pf.film_work_id),
  src AS (
    SELECT f.id, f.title, f.description, f.rating AS imdb_rating, f.access, f.type AS film_type, f.creation_date,
      coalesce(g.ids, '{}') AS genre_ids, coalesce(p.ids, '{}') AS person_ids,
      coalesce(g.names, '') AS genre_names, coalesce(p.names, '') AS person_names,
      jsonb_build_object(
        'uuid', f.id, 'title', f.title, 'imdb_rating', f.rating, 'description', f.description,
        'type', f.access, 'genre', coalesce(g.docs, '[]'::jsonb),
        'actors', coalesce(p.actors, '[]'::jsonb), 'writers', coalesce(p.writers, '[]'::jsonb),
        'directors', coalesce(p.directors, '[]'::jsonb)) AS document,
      (SELECT url FROM catalog.poster ps WHERE ps.film_id = f.id) AS poster_url,
      f.version
    FROM f LEFT JOIN g ON g.film_id = f.id LEFT JOIN p ON p.film_id = f.id),
  up AS (
    INSERT INTO catalog.film AS c (id, title, description, imdb_rating, access, film_type, creation_date,
      genre_ids, person_ids, genre_names, person_names, document, poster_url, version, indexed_at)
    SELECT s.*, now() FROM src s
    -- Unchanged documents are left alone: the search vector is not recomputed and nothing is
    -- written, so a rebuild of an up-to-date model is cheap.
    WHERE NOT EXISTS (
      SELECT 1 FROM catalog.film c WHERE c.id = s.id
        AND (c.document, c.version, c.poster_url, c.creation_date, c.film_type, c.genre_names, c.person_names)
          IS NOT DISTINCT FROM (s.document, s.version, s.poster_url, s.creation_date, s.film_type, s.genre_names, s.person_names))
    ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description,
      imdb_rating = EXCLUDED.imdb_rating, access = EXCLUDED.access, film_type = EXCLUDED.film_type,
      creation_date = EXCLUDED.creation_date, genre_ids = EXCLUDED.genre_ids,
      person_ids = EXCLUDED.person_ids, genre_names = EXCLUDED.genre_names,
      person_names = EXCLUDED.person_names, document = EXCLUDED.document,
      poster_url = EXCLUDED.poster_url, version = EXCLUDED.version, indexed_at = now()
    RETURNING c.id, c.person_ids)
  SELECT count(*)::int AS n FROM up`;
}

const PERSON_UPSERT = (filter: (column: string) => string) => `
  WITH sel AS (SELECT id, full_name FROM content.person p WHERE ${filter('p.id')}),
  r AS (
    SELECT pf.person_id, pf.film_work_id, array_agg(pf.role ORDER BY pf.role) AS roles
    FROM content.person_film_work pf WHERE ${filter('pf.person_id')}
    GROUP BY pf.person_id, pf.film_work_id),
  j AS (
    SELECT r.person_id,
      jsonb_agg(jsonb_build_object('uuid', f.id, 'roles', to_jsonb(r.roles), 'title', f.title,
                                   'imdb_rating', f.rating, 'access', f.access)
                ORDER BY f.rating DESC NULLS LAST, f.title, f.id) AS films
    FROM r JOIN content.film_work f ON f.id = r.film_work_id
    GROUP BY r.person_id)
  INSERT INTO catalog.person AS c (id, full_name, films, indexed_at)
  SELECT sel.id, sel.full_name, coalesce(j.films, '[]'::jsonb), now()
  FROM sel LEFT JOIN j ON j.person_id = sel.id
  WHERE NOT EXISTS (SELECT 1 FROM catalog.person o WHERE o.id = sel.id
                      AND o.full_name = sel.full_name AND o.films = coalesce(j.films, '[]'::jsonb))
  ON CONFLICT (id) DO UPDATE SET full_name = EXCLUDED.full_name, films = EXCLUDED.films, indexed_at = now()`;

const GENRE_UPSERT = (filter: string) => `
  INSERT INTO catalog.genre AS c (id, name, description, indexed_at)
  SELECT g.id, g.name, g.description, now() FROM content.genre g WHERE ${filter}
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, indexed_at = now()
  WHERE (c.name, c.description) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description)`;

/** Row selections: by a list of ids ($1), or by an id range ($1, $2], for batched rebuilds. */
const BY_IDS = (column: string) => `${column} = ANY($1::uuid[])`;
const BY_RANGE = (column: string) => `${column} > $1::uuid AND ${column} <= $2::uuid`;

/**
 * Projections run one at a time: each takes this transaction-scoped lock first, so a projection
 * computed from an older snapshot can never overwrite a newer one (READ COMMITTED upserts would
 * otherwise let a slow handler win).
 */
const PROJECTION_LOCK = 7_331_001;
const lock = (db: SqlExecutor) => db.query('SELECT pg_advisory_xact_lock($1::bigint)', [PROJECTION_LOCK]);
/**
 * Rebuild batches cover disjoint id ranges and read only the content tables, so two may run at
 * once: they share the lock, and a projection (exclusive) waits for both.
 */
const lockShared = (db: SqlExecutor) =>
  db.query('SELECT pg_advisory_xact_lock_shared($1::bigint)', [PROJECTION_LOCK]);

/**
 * A rebuild into an empty read model of at least this many films builds the secondary indexes
 * after loading the rows (as pg_restore does) instead of updating them row by row.
 */
const BULK_MIN_FILMS = 20_000;
/** catalog.state key recording indexes a bulk rebuild dropped, until they are back. */
export const DROPPED_INDEXES_KEY = 'rebuild:dropped-indexes';

/** Writes a catalog.state entry (worker bookkeeping), replacing any earlier value. */
const setState = (db: SqlExecutor, key: string, value: unknown) =>
  db.execute(
    `INSERT INTO catalog.state (key, value, updated_at) VALUES ($1, $2::jsonb, now())
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [key, JSON.stringify(value)],
  );

/** Secondary indexes of the film and person read-model tables (not those behind constraints). */
const SECONDARY_INDEXES = `
  SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE n.nspname = 'catalog' AND t.relname IN ('film', 'person')
    AND NOT x.indisprimary AND NOT x.indisunique
    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
  ORDER BY t.relname, i.relname`;

/** Runs `tasks` with at most `width` at a time; rejects with the first failure. */
async function runPool(tasks: readonly (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, worker));
}

/** Splits `items` into chunks of `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const uniq = (ids: readonly string[]) => [...new Set(ids.map((i) => i.toLowerCase()))];
const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function createReadModel(deps: ReadModelDeps): ReadModel {
  const { sql, cache } = deps;
  const batchSize = deps.batchSize ?? 5000;

  /** Films only (no persons); returns the person ids the films showed before and show now. */
  async function upsertFilms(db: SqlExecutor, ids: readonly string[]): Promise<string[]> {
    const before = await db.query<{ person_ids: string[] }>(
      'SELECT person_ids FROM catalog.film WHERE id = ANY($1::uuid[])',
      [ids],
    );
    await db.query(filmUpsertSql(BY_IDS), [ids]);
    await db.execute(
      `DELETE FROM catalog.film c WHERE c.id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM content.film_work f WHERE f.id = c.id)`,
      [ids],
    );
    const after = await db.query<{ person_ids: string[] }>(
      'SELECT person_ids FROM catalog.film WHERE id = ANY($1::uuid[])',
      [ids],
    );
    return uniq([...before, ...after].flatMap((r) => r.person_ids));
  }

  async function upsertPersons(db: SqlExecutor, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    let n = 0;
    for (const part of chunks(ids, batchSize)) {
      n += await db.execute(PERSON_UPSERT(BY_IDS), [part]);
      await db.execute(
        `DELETE FROM catalog.person c WHERE c.id = ANY($1::uuid[])
           AND NOT EXISTS (SELECT 1 FROM content.person p WHERE p.id = c.id)`,
        [part],
      );
    }
    return n;
  }

  /**
   * Id ranges ($1, $2] of `table` holding `size` rows each, in id order; the last one is open
   * ended, so rows added while a rebuild runs are not missed.
   */
  async function idRanges(table: string, size: number): Promise<{ lo: string; hi: string; n: number }[]> {
    const bounds = await sql.query<{ hi: string; r: number }>(
      `SELECT id::text AS hi, r::int AS r FROM (
         SELECT id, row_number() OVER (ORDER BY id) AS r, count(*) OVER () AS c FROM ${table}
       ) AS t WHERE r % $1 = 0 OR r = c ORDER BY id`,
      [size],
    );
    let lo = '00000000-0000-0000-0000-000000000000';
    let before = 0;
    return bounds.map(({ hi, r }, i) => {
      const range = {
        lo,
        hi: i === bounds.length - 1 ? 'ffffffff-ffff-ffff-ffff-ffffffffffff' : hi,
        n: r - before,
      };
      lo = hi;
      before = r;
      return range;
    });
  }

  /**
   * Drops the secondary indexes of the read-model tables for a bulk load, recording their
   * definitions first (same transaction), so a crash mid-way leaves what is needed to recreate
   * them: `restoreIndexes` runs at the start of every rebuild and of the etl worker's catch-up.
   */
  async function dropIndexes(): Promise<void> {
    await sql.transaction(async (tx) => {
      await lock(tx);
      const indexes = await tx.query<{ name: string; def: string }>(SECONDARY_INDEXES);
      if (indexes.length === 0) return;
      await setState(tx, DROPPED_INDEXES_KEY, indexes);
      for (const index of indexes) await tx.exec(`DROP INDEX IF EXISTS catalog.${quoteIdent(index.name)}`);
    });
  }

  /** Recreates indexes a bulk rebuild dropped (after it, or after a crash during it). */
  async function restoreIndexes(width = 1): Promise<void> {
    const [row] = await sql.query<{ value: { name: string; def: string }[] }>(
      'SELECT value FROM catalog.state WHERE key = $1',
      [DROPPED_INDEXES_KEY],
    );
    if (!row) return;
    await runPool(
      row.value.map((index) => async () => {
        await sql.exec(index.def.replace(/^CREATE INDEX /, 'CREATE INDEX IF NOT EXISTS '));
      }),
      width,
    );
    await sql.execute('DELETE FROM catalog.state WHERE key = $1', [DROPPED_INDEXES_KEY]);
  }

  const readModel: ReadModel = {
    async projectFilms(ids, tx) {
      const list = uniq(ids);
      if (list.length === 0) return 0;
      const run = async (db: SqlExecutor) => {
        await lock(db);
        let persons: string[] = [];
        for (const part of chunks(list, batchSize)) persons = persons.concat(await upsertFilms(db, part));
        await upsertPersons(db, uniq(persons));
        return list.length;
      };
      return tx ? run(tx) : sql.transaction(run);
    },

    async removeFilms(ids, tx) {
      return readModel.projectFilms(ids, tx);
    },

    async projectGenres(ids, tx) {
      const list = uniq(ids);
      if (list.length === 0) return 0;
      const run = async (db: SqlExecutor) => {
        await lock(db);
        await db.execute(GENRE_UPSERT('g.id = ANY($1::uuid[])'), [list]);
        await db.execute(
          `DELETE FROM catalog.genre c WHERE c.id = ANY($1::uuid[])
             AND NOT EXISTS (SELECT 1 FROM content.genre g WHERE g.id = c.id)`,
          [list],
        );
        // Every film that shows (or showed) the genre follows its name.
        const films = await db.query<{ id: string }>(
          `SELECT film_work_id AS id FROM content.genre_film_work WHERE genre_id = ANY($1::uuid[])
           UNION SELECT id FROM catalog.film WHERE genre_ids && $1::uuid[]`,
          [list],
        );
        for (const part of chunks(
          films.map((f) => f.id),
          batchSize,
        ))
          await upsertFilms(db, part);
        return list.length;
      };
      return tx ? run(tx) : sql.transaction(run);
    },

    async projectPersons(ids, tx) {
      const list = uniq(ids);
      if (list.length === 0) return 0;
      const run = async (db: SqlExecutor) => {
        await lock(db);
        const films = await db.query<{ id: string }>(
          `SELECT DISTINCT film_work_id AS id FROM content.person_film_work WHERE person_id = ANY($1::uuid[])`,
          [list],
        );
        // Their films, and everyone else those films show (a film document may be new here).
        let shown: string[] = [];
        for (const part of chunks(
          films.map((f) => f.id),
          batchSize,
        ))
          shown = shown.concat(await upsertFilms(db, part));
        await upsertPersons(db, uniq([...list, ...shown]));
        return list.length;
      };
      return tx ? run(tx) : sql.transaction(run);
    },

    async setPoster(filmId, url, tx) {
      const run = async (db: SqlExecutor) => {
        await lock(db);
        if (url === null) await db.execute('DELETE FROM catalog.poster WHERE film_id = $1', [filmId]);
        else
          await db.execute(
            `INSERT INTO catalog.poster (film_id, url) VALUES ($1, $2)
             ON CONFLICT (film_id) DO UPDATE SET url = EXCLUDED.url, updated_at = now()`,
            [filmId, url],
          );
        await db.execute('UPDATE catalog.film SET poster_url = $2 WHERE id = $1', [filmId, url]);
      };
      await (tx ? run(tx) : sql.transaction(run));
    },

    async refresh(touched, onProgress) {
      const films = uniq([...touched.films]);
      const genres = uniq([...touched.genres]);
      const persons = uniq([...touched.persons]);
      const [{ total } = { total: 0 }] = await sql.query<{ total: number }>(
        'SELECT count(*)::int AS total FROM content.film_work',
      );
      if (films.length > 5000 && films.length * 2 > total) return readModel.rebuild(onProgress);
      if (genres.length > 0) {
        await sql.transaction(async (tx) => {
          await lock(tx);
          await tx.execute(GENRE_UPSERT('g.id = ANY($1::uuid[])'), [genres]);
          await tx.execute(
            `DELETE FROM catalog.genre c WHERE c.id = ANY($1::uuid[])
             AND NOT EXISTS (SELECT 1 FROM content.genre g WHERE g.id = c.id)`,
            [genres],
          );
        });
      }
      let shown: string[] = [];
      let done = 0;
      onProgress?.(0, films.length);
      for (const part of chunks(films, batchSize)) {
        shown = shown.concat(await sql.transaction(async (tx) => (await lock(tx), upsertFilms(tx, part))));
        done += part.length;
        onProgress?.(done, films.length);
      }
      const allPersons = uniq([...shown, ...persons]);
      for (const part of chunks(allPersons, batchSize))
        await sql.transaction(async (tx) => (await lock(tx), upsertPersons(tx, part)));
      await readModel.bumpVersion();
      return { films: films.length, genres: genres.length, persons: allPersons.length };
    },

    async rebuild(onProgress) {
      await restoreIndexes();
      const [counts] = await sql.query<{ total: number; empty: boolean }>(
        `SELECT (SELECT count(*)::int FROM content.film_work) AS total,
                NOT EXISTS (SELECT 1 FROM catalog.film) AS empty`,
      );
      const total = counts?.total ?? 0;
      const started = new Date();
      await sql.transaction(async (tx) => (await lock(tx), tx.execute(GENRE_UPSERT('true'))));
      await sql.execute(
        'DELETE FROM catalog.genre c WHERE NOT EXISTS (SELECT 1 FROM content.genre g WHERE g.id = c.id)',
      );
      const [genreCount] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog.genre');

      // Two batches at a time on a server (one core each); PGlite has one connection anyway.
      const width = sql.engine === 'postgres' ? 2 : 1;
      const bulk = counts?.empty === true && total >= (deps.bulkMinFilms ?? BULK_MIN_FILMS);
      if (bulk) await dropIndexes();

      const filmRanges = await idRanges('content.film_work', batchSize);
      const personRanges = await idRanges('content.person', batchSize * 2);
      let done = 0;
      let persons = 0;
      onProgress?.(0, total);
      await runPool(
        [
          ...filmRanges.map(({ lo, hi, n }) => async () => {
            await sql.transaction(
              async (tx) => (await lockShared(tx), tx.query(filmUpsertSql(BY_RANGE), [lo, hi])),
            );
            done += n;
            onProgress?.(Math.min(done, total), total);
          }),
          ...personRanges.map(({ lo, hi, n }) => async () => {
            await sql.transaction(
              async (tx) => (await lockShared(tx), tx.execute(PERSON_UPSERT(BY_RANGE), [lo, hi])),
            );
            persons += n;
          }),
        ],
        width,
      );
      // Rows deleted from the content tables while nobody projected them.
      await sql.execute(
        'DELETE FROM catalog.film c WHERE NOT EXISTS (SELECT 1 FROM content.film_work f WHERE f.id = c.id)',
      );
      await sql.execute(
        'DELETE FROM catalog.person c WHERE NOT EXISTS (SELECT 1 FROM content.person p WHERE p.id = c.id)',
      );
      if (bulk) await restoreIndexes(width);
      await setState(sql, 'rebuild', { started: started.toISOString(), films: done, persons, bulk });
      // Every row was just rewritten: set the visibility map and statistics now, or list pages
      // (index-only scans) fetch each row from the heap until autovacuum comes by.
      await Promise.all([
        sql.exec('VACUUM (ANALYZE) catalog.film'),
        sql.exec('VACUUM (ANALYZE) catalog.person'),
      ]);
      await readModel.bumpVersion();
      return { films: done, genres: genreCount?.n ?? 0, persons };
    },

    async lagSeconds() {
      // Films edited in the last day whose document is older than the edit (or missing).
      const [row] = await sql.query<{ lag: number | null }>(
        `SELECT extract(epoch FROM now() - min(f.modified))::float8 AS lag
         FROM content.film_work f LEFT JOIN catalog.film c ON c.id = f.id
         WHERE f.modified > now() - interval '1 day' AND (c.id IS NULL OR c.version < f.version)`,
      );
      return Math.max(0, row?.lag ?? 0);
    },

    async reconcile() {
      await restoreIndexes();
      const rows = await sql.query<{ id: string }>(
        `SELECT f.id FROM content.film_work f LEFT JOIN catalog.film c ON c.id = f.id
         WHERE c.id IS NULL OR c.version <> f.version
         UNION ALL
         SELECT c.id FROM catalog.film c WHERE NOT EXISTS (SELECT 1 FROM content.film_work f WHERE f.id = c.id)`,
      );
      const ids = rows.map((r) => r.id);
      for (let i = 0; i < ids.length; i += 2000) await readModel.projectFilms(ids.slice(i, i + 2000));
      if (ids.length > 0) await readModel.bumpVersion();
      return ids.length;
    },

    async bumpVersion() {
      await cache.incr(READ_MODEL_VERSION_KEY, VERSION_TTL);
    },
  };
  return readModel;
}
