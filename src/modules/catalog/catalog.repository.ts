/**
 * Reads of the catalog read model (catalog.*). Every method is one statement that the indexes of
 * migrations 0001/0002 answer: rating sorts walk film_rating_idx / film_rating_asc_idx, genre
 * filters use film_genre_ids_idx, searches film_search_idx / person_search_idx, typo lookups
 * search_word_trgm_idx (nearest-neighbour).
 */
import type { SqlExecutor } from '../../ports/sql.js';
import type { AccessLevel } from '../content/index.js';
import type { SearchPlan } from './search.js';

export interface FilmListItem {
  uuid: string;
  title: string;
  imdb_rating: number | null;
}

/** The film detail response as the read model stores it (catalog.film.document). */
export interface FilmDocument {
  uuid: string;
  title: string;
  imdb_rating: number | null;
  description: string | null;
  type: string;
  genre: { uuid: string; name: string }[];
  actors: { uuid: string; full_name: string }[];
  writers: { uuid: string; full_name: string }[];
  directors: { uuid: string; full_name: string }[];
  [extra: string]: unknown;
}

/** A film of the read model (`catalog.film`) as served; the write model's film is content's `FilmRecord`. */
export interface FilmDocumentRow {
  document: FilmDocument;
  poster_url: string | null;
  access: AccessLevel;
}

export interface Genre {
  uuid: string;
  name: string;
}

/** One entry of catalog.person.films. */
export interface PersonFilm {
  uuid: string;
  roles: string[];
  title: string;
  imdb_rating: number | null;
  access: AccessLevel;
}

/** A person of the read model (`catalog.person`); the write model's person is content's `PersonRecord`. */
export interface PersonDocumentRow {
  uuid: string;
  full_name: string;
  films: PersonFilm[];
}

export type FilmSort = 'imdb_rating' | '-imdb_rating';

export interface Window {
  limit: number;
  offset: number;
}

/** Rows of a page and, when the page is not empty, the total number of matches. */
export interface PageRows<T> {
  rows: T[];
  total: number | null;
}

const ORDER: Record<FilmSort, string> = {
  '-imdb_rating': 'imdb_rating DESC NULLS LAST, id',
  imdb_rating: 'imdb_rating ASC NULLS LAST, id',
};

/** The film_count row of all films. */
const ALL_FILMS = '00000000-0000-0000-0000-000000000000';

const SEARCH_QUERY = 'catalog.search_tsquery($1::text[], $2::int[], $3::boolean[], $4::boolean[])';

export type CatalogRepository = ReturnType<typeof createCatalogRepository>;

export function createCatalogRepository(db: SqlExecutor) {
  const filmFilter = (genres: readonly string[]) =>
    genres.length > 0 ? 'access = ANY($1::text[]) AND genre_ids && $2::uuid[]' : 'access = ANY($1::text[])';
  const filmFilterParams = (access: readonly AccessLevel[], genres: readonly string[]) =>
    genres.length > 0 ? [access, genres] : [access];
  const planParams = (plan: SearchPlan) => [plan.words, plan.groups, plan.prefixes, plan.negated];

  return {
    async listFilms(
      filter: { access: readonly AccessLevel[]; genres: readonly string[]; sort: FilmSort },
      window: Window,
    ): Promise<FilmListItem[]> {
      const params = filmFilterParams(filter.access, filter.genres);
      const n = params.length;
      return db.query<FilmListItem>(
        `SELECT id AS uuid, title, imdb_rating FROM catalog.film
         WHERE ${filmFilter(filter.genres)}
         ORDER BY ${ORDER[filter.sort]} LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...params, window.limit, window.offset],
      );
    },

    /** No genre or one genre: the trigger-kept totals (migration 0004); several genres: a count. */
    async countFilms(filter: { access: readonly AccessLevel[]; genres: readonly string[] }): Promise<number> {
      if (filter.genres.length <= 1) {
        const [kept] = await db.query<{ n: number | null }>(
          'SELECT sum(n)::int8 AS n FROM catalog.film_count WHERE genre_id = $1 AND access = ANY($2::text[])',
          [filter.genres[0] ?? ALL_FILMS, filter.access],
        );
        return kept?.n ?? 0;
      }
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*) AS n FROM catalog.film WHERE ${filmFilter(filter.genres)}`,
        filmFilterParams(filter.access, filter.genres),
      );
      return row?.n ?? 0;
    },

    /**
     * Exact title first, then titles with every word (the last one whole), then titles matching
     * with the last word as a prefix; within each tier and for the other matches (people, genres,
     * description), best rated first. Every tier test reads only the title's small vector, so a
     * broad query costs one visit to each matching (narrow) row; the total comes from the same
     * materialised matches.
     */
    async searchFilms(
      plan: SearchPlan,
      access: readonly AccessLevel[],
      window: Window,
    ): Promise<PageRows<FilmListItem>> {
      const rows = await db.query<FilmListItem & { total: number }>(
        `WITH q AS MATERIALIZED (
           SELECT ${SEARCH_QUERY} AS tq,
                  catalog.search_tsquery($1::text[], $2::int[], array_fill(false, ARRAY[cardinality($1::text[])]),
                                         $4::boolean[]) AS whole
         ),
         m AS MATERIALIZED (
           SELECT f.id, f.title, f.imdb_rating,
                  lower(f.title) = $6 AS exact,
                  f.title_search @@ (SELECT whole FROM q) AS whole_title,
                  f.title_search @@ (SELECT tq FROM q) AS in_title
           FROM catalog.film AS f
           WHERE f.search @@ (SELECT tq FROM q) AND f.access = ANY($5::text[])
         )
         SELECT id AS uuid, title, imdb_rating, (SELECT count(*) FROM m) AS total
         FROM m
         ORDER BY exact DESC, whole_title DESC, in_title DESC, imdb_rating DESC NULLS LAST, id
         LIMIT $7 OFFSET $8`,
        [...planParams(plan), access, plan.exact, window.limit, window.offset],
      );
      return {
        rows: rows.map(({ uuid, title, imdb_rating }) => ({ uuid, title, imdb_rating })),
        total: rows[0]?.total ?? null,
      };
    },

    async countSearchFilms(plan: SearchPlan, access: readonly AccessLevel[]): Promise<number> {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*) AS n FROM catalog.film
         WHERE search @@ ${SEARCH_QUERY} AND access = ANY($5::text[])`,
        [...planParams(plan), access],
      );
      return row?.n ?? 0;
    },

    /** For each word, the closest vocabulary words of similar length, best first. */
    async nearestWords(words: readonly string[], perWord = 12): Promise<Map<string, string[]>> {
      const nearest = new Map<string, string[]>(words.map((w) => [w, []]));
      if (words.length === 0) return nearest;
      const rows = await db.query<{ w: string; word: string }>(
        `SELECT q.w, c.word
         FROM unnest($1::text[]) AS q(w)
         CROSS JOIN LATERAL (
           SELECT s.word, s.word <-> q.w AS d FROM catalog.search_word AS s
           WHERE char_length(s.word) BETWEEN char_length(q.w) - 1 AND char_length(q.w) + 1
           ORDER BY s.word <-> q.w
           LIMIT $2
         ) AS c
         ORDER BY q.w, c.d`,
        [words, perWord],
      );
      for (const row of rows) nearest.get(row.w)?.push(row.word);
      return nearest;
    },

    async filmById(id: string): Promise<FilmDocumentRow | null> {
      const [row] = await db.query<FilmDocumentRow>(
        'SELECT document, poster_url, access FROM catalog.film WHERE id = $1',
        [id],
      );
      return row ?? null;
    },

    async listGenres(window: Window | null): Promise<Genre[]> {
      return window
        ? db.query<Genre>('SELECT id AS uuid, name FROM catalog.genre ORDER BY name, id LIMIT $1 OFFSET $2', [
            window.limit,
            window.offset,
          ])
        : db.query<Genre>('SELECT id AS uuid, name FROM catalog.genre ORDER BY name, id');
    },

    async countGenres(): Promise<number> {
      const [row] = await db.query<{ n: number }>('SELECT count(*) AS n FROM catalog.genre');
      return row?.n ?? 0;
    },

    async genreById(id: string): Promise<Genre | null> {
      const [row] = await db.query<Genre>('SELECT id AS uuid, name FROM catalog.genre WHERE id = $1', [id]);
      return row ?? null;
    },

    /** The exact name first, then text rank, then name. */
    async searchPersons(plan: SearchPlan, window: Window): Promise<PageRows<PersonDocumentRow>> {
      const rows = await db.query<PersonDocumentRow & { total: number }>(
        `WITH q AS MATERIALIZED (SELECT ${SEARCH_QUERY} AS tq),
         m AS MATERIALIZED (
           SELECT p.id, p.full_name, lower(p.full_name) = $5 AS exact, ts_rank(p.search, (SELECT tq FROM q)) AS rank
           FROM catalog.person AS p
           WHERE p.search @@ (SELECT tq FROM q)
         ),
         page AS (
           SELECT id, full_name, exact, rank FROM m
           ORDER BY exact DESC, rank DESC, full_name, id
           LIMIT $6 OFFSET $7
         )
         SELECT page.id AS uuid, page.full_name, p.films, (SELECT count(*) FROM m) AS total
         FROM page JOIN catalog.person AS p ON p.id = page.id
         ORDER BY page.exact DESC, page.rank DESC, page.full_name, page.id`,
        [...planParams(plan), plan.exact, window.limit, window.offset],
      );
      return {
        rows: rows.map(({ uuid, full_name, films }) => ({ uuid, full_name, films })),
        total: rows[0]?.total ?? null,
      };
    },

    async countSearchPersons(plan: SearchPlan): Promise<number> {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*) AS n FROM catalog.person WHERE search @@ ${SEARCH_QUERY}`,
        planParams(plan),
      );
      return row?.n ?? 0;
    },

    async personById(id: string): Promise<PersonDocumentRow | null> {
      const [row] = await db.query<PersonDocumentRow>(
        'SELECT id AS uuid, full_name, films FROM catalog.person WHERE id = $1',
        [id],
      );
      return row ?? null;
    },
  };
}
