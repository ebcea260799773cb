/**
 * The ugc module's projection of films (ugc.film): just what it needs to check visibility and to
 * show titles, kept from the content module's events. It never reads another module's tables.
 */
import type { SqlExecutor } from '../../ports/sql.js';
import type { AccessLevel, FilmFacts } from '../content/index.js';

export interface FilmRow {
  readonly id: string;
  readonly title: string;
  readonly rating: number | null;
  readonly access: AccessLevel;
  readonly genre_ids: readonly string[];
}

/** A page of a user's own rows about films (bookmarks, history…), of the films they may see. */
export interface OwnFilmsPage {
  readonly userId: string;
  /** The access levels the user may see (catalog's visibleLevels). */
  readonly access: readonly AccessLevel[];
  readonly limit: number;
  readonly offset: number;
}

/**
 * One page of the user's rows of `table` (aliased `t`, keyed by user_id and film_id) whose film
 * they may see, joined to that film (aliased `f`): `columns` of them in `orderBy` order, and the
 * total of such rows.
 */
export async function ownFilmsPage<R>(
  db: SqlExecutor,
  table: string,
  columns: string,
  orderBy: string,
  page: OwnFilmsPage,
): Promise<{ rows: R[]; total: number }> {
  const from = `${table} t JOIN ugc.film f ON f.id = t.film_id
     WHERE t.user_id = $1 AND f.access = ANY($2::text[])`;
  const rows = await db.query<R>(`SELECT ${columns} FROM ${from} ORDER BY ${orderBy} LIMIT $3 OFFSET $4`, [
    page.userId,
    page.access,
    page.limit,
    page.offset,
  ]);
  const [count] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${from}`, [
    page.userId,
    page.access,
  ]);
  return { rows, total: count?.n ?? 0 };
}

export function createFilmRepository(db: SqlExecutor) {
  return {
    async get(id: string): Promise<FilmRow | null> {
      const [row] = await db.query<FilmRow>(
        'SELECT id, title, rating, access, genre_ids FROM ugc.film WHERE id = $1',
        [id],
      );
      return row ?? null;
    },

    /** Access levels of those of `ids` the projection knows (one indexed query). */
    async accessOf(ids: readonly string[]): Promise<Map<string, AccessLevel>> {
      if (ids.length === 0) return new Map();
      const rows = await db.query<{ id: string; access: AccessLevel }>(
        'SELECT id, access FROM ugc.film WHERE id = ANY($1::uuid[])',
        [ids],
      );
      return new Map(rows.map((r) => [r.id, r.access]));
    },

    /** Applies film facts, each unless a newer version is already stored; one statement. */
    async upsertFilms(films: readonly FilmFacts[]): Promise<void> {
      if (films.length === 0) return;
      await db.execute(
        `INSERT INTO ugc.film (id, title, rating, access, genre_ids, version, stale, updated_at)
         SELECT id, title, rating, access, genre_ids, version, false, now()
         FROM jsonb_to_recordset($1::jsonb)
           AS x(id uuid, title text, rating double precision, access text, genre_ids uuid[], version int)
         ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, rating = EXCLUDED.rating,
           access = EXCLUDED.access, genre_ids = EXCLUDED.genre_ids, version = EXCLUDED.version,
           stale = false, updated_at = now()
         WHERE ugc.film.version < EXCLUDED.version`,
        [
          JSON.stringify(
            films.map(({ id, title, rating, access, genre_ids, version }) => ({
              id,
              title,
              rating,
              access,
              genre_ids,
              version,
            })),
          ),
        ],
      );
    },

    async deleteFilm(id: string): Promise<void> {
      await db.execute('DELETE FROM ugc.film WHERE id = $1', [id]);
    },
  };
}

export type FilmRepository = ReturnType<typeof createFilmRepository>;
