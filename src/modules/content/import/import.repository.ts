/**
 * Set-based idempotent upserts for imports: one statement per batch of rows (unnest of arrays).
 * A re-run with the same rows changes nothing (versions move only when a value changed).
 */
import type { SqlExecutor } from '../../../ports/sql.js';

import type { AccessLevel, FilmType, PersonRole } from '../content.types.js';

export interface FilmImportRow {
  id: string;
  title: string;
  description: string | null;
  creation_date: string | null;
  rating: number | null;
  /** Undefined: keep (new films get 'movie'). */
  type: FilmType | undefined;
  /** Undefined: keep (new films get FREE). */
  access: AccessLevel | undefined;
  created: string | null;
  modified: string | null;
}

/** Keeps the last row for each id (a statement may not upsert one row twice). */
function lastPerId<T extends { id: string }>(rows: readonly T[]): T[] {
  return [...new Map(rows.map((r) => [r.id, r])).values()];
}

export interface GenreImportRow {
  id: string;
  name: string;
  /** Undefined: keep. */
  description: string | null | undefined;
}

export interface LinkRow {
  id: string | null;
  film_id: string;
  /** genre id or person id */
  ref_id: string;
  role?: PersonRole;
}

export function createImportRepository(db: SqlExecutor) {
  return {
    async upsertFilms(input: readonly FilmImportRow[]): Promise<number> {
      if (input.length === 0) return 0;
      const rows = lastPerId(input);
      // Type and access are decided per row: a row that does not carry one keeps the stored value
      // (read in the same statement), and a new film gets the default.
      return db.execute(
        `INSERT INTO content.film_work AS f (id, title, description, creation_date, rating, type, access, created, modified)
         SELECT u.id, u.title, u.description, u.creation_date, u.rating,
                coalesce(u.type, old.type, 'movie'), coalesce(u.access, old.access, 'FREE'),
                coalesce(u.created, now()), coalesce(u.modified, now())
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::float8[], $6::text[], $7::text[],
                     $8::timestamptz[], $9::timestamptz[])
           AS u(id, title, description, creation_date, rating, type, access, created, modified)
         LEFT JOIN content.film_work AS old ON old.id = u.id
         ON CONFLICT (id) DO UPDATE SET
           title = EXCLUDED.title,
           description = EXCLUDED.description,
           creation_date = CASE WHEN $10 THEN EXCLUDED.creation_date ELSE f.creation_date END,
           rating = EXCLUDED.rating,
           type = EXCLUDED.type,
           access = EXCLUDED.access,
           version = f.version + 1,
           modified = now()
         WHERE (f.title, f.description, f.rating, f.type, f.access)
                 IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.description, EXCLUDED.rating, EXCLUDED.type, EXCLUDED.access)
            OR ($10 AND f.creation_date IS DISTINCT FROM EXCLUDED.creation_date)`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.title),
          rows.map((r) => r.description),
          rows.map((r) => r.creation_date),
          rows.map((r) => r.rating),
          rows.map((r) => r.type ?? null),
          rows.map((r) => r.access ?? null),
          rows.map((r) => r.created),
          rows.map((r) => r.modified),
          // A source without creation dates keeps the stored ones.
          rows.some((r) => r.creation_date !== null),
        ],
      );
    },

    /**
     * Upserts genres by id. A genre whose name another genre already has is not inserted; the
     * returned map sends its id to the existing genre's id, so links can follow.
     */
    async upsertGenres(
      rows: readonly GenreImportRow[],
    ): Promise<{ changed: number; aliases: Map<string, string> }> {
      const aliases = new Map<string, string>();
      if (rows.length === 0) return { changed: 0, aliases };
      const byName = new Map<string, GenreImportRow>();
      for (const r of lastPerId(rows))
        if (!byName.has(r.name.toLowerCase())) byName.set(r.name.toLowerCase(), r);
      for (const r of rows) {
        const first = byName.get(r.name.toLowerCase())!;
        if (first.id !== r.id) aliases.set(r.id, first.id);
      }
      const unique = [...byName.values()];
      const taken = await db.query<{ id: string; name: string }>(
        `SELECT id, name FROM content.genre WHERE lower(name) = ANY($1::text[])`,
        [unique.map((r) => r.name.toLowerCase())],
      );
      const takenBy = new Map(taken.map((t) => [t.name.toLowerCase(), t.id]));
      const insert = unique.filter((r) => {
        const owner = takenBy.get(r.name.toLowerCase());
        if (owner && owner !== r.id) {
          aliases.set(r.id, owner);
          return false;
        }
        return true;
      });
      if (insert.length === 0) return { changed: 0, aliases };
      const changed = await db.execute(
        `INSERT INTO content.genre AS g (id, name, description)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, name, description)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,
           description = CASE WHEN $4 THEN EXCLUDED.description ELSE g.description END,
           version = g.version + 1, modified = now()
         WHERE g.name IS DISTINCT FROM EXCLUDED.name OR ($4 AND g.description IS DISTINCT FROM EXCLUDED.description)`,
        [
          insert.map((r) => r.id),
          insert.map((r) => r.name),
          insert.map((r) => r.description ?? null),
          insert.some((r) => r.description !== undefined),
        ],
      );
      return { changed, aliases };
    },

    async upsertPersons(input: readonly { id: string; full_name: string }[]): Promise<number> {
      if (input.length === 0) return 0;
      const rows = lastPerId(input);
      return db.execute(
        `INSERT INTO content.person AS p (id, full_name)
         SELECT * FROM unnest($1::uuid[], $2::text[]) AS u(id, full_name)
         ON CONFLICT (id) DO UPDATE SET full_name = EXCLUDED.full_name, version = p.version + 1, modified = now()
         WHERE p.full_name IS DISTINCT FROM EXCLUDED.full_name`,
        [rows.map((r) => r.id), rows.map((r) => r.full_name)],
      );
    },

    /**
     * Inserts links whose film and genre/person exist; returns the indexes of rows left out because
     * one side is missing (so the caller can retry them later or report them).
     */
    async insertLinks(
      kind: 'genre' | 'person',
      rows: readonly LinkRow[],
    ): Promise<{ inserted: number; missing: number[] }> {
      if (rows.length === 0) return { inserted: 0, missing: [] };
      const refTable = kind === 'genre' ? 'content.genre' : 'content.person';
      const params = [
        rows.map((r) => r.id ?? null),
        rows.map((r) => r.film_id),
        rows.map((r) => r.ref_id),
        rows.map((r) => r.role ?? null),
      ];
      const missing = await db.query<{ i: number }>(
        `SELECT u.i::int AS i FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) WITH ORDINALITY AS u(id, film, ref, role, i)
         WHERE NOT EXISTS (SELECT 1 FROM content.film_work f WHERE f.id = u.film)
            OR NOT EXISTS (SELECT 1 FROM ${refTable} r WHERE r.id = u.ref)`,
        params,
      );
      const inserted =
        kind === 'genre'
          ? await db.execute(
              `INSERT INTO content.genre_film_work (id, film_work_id, genre_id)
               SELECT coalesce(u.id, gen_random_uuid()), u.film, u.ref
               FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) AS u(id, film, ref, role)
               WHERE EXISTS (SELECT 1 FROM content.film_work f WHERE f.id = u.film)
                 AND EXISTS (SELECT 1 FROM content.genre r WHERE r.id = u.ref)
               ON CONFLICT DO NOTHING`,
              params,
            )
          : await db.execute(
              `INSERT INTO content.person_film_work (id, film_work_id, person_id, role)
               SELECT coalesce(u.id, gen_random_uuid()), u.film, u.ref, u.role
               FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) AS u(id, film, ref, role)
               WHERE EXISTS (SELECT 1 FROM content.film_work f WHERE f.id = u.film)
                 AND EXISTS (SELECT 1 FROM content.person r WHERE r.id = u.ref)
               ON CONFLICT DO NOTHING`,
              params,
            );
      return { inserted, missing: missing.map((m) => m.i - 1) };
    },

    /** Removes the links of these films (before re-inserting them from a source that carries them all). */
    async clearLinks(filmIds: readonly string[]): Promise<void> {
      if (filmIds.length === 0) return;
      await db.execute('DELETE FROM content.genre_film_work WHERE film_work_id = ANY($1::uuid[])', [filmIds]);
      await db.execute('DELETE FROM content.person_film_work WHERE film_work_id = ANY($1::uuid[])', [
        filmIds,
      ]);
    },
  };
}

export type ImportRepository = ReturnType<typeof createImportRepository>;
