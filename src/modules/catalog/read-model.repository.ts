/**
 * The read model's SQL: catalog.* documents computed from the content tables with set-based
 * statements (one per batch, never a row at a time), and the worker's bookkeeping (catalog.state).
 * read-model.ts decides what to project, in which batches and under which lock.
 */
import type { SqlExecutor } from '../../ports/sql.js';

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

const PROJECTION_LOCK = 7_331_001;

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

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Each kind of read-model document and the content table it is computed from. */
const DOCUMENTS = {
  film: { document: 'catalog.film', source: 'content.film_work' },
  person: { document: 'catalog.person', source: 'content.person' },
  genre: { document: 'catalog.genre', source: 'content.genre' },
} as const;

export type DocumentKind = keyof typeof DOCUMENTS;

/** Tables whose id ranges a rebuild walks. */
export type RangedTable = 'content.film_work' | 'content.person';

export interface IndexDefinition {
  name: string;
  def: string;
}

export function createReadModelRepository(db: SqlExecutor) {
  return {
    /** The projection lock, exclusive; held until the transaction of `db` ends. */
    async lock(): Promise<void> {
      await db.query('SELECT pg_advisory_xact_lock($1::bigint)', [PROJECTION_LOCK]);
    },

    /** The projection lock, shared (rebuild batches over disjoint ranges). */
    async lockShared(): Promise<void> {
      await db.query('SELECT pg_advisory_xact_lock_shared($1::bigint)', [PROJECTION_LOCK]);
    },

    /** Person ids the stored documents of these films show. */
    async personIdsOfFilms(ids: readonly string[]): Promise<string[]> {
      const rows = await db.query<{ person_ids: string[] }>(
        'SELECT person_ids FROM catalog.film WHERE id = ANY($1::uuid[])',
        [ids],
      );
      return rows.flatMap((r) => r.person_ids);
    },

    async upsertFilms(ids: readonly string[]): Promise<void> {
      await db.query(filmUpsertSql(BY_IDS), [ids]);
    },

    /** Films with ids in (lo, hi]. */
    async upsertFilmRange(lo: string, hi: string): Promise<void> {
      await db.query(filmUpsertSql(BY_RANGE), [lo, hi]);
    },

    /** Deletes documents (of `ids`, or all) whose row the content tables no longer hold. */
    async deleteGone(kind: DocumentKind, ids?: readonly string[]): Promise<void> {
      const { document, source } = DOCUMENTS[kind];
      const gone = `NOT EXISTS (SELECT 1 FROM ${source} s WHERE s.id = c.id)`;
      if (ids) await db.execute(`DELETE FROM ${document} c WHERE c.id = ANY($1::uuid[]) AND ${gone}`, [ids]);
      else await db.execute(`DELETE FROM ${document} c WHERE ${gone}`);
    },

    /** Returns how many person documents changed. */
    async upsertPersons(ids: readonly string[]): Promise<number> {
      return db.execute(PERSON_UPSERT(BY_IDS), [ids]);
    },

    /** Persons with ids in (lo, hi]. */
    async upsertPersonRange(lo: string, hi: string): Promise<void> {
      await db.execute(PERSON_UPSERT(BY_RANGE), [lo, hi]);
    },

    async upsertGenres(ids: readonly string[]): Promise<void> {
      await db.execute(GENRE_UPSERT('g.id = ANY($1::uuid[])'), [ids]);
    },

    async upsertAllGenres(): Promise<void> {
      await db.execute(GENRE_UPSERT('true'));
    },

    async genreCount(): Promise<number> {
      const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog.genre');
      return row?.n ?? 0;
    },

    /** Films that show (or whose document showed) any of these genres. */
    async filmsOfGenres(ids: readonly string[]): Promise<string[]> {
      const rows = await db.query<{ id: string }>(
        `SELECT film_work_id AS id FROM content.genre_film_work WHERE genre_id = ANY($1::uuid[])
         UNION SELECT id FROM catalog.film WHERE genre_ids && $1::uuid[]`,
        [ids],
      );
      return rows.map((r) => r.id);
    },

    async filmsOfPersons(ids: readonly string[]): Promise<string[]> {
      const rows = await db.query<{ id: string }>(
        `SELECT DISTINCT film_work_id AS id FROM content.person_film_work WHERE person_id = ANY($1::uuid[])`,
        [ids],
      );
      return rows.map((r) => r.id);
    },

    /** Records (or with `null` removes) a film's poster and puts it into its document. */
    async setPoster(filmId: string, url: string | null): Promise<void> {
      if (url === null) await db.execute('DELETE FROM catalog.poster WHERE film_id = $1', [filmId]);
      else
        await db.execute(
          `INSERT INTO catalog.poster (film_id, url) VALUES ($1, $2)
           ON CONFLICT (film_id) DO UPDATE SET url = EXCLUDED.url, updated_at = now()`,
          [filmId, url],
        );
      await db.execute('UPDATE catalog.film SET poster_url = $2 WHERE id = $1', [filmId, url]);
    },

    async contentFilmCount(): Promise<number> {
      const [row] = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM content.film_work');
      return row?.total ?? 0;
    },

    /** Films in the content tables, and whether the read model has none yet. */
    async rebuildStart(): Promise<{ total: number; empty: boolean }> {
      const [row] = await db.query<{ total: number; empty: boolean }>(
        `SELECT (SELECT count(*)::int FROM content.film_work) AS total,
                NOT EXISTS (SELECT 1 FROM catalog.film) AS empty`,
      );
      return row ?? { total: 0, empty: true };
    },

    /** For every `size`-th row of `table` in id order (and the last): its id and row number. */
    async idBounds(table: RangedTable, size: number): Promise<{ hi: string; r: number }[]> {
      return db.query<{ hi: string; r: number }>(
        `SELECT id::text AS hi, r::int AS r FROM (
           SELECT id, row_number() OVER (ORDER BY id) AS r, count(*) OVER () AS c FROM ${table}
         ) AS t WHERE r % $1 = 0 OR r = c ORDER BY id`,
        [size],
      );
    },

    /** Writes a catalog.state entry (worker bookkeeping), replacing any earlier value. */
    async setState(key: string, value: unknown): Promise<void> {
      await db.execute(
        `INSERT INTO catalog.state (key, value, updated_at) VALUES ($1, $2::jsonb, now())
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [key, JSON.stringify(value)],
      );
    },

    async state<T>(key: string): Promise<T | null> {
      const [row] = await db.query<{ value: T }>('SELECT value FROM catalog.state WHERE key = $1', [key]);
      return row ? row.value : null;
    },

    async deleteState(key: string): Promise<void> {
      await db.execute('DELETE FROM catalog.state WHERE key = $1', [key]);
    },

    async secondaryIndexes(): Promise<IndexDefinition[]> {
      return db.query<IndexDefinition>(SECONDARY_INDEXES);
    },

    async dropIndex(name: string): Promise<void> {
      await db.exec(`DROP INDEX IF EXISTS catalog.${quoteIdent(name)}`);
    },

    /** Creates an index from its recorded definition, unless it exists. */
    async createIndex(index: IndexDefinition): Promise<void> {
      await db.exec(index.def.replace(/^CREATE INDEX /, 'CREATE INDEX IF NOT EXISTS '));
    },

    /** Sets the visibility map and statistics of the film and person documents. */
    async vacuum(): Promise<void> {
      await Promise.all([
        db.exec('VACUUM (ANALYZE) catalog.film'),
        db.exec('VACUUM (ANALYZE) catalog.person'),
      ]);
    },

    /** Seconds since the oldest edit of the last day that its document does not show yet. */
    async lagSeconds(): Promise<number> {
      const [row] = await db.query<{ lag: number | null }>(
        `SELECT extract(epoch FROM now() - min(f.modified))::float8 AS lag
         FROM content.film_work f LEFT JOIN catalog.film c ON c.id = f.id
         WHERE f.modified > now() - interval '1 day' AND (c.id IS NULL OR c.version < f.version)`,
      );
      return Math.max(0, row?.lag ?? 0);
    },

    /** Films whose document is missing, of another version, or of a deleted film. */
    async unreconciled(): Promise<string[]> {
      const rows = await db.query<{ id: string }>(
        `SELECT f.id FROM content.film_work f LEFT JOIN catalog.film c ON c.id = f.id
         WHERE c.id IS NULL OR c.version <> f.version
         UNION ALL
         SELECT c.id FROM catalog.film c WHERE NOT EXISTS (SELECT 1 FROM content.film_work f WHERE f.id = c.id)`,
      );
      return rows.map((r) => r.id);
    },
  };
}

export type ReadModelRepository = ReturnType<typeof createReadModelRepository>;
